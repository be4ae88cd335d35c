//! Democratic evaluation campaigns (`/evaluations`) with anonymous sheets.
