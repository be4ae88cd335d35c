-- Membership: members (never deleted), their history, honors and dues.

CREATE TABLE members (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_no            TEXT NOT NULL CHECK (staff_no ~ '^[A-Za-z0-9-]{1,32}$'),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    -- Full pinyin ('zhangsan') and initials ('zs') of the name, for search.
    name_pinyin         TEXT NOT NULL DEFAULT '',
    name_initials       TEXT NOT NULL DEFAULT '',
    gender              TEXT NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date          DATE NOT NULL,
    unit_id             BIGINT NOT NULL REFERENCES units (id),
    employment_type     TEXT NOT NULL CHECK (employment_type IN ('established', 'contract', 'retired')),
    joined_on           DATE NOT NULL,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left')),
    left_on             DATE,
    phone               TEXT CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    -- ID-card number: AES-256-GCM ciphertext (nonce || ciphertext), a keyed hash of the whole
    -- number for exact lookup and uniqueness, and a keyed hash of the last 6 characters for binding checks.
    id_card_cipher      BYTEA,
    id_card_hash        BYTEA UNIQUE,
    id_card_last6_hash  BYTEA,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT members_staff_no_key UNIQUE (staff_no),
    CONSTRAINT members_left_has_date CHECK ((status = 'left') = (left_on IS NOT NULL)),
    CONSTRAINT members_id_card_complete CHECK ((id_card_cipher IS NULL) = (id_card_hash IS NULL)
        AND (id_card_hash IS NULL) = (id_card_last6_hash IS NULL))
);
CREATE INDEX members_unit_id_idx ON members (unit_id);
CREATE INDEX members_status_idx ON members (status);
CREATE INDEX members_birth_month_idx ON members ((EXTRACT(MONTH FROM birth_date)));
CREATE INDEX members_name_trgm_idx ON members USING gin (name gin_trgm_ops);
CREATE INDEX members_initials_idx ON members (name_initials text_pattern_ops);
CREATE INDEX members_pinyin_idx ON members (name_pinyin text_pattern_ops);
CREATE INDEX members_staff_no_prefix_idx ON members (staff_no text_pattern_ops);

-- Members are never deleted: only their status changes.
CREATE FUNCTION refuse_member_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'members are never deleted (member %)', OLD.id USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER members_never_deleted BEFORE DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION refuse_member_delete();

ALTER TABLE users ADD CONSTRAINT users_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id);
CREATE UNIQUE INDEX users_member_id_key ON users (member_id) WHERE member_id IS NOT NULL;

CREATE TABLE member_history (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id      BIGINT NOT NULL REFERENCES members (id),
    event          TEXT NOT NULL CHECK (event IN ('joined', 'transferred', 'left', 'rejoined')),
    from_unit_id   BIGINT REFERENCES units (id),
    to_unit_id     BIGINT REFERENCES units (id),
    effective_on   DATE NOT NULL,
    reason         TEXT,
    actor_user_id  BIGINT REFERENCES users (id),
    at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX member_history_member_idx ON member_history (member_id, at);
CREATE INDEX member_history_from_unit_idx ON member_history (from_unit_id);
CREATE INDEX member_history_to_unit_idx ON member_history (to_unit_id);
CREATE INDEX member_history_actor_idx ON member_history (actor_user_id);

CREATE TABLE honors (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   BIGINT NOT NULL REFERENCES members (id),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    category    TEXT NOT NULL CHECK (category IN ('model_worker', 'advanced_worker', 'may_day_medal',
                    'ethics_model', 'excellent_woman', 'union_cadre', 'union_activist', 'other')),
    level       TEXT NOT NULL CHECK (level IN ('national', 'provincial', 'city', 'school')),
    year        INTEGER NOT NULL CHECK (year BETWEEN 1949 AND 2100),
    issuer      TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 100),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT honors_unique UNIQUE (member_id, title, year)
);
CREATE INDEX honors_member_idx ON honors (member_id);
CREATE INDEX honors_year_idx ON honors (year, level);

CREATE TABLE dues (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id       BIGINT NOT NULL REFERENCES members (id),
    -- The month paid for, as its first day.
    period          DATE NOT NULL CHECK (EXTRACT(DAY FROM period) = 1),
    base_salary_fen BIGINT CHECK (base_salary_fen >= 0),
    -- Rate applied, in basis points of the base salary (50 = 0.5%), when the amount was computed.
    rate_bp         INTEGER CHECK (rate_bp BETWEEN 0 AND 10000),
    amount_fen      BIGINT NOT NULL CHECK (amount_fen >= 0),
    paid_on         DATE NOT NULL,
    created_by      BIGINT REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT dues_one_per_month UNIQUE (member_id, period)
);
CREATE INDEX dues_period_idx ON dues (period);
CREATE INDEX dues_created_by_idx ON dues (created_by);
