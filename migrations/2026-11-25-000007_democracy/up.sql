-- Democratic management: congresses, delegates, check-ins, motions and secret ballots,
-- handling departments, proposals with co-signatures and their handling, suggestions,
-- evaluation campaigns with anonymous sheets.
--
-- Secrecy: a ballot (and an evaluation sheet) is stored with no delegate id, no timestamp and
-- a random id, beside a receipt that names the delegate but not the choice; both are written
-- in the same transaction, so a vote is counted once and can never be traced back.

CREATE TABLE congresses (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The unit holding the congress: the school union (school level) or a secondary union.
    unit_id                BIGINT NOT NULL REFERENCES units (id),
    level                  TEXT NOT NULL CHECK (level IN ('school', 'unit')),
    -- 教代会 (staff), 工代会 (union) or both at once (双代会, joint).
    kind                   TEXT NOT NULL DEFAULT 'joint' CHECK (kind IN ('staff', 'union', 'joint')),
    name                   TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    term                   SMALLINT NOT NULL CHECK (term BETWEEN 1 AND 99),
    session                SMALLINT NOT NULL CHECK (session BETWEEN 1 AND 99),
    year                   INTEGER NOT NULL CHECK (year BETWEEN 1949 AND 2100),
    starts_on              DATE NOT NULL,
    ends_on                DATE NOT NULL,
    status                 TEXT NOT NULL DEFAULT 'preparing' CHECK (status IN ('preparing', 'in_session', 'closed')),
    -- Proposals submitted after this date become suggestions.
    proposal_deadline      DATE,
    -- Proposal numbers are '<prefix>-NNN', e.g. 2023-TA-001.
    proposal_prefix        TEXT NOT NULL CHECK (proposal_prefix ~ '^[A-Za-z0-9-]{1,20}$'),
    proposal_seq           INTEGER NOT NULL DEFAULT 0,
    -- The rules this congress applies (defaults: MoE Order No. 32 and the university's rules).
    min_cosigners          SMALLINT NOT NULL DEFAULT 2 CHECK (min_cosigners BETWEEN 0 AND 50),
    reply_days             INTEGER NOT NULL DEFAULT 90 CHECK (reply_days BETWEEN 1 AND 730),
    max_extension_days     INTEGER NOT NULL DEFAULT 30 CHECK (max_extension_days BETWEEN 0 AND 365),
    feedback_working_days  INTEGER NOT NULL DEFAULT 15 CHECK (feedback_working_days BETWEEN 1 AND 365),
    -- Quorum: present formal delegates / all formal delegates >= (or >) num/den.
    quorum_num             SMALLINT NOT NULL DEFAULT 2 CHECK (quorum_num > 0),
    quorum_den             SMALLINT NOT NULL DEFAULT 3 CHECK (quorum_den > 0),
    quorum_inclusive       BOOLEAN NOT NULL DEFAULT true,
    -- The denominator of "more than half": all formal delegates, those expected (not excused) or present.
    majority_base          TEXT NOT NULL DEFAULT 'all_formal' CHECK (majority_base IN ('all_formal', 'expected', 'present')),
    rule_source            TEXT NOT NULL DEFAULT '教育部令第32号《学校教职工代表大会规定》第十一条、第十二条',
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT congresses_dates CHECK (ends_on >= starts_on),
    CONSTRAINT congresses_quorum_fraction CHECK (quorum_num <= quorum_den),
    CONSTRAINT congresses_term_session UNIQUE (unit_id, kind, term, session),
    CONSTRAINT congresses_proposal_prefix_key UNIQUE (proposal_prefix)
);
CREATE INDEX congresses_unit_idx ON congresses (unit_id);
CREATE INDEX congresses_year_idx ON congresses (year);
CREATE INDEX congresses_status_idx ON congresses (status);

CREATE TABLE congress_history (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    congress_id    BIGINT NOT NULL REFERENCES congresses (id),
    action         TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    actor_user_id  BIGINT REFERENCES users (id),
    comment        TEXT,
    at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX congress_history_congress_idx ON congress_history (congress_id, at);
CREATE INDEX congress_history_actor_idx ON congress_history (actor_user_id);

CREATE TABLE delegates (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    congress_id          BIGINT NOT NULL REFERENCES congresses (id),
    member_id            BIGINT NOT NULL REFERENCES members (id),
    kind                 TEXT NOT NULL CHECK (kind IN ('formal', 'observer')),
    -- The delegation (代表团) the delegate sits in: a unit.
    delegation_unit_id   BIGINT NOT NULL REFERENCES units (id),
    -- Teachers must be at least 60% of delegates; reports count them.
    category             TEXT NOT NULL DEFAULT 'teacher' CHECK (category IN ('teacher', 'administrative', 'support', 'leader', 'other')),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT delegates_one_per_member UNIQUE (congress_id, member_id)
);
CREATE INDEX delegates_member_idx ON delegates (member_id);
CREATE INDEX delegates_delegation_idx ON delegates (delegation_unit_id);
CREATE INDEX delegates_congress_kind_idx ON delegates (congress_id, kind);

-- Attendance per sitting (全体会议 1, 2, …): present, or excused (请假).
CREATE TABLE check_ins (
    delegate_id    BIGINT NOT NULL REFERENCES delegates (id) ON DELETE CASCADE,
    sitting        SMALLINT NOT NULL CHECK (sitting BETWEEN 1 AND 20),
    status         TEXT NOT NULL DEFAULT 'present' CHECK (status IN ('present', 'excused')),
    recorded_by    BIGINT REFERENCES users (id),
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (delegate_id, sitting)
);
CREATE INDEX check_ins_recorded_by_idx ON check_ins (recorded_by);

CREATE TABLE motions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    congress_id     BIGINT NOT NULL REFERENCES congresses (id),
    kind            TEXT NOT NULL CHECK (kind IN ('report', 'resolution', 'election', 'other')),
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     TEXT,
    -- The sitting whose attendance decides the quorum.
    sitting         SMALLINT NOT NULL DEFAULT 1 CHECK (sitting BETWEEN 1 AND 20),
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'voting', 'closed')),
    voting_opened_at TIMESTAMPTZ,
    voting_closed_at TIMESTAMPTZ,
    -- Frozen at close-voting: the counts and what the rules made of them.
    formal_total    INTEGER,
    present_count   INTEGER,
    expected_count  INTEGER,
    for_count       INTEGER,
    against_count   INTEGER,
    abstain_count   INTEGER,
    quorum_met      BOOLEAN,
    passed          BOOLEAN,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT motions_closed_has_result CHECK ((status = 'closed') = (passed IS NOT NULL))
);
CREATE INDEX motions_congress_idx ON motions (congress_id);

