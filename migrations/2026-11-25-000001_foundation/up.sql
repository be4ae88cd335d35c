-- Foundation: administrative users, role grants, refresh tokens, login throttling,
-- idempotency keys and the append-only audit log.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Units come first because role grants are scoped to them.
CREATE TABLE units (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    code        TEXT UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    kind        TEXT NOT NULL CHECK (kind IN ('school', 'secondary', 'group')),
    parent_id   BIGINT REFERENCES units (id),
    -- Materialised path of ids, e.g. '/1/5/12/': subtree = path LIKE '/1/5/%'.
    path        TEXT NOT NULL DEFAULT '',
    sort_order  INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT units_root_has_no_parent CHECK ((kind = 'school') = (parent_id IS NULL)),
    CONSTRAINT units_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE UNIQUE INDEX units_name_per_parent ON units (COALESCE(parent_id, 0), name);
-- One school union: the single root of the tree.
CREATE UNIQUE INDEX units_single_root ON units ((true)) WHERE parent_id IS NULL;
CREATE INDEX units_parent_id_idx ON units (parent_id);
CREATE INDEX units_path_idx ON units (path text_pattern_ops);

CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       TEXT NOT NULL CHECK (username ~ '^[a-z0-9_.-]{3,64}$'),
    display_name   TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash  TEXT,
    member_id      BIGINT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE role_grants (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('member', 'unit_admin', 'union_admin', 'finance_officer',
                    'auditor', 'proposal_committee', 'handler', 'judge', 'aid_reviewer', 'system_admin')),
    unit_id     BIGINT REFERENCES units (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by  BIGINT REFERENCES users (id),
    CONSTRAINT role_grants_unit_admin_has_unit CHECK ((role = 'unit_admin') = (unit_id IS NOT NULL)),
    CONSTRAINT role_grants_unique UNIQUE NULLS NOT DISTINCT (user_id, role, unit_id)
);
CREATE INDEX role_grants_unit_id_idx ON role_grants (unit_id);
CREATE INDEX role_grants_created_by_idx ON role_grants (created_by);

CREATE TABLE refresh_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    family_id    UUID NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    rotated_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

-- Failed logins, counted per key ('ip:…' or 'user:…') in a sliding window; shared by all instances.
CREATE TABLE login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key       TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);

CREATE TABLE idempotency_keys (
    subject          TEXT NOT NULL,
    key              TEXT NOT NULL,
    request_hash     BYTEA NOT NULL,
    status_code      INTEGER,
    response_headers JSONB,
    response_body    BYTEA,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_user_id  BIGINT REFERENCES users (id),
    actor_label    TEXT NOT NULL,
    action         TEXT NOT NULL,
    entity         TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    before         JSONB,
    after          JSONB,
    request_id     TEXT
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The audit log is append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
