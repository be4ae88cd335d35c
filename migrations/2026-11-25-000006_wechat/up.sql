-- WeChat mini-program: used binding tickets, the cached access token, subscribe messages.

-- Binding tickets are single-use: the jti of each ticket that bound an openid.
CREATE TABLE wechat_binding_tickets (
    jti         UUID PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX wechat_binding_tickets_expires ON wechat_binding_tickets (expires_at);

-- The access token of each mini-program (one row per appid), shared by every instance.
-- The token is stored encrypted (GONGHUI_ENCRYPTION_KEY); `SELECT … FOR UPDATE` on the row
-- makes one instance at a time refresh it.
CREATE TABLE wechat_access_tokens (
    appid         TEXT PRIMARY KEY CHECK (length(appid) BETWEEN 1 AND 64),
    token_cipher  BYTEA,
    expires_at    TIMESTAMPTZ,
    refreshed_at  TIMESTAMPTZ
);

-- Subscribe messages: one row per (event, member) occurrence; the dedupe key makes a
-- second enqueue of the same occurrence a no-op, so a member is never sent it twice.
CREATE TABLE wechat_messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id    BIGINT NOT NULL REFERENCES members (id),
    event        TEXT NOT NULL CHECK (length(event) BETWEEN 1 AND 64),
    template_id  TEXT NOT NULL CHECK (length(template_id) BETWEEN 1 AND 128),
    page         TEXT CHECK (length(page) <= 512),
    data         JSONB NOT NULL,
    dedupe_key   TEXT NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'no_consent', 'failed')),
    attempts     INT NOT NULL DEFAULT 0,
    errcode      INT,
    errmsg       TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at      TIMESTAMPTZ,
    CONSTRAINT wechat_messages_dedupe_key UNIQUE (dedupe_key)
);
CREATE INDEX wechat_messages_member ON wechat_messages (member_id, created_at);