CREATE TABLE motion_history (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    motion_id      BIGINT NOT NULL REFERENCES motions (id),
    action         TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    actor_user_id  BIGINT REFERENCES users (id),
    at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX motion_history_motion_idx ON motion_history (motion_id, at);
CREATE INDEX motion_history_actor_idx ON motion_history (actor_user_id);

-- Who has voted (no choice) ...
CREATE TABLE ballot_receipts (
    motion_id    BIGINT NOT NULL REFERENCES motions (id),
    delegate_id  BIGINT NOT NULL REFERENCES delegates (id),
    CONSTRAINT ballot_receipts_one_per_delegate PRIMARY KEY (motion_id, delegate_id)
);
CREATE INDEX ballot_receipts_delegate_idx ON ballot_receipts (delegate_id);
-- ... and what was voted (no voter, no time, random id).
CREATE TABLE ballots (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    motion_id  BIGINT NOT NULL REFERENCES motions (id),
    choice     TEXT NOT NULL CHECK (choice IN ('for', 'against', 'abstain'))
);
CREATE INDEX ballots_motion_idx ON ballots (motion_id);

-- The university's handling departments (承办单位) and their handler accounts.
CREATE TABLE departments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    code        TEXT CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    active      BOOLEAN NOT NULL DEFAULT true,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT departments_name_key UNIQUE (name),
    CONSTRAINT departments_code_key UNIQUE (code)
);

