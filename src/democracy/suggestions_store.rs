//! Opinions and suggestions (`/suggestions`), their categories and responses.
