-- Outgoing webhooks: subscriptions, the event outbox, one delivery per (subscription, event)
-- and every HTTP attempt of a delivery. Events and deliveries are written in the same
-- transaction as the change that caused them; a `webhook.deliver` job sends each delivery.

CREATE TABLE webhooks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description     TEXT CHECK (length(description) <= 200),
    event_types     TEXT[] NOT NULL CHECK (cardinality(event_types) >= 1),
    -- AES-256-GCM of the signing secret (it must be recovered to sign).
    secret_cipher   BYTEA NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT true,
    -- Why the service deactivated it (e.g. `gone`: the receiver answered 410).
    disabled_reason TEXT,
    created_by      BIGINT REFERENCES users (id),
    created_by_client BIGINT REFERENCES api_clients (id),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Soft delete: a deleted subscription is inactive and no longer visible.
    deleted_at      TIMESTAMPTZ
);
CREATE INDEX webhooks_active_idx ON webhooks USING gin (event_types) WHERE active AND deleted_at IS NULL;
CREATE INDEX webhooks_created_by_idx ON webhooks (created_by);
CREATE INDEX webhooks_created_by_client_idx ON webhooks (created_by_client);

-- The outbox: one row per event, whether or not anyone subscribes.
CREATE TABLE webhook_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_type  TEXT NOT NULL CHECK (event_type ~ '^[a-z_]+\.[a-z_]+$'),
    data        JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       BIGINT NOT NULL REFERENCES webhooks (id),
    event_id         BIGINT NOT NULL REFERENCES webhook_events (id),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Manual redeliveries so far (each one is a new job with its own attempts).
    redeliveries     INTEGER NOT NULL DEFAULT 0 CHECK (redeliveries >= 0),
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL CHECK (attempt >= 1),
    status_code  INTEGER,
    duration_ms  INTEGER NOT NULL CHECK (duration_ms >= 0),
    error        TEXT CHECK (length(error) <= 500),
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