CREATE TABLE department_handlers (
    department_id  BIGINT NOT NULL REFERENCES departments (id),
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT department_handlers_pkey PRIMARY KEY (department_id, user_id)
);
CREATE INDEX department_handlers_user_idx ON department_handlers (user_id);

-- The nine categories of the 2023 report; data, not code.
CREATE TABLE suggestion_categories (
    code        TEXT PRIMARY KEY CHECK (code ~ '^[a-z_]{1,32}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    sort_order  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO suggestion_categories (code, name, sort_order) VALUES
    ('teaching_research', '教学科研', 1),
    ('talent_personnel', '人才队伍与人事制度', 2),
    ('student_affairs', '学生培养与管理', 3),
    ('campus_construction', '校园建设与环境', 4),
    ('logistics', '后勤保障', 5),
    ('finance_assets', '财务与资产', 6),
    ('staff_welfare', '教职工权益与福利', 7),
    ('governance', '管理服务与制度建设', 8),
    ('other', '其他', 9);

CREATE TABLE proposals (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    congress_id           BIGINT NOT NULL REFERENCES congresses (id),
    -- Assigned on acceptance (立案): '<congress prefix>-NNN'.
    number                TEXT,
    proposer_delegate_id  BIGINT NOT NULL REFERENCES delegates (id),
    -- Submitted collectively by the proposer's delegation (代表团提案).
    by_delegation         BOOLEAN NOT NULL DEFAULT false,
    title                 TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    category              TEXT NOT NULL REFERENCES suggestion_categories (code),
    cause                 TEXT NOT NULL CHECK (length(cause) <= 5000),
    analysis              TEXT NOT NULL CHECK (length(analysis) <= 20000),
    measures              TEXT NOT NULL CHECK (length(measures) <= 20000),
    status                TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'under_review',
                              'accepted', 'declined', 'converted', 'merged', 'withdrawn', 'assigned', 'replied',
                              'feedback_given', 'closed')),
    submitted_at          TIMESTAMPTZ,
    reviewable_at         TIMESTAMPTZ,
    decided_at            TIMESTAMPTZ,
    decision_reason       TEXT,
    merged_into_id        BIGINT REFERENCES proposals (id),
    suggestion_id         BIGINT,
    assigned_at           TIMESTAMPTZ,
    reply_due_on          DATE,
    -- An extension asked by the lead department and approved (or not) by the committee.
    extension_status      TEXT NOT NULL DEFAULT 'none' CHECK (extension_status IN ('none', 'requested', 'approved', 'rejected')),
    extension_days        INTEGER,
    extension_reason      TEXT,
    replied_at            TIMESTAMPTZ,
    result_code           TEXT CHECK (result_code IN ('A', 'B', 'C', 'D')),
    feedback_due_on       DATE,
    feedback              TEXT CHECK (feedback IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    -- One re-handling after an unsatisfied verdict.
    rehandle_count        SMALLINT NOT NULL DEFAULT 0 CHECK (rehandle_count BETWEEN 0 AND 1),
    closed_at             TIMESTAMPTZ,
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT proposals_number_key UNIQUE (number),
    CONSTRAINT proposals_merged_has_target CHECK (status <> 'merged' OR merged_into_id IS NOT NULL),
    CONSTRAINT proposals_not_merged_into_self CHECK (merged_into_id <> id)
);
CREATE INDEX proposals_congress_status_idx ON proposals (congress_id, status);
CREATE INDEX proposals_proposer_idx ON proposals (proposer_delegate_id);
CREATE INDEX proposals_merged_into_idx ON proposals (merged_into_id);
CREATE INDEX proposals_reply_due_idx ON proposals (reply_due_on) WHERE status = 'assigned';
CREATE INDEX proposals_feedback_due_idx ON proposals (feedback_due_on) WHERE status = 'replied';
CREATE INDEX proposals_category_idx ON proposals (category);

-- Each invited co-signer confirms or declines: one row per delegate, never a counter.
CREATE TABLE proposal_cosigners (
    proposal_id   BIGINT NOT NULL REFERENCES proposals (id),
    delegate_id   BIGINT NOT NULL REFERENCES delegates (id),
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'agreed', 'declined')),
    invited_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    responded_at  TIMESTAMPTZ,
    CONSTRAINT proposal_cosigners_one_per_delegate PRIMARY KEY (proposal_id, delegate_id),
    CONSTRAINT proposal_cosigners_responded CHECK ((status = 'pending') = (responded_at IS NULL))
);
CREATE INDEX proposal_cosigners_delegate_idx ON proposal_cosigners (delegate_id, status);

