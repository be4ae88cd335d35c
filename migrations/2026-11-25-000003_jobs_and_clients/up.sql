-- The job queue (outbox deliveries, WeChat messages, scheduled jobs) and API clients.

CREATE TABLE jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind ~ '^[a-z_.]{1,64}$'),
    payload       JSONB NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  INTEGER NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 100),
    -- While running: the lease. A worker that dies leaves the job to be picked up after it.
    locked_until  TIMESTAMPTZ,
    locked_by     TEXT,
    last_error    TEXT,
    -- Same key, same job: enqueueing twice is a no-op (scheduled occurrences, message sends).
    dedupe_key    TEXT UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
CREATE INDEX jobs_ready_idx ON jobs (run_at, id) WHERE status = 'pending';
CREATE INDEX jobs_leased_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_kind_status_idx ON jobs (kind, status);

CREATE TABLE api_clients (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Public identifier sent as client_id (random, URL-safe).
    client_id     TEXT NOT NULL UNIQUE CHECK (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the secret: secrets are 32 random bytes, so a fast hash is enough.
    secret_hash   BYTEA NOT NULL,
    scopes        TEXT[] NOT NULL CHECK (scopes <@ ARRAY['roster:write', 'reports:read', 'proposals:read', 'webhooks:manage']::TEXT[]),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    last_used_at  TIMESTAMPTZ,
    created_by    BIGINT REFERENCES users (id),
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_clients_created_by_idx ON api_clients (created_by);

-- Audit rows name API clients too (actor_user_id stays NULL for them).
ALTER TABLE audit_log ADD COLUMN actor_client_id BIGINT REFERENCES api_clients (id);
CREATE INDEX audit_log_actor_client_idx ON audit_log (actor_client_id, at);
