-- WeChat mini-program identities bound to members: one openid per member, one member per openid.
CREATE TABLE wechat_bindings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    openid      TEXT NOT NULL CHECK (length(openid) BETWEEN 1 AND 128),
    unionid     TEXT CHECK (length(unionid) BETWEEN 1 AND 128),
    member_id   BIGINT NOT NULL REFERENCES members (id),
    -- How the member proved who they are: cas (strongest), phone, identity (weakest).
    method      TEXT NOT NULL CHECK (method IN ('cas', 'phone', 'identity')),
    bound_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT wechat_bindings_openid_key UNIQUE (openid),
    CONSTRAINT wechat_bindings_member_key UNIQUE (member_id)
);