-- Proposers of proposals merged into this one become its co-proposers.
CREATE TABLE proposal_coproposers (
    proposal_id       BIGINT NOT NULL REFERENCES proposals (id),
    delegate_id       BIGINT NOT NULL REFERENCES delegates (id),
    from_proposal_id  BIGINT NOT NULL REFERENCES proposals (id),
    CONSTRAINT proposal_coproposers_pkey PRIMARY KEY (proposal_id, delegate_id)
);
CREATE INDEX proposal_coproposers_delegate_idx ON proposal_coproposers (delegate_id);
CREATE INDEX proposal_coproposers_from_idx ON proposal_coproposers (from_proposal_id);

-- The lead (主办) and co-handling (协办) departments of an accepted proposal.
CREATE TABLE proposal_departments (
    proposal_id    BIGINT NOT NULL REFERENCES proposals (id),
    department_id  BIGINT NOT NULL REFERENCES departments (id),
    role           TEXT NOT NULL CHECK (role IN ('lead', 'co')),
    CONSTRAINT proposal_departments_pkey PRIMARY KEY (proposal_id, department_id)
);
CREATE UNIQUE INDEX proposal_departments_one_lead ON proposal_departments (proposal_id) WHERE role = 'lead';
CREATE INDEX proposal_departments_department_idx ON proposal_departments (department_id);

-- Replies, one per handling round (round 2 = the re-handling after an unsatisfied verdict).
CREATE TABLE proposal_replies (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id    BIGINT NOT NULL REFERENCES proposals (id),
    round          SMALLINT NOT NULL CHECK (round BETWEEN 1 AND 2),
    department_id  BIGINT NOT NULL REFERENCES departments (id),
    result_code    TEXT NOT NULL CHECK (result_code IN ('A', 'B', 'C', 'D')),
    content        TEXT NOT NULL CHECK (length(content) BETWEEN 1 AND 20000),
    due_on         DATE NOT NULL,
    on_time        BOOLEAN NOT NULL,
    replied_by     BIGINT NOT NULL REFERENCES users (id),
    replied_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    feedback       TEXT CHECK (feedback IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    feedback_comment TEXT,
    feedback_at    TIMESTAMPTZ,
    CONSTRAINT proposal_replies_one_per_round UNIQUE (proposal_id, round)
);
CREATE INDEX proposal_replies_department_idx ON proposal_replies (department_id);
CREATE INDEX proposal_replies_replied_by_idx ON proposal_replies (replied_by);

CREATE TABLE proposal_history (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id    BIGINT NOT NULL REFERENCES proposals (id),
    action         TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    actor_user_id  BIGINT REFERENCES users (id),
    comment        TEXT,
    at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX proposal_history_proposal_idx ON proposal_history (proposal_id, at);
CREATE INDEX proposal_history_actor_idx ON proposal_history (actor_user_id);

-- Deadline reminders sent, one per (proposal, kind, deadline): the daily job sends each once.
CREATE TABLE proposal_reminders (
    proposal_id  BIGINT NOT NULL REFERENCES proposals (id),
    kind         TEXT NOT NULL CHECK (kind IN ('reply_due_7d', 'reply_due_1d', 'reply_overdue', 'feedback_due_3d')),
    due_on       DATE NOT NULL,
    sent_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT proposal_reminders_pkey PRIMARY KEY (proposal_id, kind, due_on)
);

CREATE TABLE suggestions (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    congress_id        BIGINT REFERENCES congresses (id),
    -- The member who made it (null when recorded by an administrator for someone unnamed).
    member_id          BIGINT REFERENCES members (id),
    category           TEXT NOT NULL REFERENCES suggestion_categories (code),
    title              TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content            TEXT NOT NULL CHECK (length(content) BETWEEN 1 AND 20000),
    -- How it arrived: directly, a proposal filed after the deadline, or one the committee converted.
    source             TEXT NOT NULL DEFAULT 'direct' CHECK (source IN ('direct', 'late_proposal', 'converted_proposal')),
    from_proposal_id   BIGINT REFERENCES proposals (id),
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'responded')),
    department_id      BIGINT REFERENCES departments (id),
    response           TEXT,
    responded_by       BIGINT REFERENCES users (id),
    responded_at       TIMESTAMPTZ,
    created_by         BIGINT REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT suggestions_responded CHECK ((status = 'responded') = (response IS NOT NULL AND responded_at IS NOT NULL)),
    CONSTRAINT suggestions_from_proposal_key UNIQUE (from_proposal_id)
);
CREATE INDEX suggestions_congress_category_idx ON suggestions (congress_id, category);
CREATE INDEX suggestions_member_idx ON suggestions (member_id);
CREATE INDEX suggestions_category_idx ON suggestions (category);
CREATE INDEX suggestions_department_idx ON suggestions (department_id);
CREATE INDEX suggestions_responded_by_idx ON suggestions (responded_by);
CREATE INDEX suggestions_created_by_idx ON suggestions (created_by);
ALTER TABLE proposals ADD CONSTRAINT proposals_suggestion_id_fkey FOREIGN KEY (suggestion_id) REFERENCES suggestions (id);
CREATE INDEX proposals_suggestion_idx ON proposals (suggestion_id);

-- 民主评议: a campaign among a congress's formal delegates.
CREATE TABLE evaluation_campaigns (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    congress_id  BIGINT NOT NULL REFERENCES congresses (id),
    title        TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description  TEXT,
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    opened_at    TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX evaluation_campaigns_congress_idx ON evaluation_campaigns (congress_id);

-- Who or what is evaluated: a department or a leader (by name and post).
CREATE TABLE evaluation_targets (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id    BIGINT NOT NULL REFERENCES evaluation_campaigns (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('department', 'leader')),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    department_id  BIGINT REFERENCES departments (id),
    sort_order     INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT evaluation_targets_name_key UNIQUE (campaign_id, name)
);
CREATE INDEX evaluation_targets_department_idx ON evaluation_targets (department_id);

-- The scoring sheet: criteria, each scored 0..max_score for every target.
CREATE TABLE evaluation_criteria (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES evaluation_campaigns (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    max_score    SMALLINT NOT NULL CHECK (max_score BETWEEN 1 AND 100),
    sort_order   INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT evaluation_criteria_name_key UNIQUE (campaign_id, name)
);

CREATE TABLE evaluation_receipts (
    campaign_id  BIGINT NOT NULL REFERENCES evaluation_campaigns (id),
    delegate_id  BIGINT NOT NULL REFERENCES delegates (id),
    CONSTRAINT evaluation_receipts_one_per_delegate PRIMARY KEY (campaign_id, delegate_id)
);
CREATE INDEX evaluation_receipts_delegate_idx ON evaluation_receipts (delegate_id);

CREATE TABLE evaluation_sheets (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    campaign_id  BIGINT NOT NULL REFERENCES evaluation_campaigns (id)
);
CREATE INDEX evaluation_sheets_campaign_idx ON evaluation_sheets (campaign_id);

CREATE TABLE evaluation_scores (
    sheet_id      UUID NOT NULL REFERENCES evaluation_sheets (id),
    target_id     BIGINT NOT NULL REFERENCES evaluation_targets (id),
    criterion_id  BIGINT NOT NULL REFERENCES evaluation_criteria (id),
    score         SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    CONSTRAINT evaluation_scores_pkey PRIMARY KEY (sheet_id, target_id, criterion_id)
);
CREATE INDEX evaluation_scores_target_idx ON evaluation_scores (target_id);
CREATE INDEX evaluation_scores_criterion_idx ON evaluation_scores (criterion_id);

-- Ballots, receipts and sheets are never changed or removed once cast — except by the
-- reshuffle below, which only ever runs inside the closing transaction.
CREATE FUNCTION refuse_secret_ballot_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('ballots', 'evaluation_sheets', 'evaluation_scores')
       AND current_setting('gonghui.reshuffle', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- A ballot is written in the voter's transaction, beside the receipt naming the voter, so
-- the two share a transaction id (xmin) and sit in the same order on disk. When voting
-- closes, the motion's ballots are rewritten in random order in the closing transaction:
-- afterwards nothing in the table (ids, xmin, physical order) follows the order of voting.
-- (While voting is open a database superuser could still correlate; the API never can.)
CREATE FUNCTION reshuffle_ballots(p_motion BIGINT) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    n INTEGER;
BEGIN
    PERFORM set_config('gonghui.reshuffle', 'on', true);
    CREATE TEMP TABLE reshuffled_ballots ON COMMIT DROP AS
        SELECT choice FROM ballots WHERE motion_id = p_motion ORDER BY random();
    DELETE FROM ballots WHERE motion_id = p_motion;
    INSERT INTO ballots (motion_id, choice) SELECT p_motion, choice FROM reshuffled_ballots;
    GET DIAGNOSTICS n = ROW_COUNT;
    DROP TABLE reshuffled_ballots;
    PERFORM set_config('gonghui.reshuffle', 'off', true);
    RETURN n;
END;
$$;

-- The same for an evaluation campaign's sheets (new random ids, random order) and scores.
CREATE FUNCTION reshuffle_sheets(p_campaign BIGINT) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    n INTEGER;
BEGIN
    PERFORM set_config('gonghui.reshuffle', 'on', true);
    CREATE TEMP TABLE reshuffled_sheets ON COMMIT DROP AS
        SELECT id AS old_id, gen_random_uuid() AS new_id FROM evaluation_sheets
        WHERE campaign_id = p_campaign ORDER BY random();
    INSERT INTO evaluation_sheets (id, campaign_id) SELECT new_id, p_campaign FROM reshuffled_sheets;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO evaluation_scores (sheet_id, target_id, criterion_id, score)
        SELECT r.new_id, s.target_id, s.criterion_id, s.score
        FROM evaluation_scores s JOIN reshuffled_sheets r ON r.old_id = s.sheet_id ORDER BY random();
    DELETE FROM evaluation_scores WHERE sheet_id IN (SELECT old_id FROM reshuffled_sheets);
    DELETE FROM evaluation_sheets WHERE id IN (SELECT old_id FROM reshuffled_sheets);
    DROP TABLE reshuffled_sheets;
    PERFORM set_config('gonghui.reshuffle', 'off', true);
    RETURN n;
END;
$$;
CREATE TRIGGER ballots_append_only BEFORE UPDATE OR DELETE ON ballots
    FOR EACH ROW EXECUTE FUNCTION refuse_secret_ballot_change();
CREATE TRIGGER ballot_receipts_append_only BEFORE UPDATE OR DELETE ON ballot_receipts
    FOR EACH ROW EXECUTE FUNCTION refuse_secret_ballot_change();
CREATE TRIGGER evaluation_sheets_append_only BEFORE UPDATE OR DELETE ON evaluation_sheets
    FOR EACH ROW EXECUTE FUNCTION refuse_secret_ballot_change();
CREATE TRIGGER evaluation_scores_append_only BEFORE UPDATE OR DELETE ON evaluation_scores
    FOR EACH ROW EXECUTE FUNCTION refuse_secret_ballot_change();
CREATE TRIGGER evaluation_receipts_append_only BEFORE UPDATE OR DELETE ON evaluation_receipts
    FOR EACH ROW EXECUTE FUNCTION refuse_secret_ballot_change();
