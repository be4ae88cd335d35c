// @generated automatically by Diesel CLI.

diesel::table! {
    api_clients (id) {
        id -> Int8,
        client_id -> Text,
        name -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Nullable<Text>>,
        status -> Text,
        last_used_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_user_id -> Nullable<Int8>,
        actor_label -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        request_id -> Nullable<Text>,
        actor_client_id -> Nullable<Int8>,
    }
}

diesel::table! {
    ballot_receipts (motion_id, delegate_id) {
        motion_id -> Int8,
        delegate_id -> Int8,
    }
}

diesel::table! {
    ballots (id) {
        id -> Uuid,
        motion_id -> Int8,
        choice -> Text,
    }
}

diesel::table! {
    check_ins (delegate_id, sitting) {
        delegate_id -> Int8,
        sitting -> Int2,
        status -> Text,
        recorded_by -> Nullable<Int8>,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    congress_history (id) {
        id -> Int8,
        congress_id -> Int8,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_user_id -> Nullable<Int8>,
        comment -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    congresses (id) {
        id -> Int8,
        unit_id -> Int8,
        level -> Text,
        kind -> Text,
        name -> Text,
        term -> Int2,
        session -> Int2,
        year -> Int4,
        starts_on -> Date,
        ends_on -> Date,
        status -> Text,
        proposal_deadline -> Nullable<Date>,
        proposal_prefix -> Text,
        proposal_seq -> Int4,
        min_cosigners -> Int2,
        reply_days -> Int4,
        max_extension_days -> Int4,
        feedback_working_days -> Int4,
        quorum_num -> Int2,
        quorum_den -> Int2,
        quorum_inclusive -> Bool,
        majority_base -> Text,
        rule_source -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    delegates (id) {
        id -> Int8,
        congress_id -> Int8,
        member_id -> Int8,
        kind -> Text,
        delegation_unit_id -> Int8,
        category -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    department_handlers (department_id, user_id) {
        department_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    departments (id) {
        id -> Int8,
        name -> Text,
        code -> Nullable<Text>,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    dues (id) {
        id -> Int8,
        member_id -> Int8,
        period -> Date,
        base_salary_fen -> Nullable<Int8>,
        rate_bp -> Nullable<Int4>,
        amount_fen -> Int8,
        paid_on -> Date,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    evaluation_campaigns (id) {
        id -> Int8,
        congress_id -> Int8,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        opened_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    evaluation_criteria (id) {
        id -> Int8,
        campaign_id -> Int8,
        name -> Text,
        max_score -> Int2,
        sort_order -> Int4,
    }
}

diesel::table! {
    evaluation_receipts (campaign_id, delegate_id) {
        campaign_id -> Int8,
        delegate_id -> Int8,
    }
}

diesel::table! {
    evaluation_scores (sheet_id, target_id, criterion_id) {
        sheet_id -> Uuid,
        target_id -> Int8,
        criterion_id -> Int8,
        score -> Int2,
    }
}

diesel::table! {
    evaluation_sheets (id) {
        id -> Uuid,
        campaign_id -> Int8,
    }
}

diesel::table! {
    evaluation_targets (id) {
        id -> Int8,
        campaign_id -> Int8,
        kind -> Text,
        name -> Text,
        department_id -> Nullable<Int8>,
        sort_order -> Int4,
    }
}

diesel::table! {
    honors (id) {
        id -> Int8,
        member_id -> Int8,
        title -> Text,
        category -> Text,
        level -> Text,
        year -> Int4,
        issuer -> Text,
        version -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (subject, key) {
        subject -> Text,
        key -> Text,
        request_hash -> Bytea,
        status_code -> Nullable<Int4>,
        response_headers -> Nullable<Jsonb>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        run_at -> Timestamptz,
        attempts -> Int4,
        max_attempts -> Int4,
        locked_until -> Nullable<Timestamptz>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        key -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    member_history (id) {
        id -> Int8,
        member_id -> Int8,
        event -> Text,
        from_unit_id -> Nullable<Int8>,
        to_unit_id -> Nullable<Int8>,
        effective_on -> Date,
        reason -> Nullable<Text>,
        actor_user_id -> Nullable<Int8>,
        at -> Timestamptz,
    }
}

diesel::table! {
    members (id) {
        id -> Int8,
        staff_no -> Text,
        name -> Text,
        name_pinyin -> Text,
        name_initials -> Text,
        gender -> Text,
        birth_date -> Date,
        unit_id -> Int8,
        employment_type -> Text,
        joined_on -> Date,
        status -> Text,
        left_on -> Nullable<Date>,
        phone -> Nullable<Text>,
        id_card_cipher -> Nullable<Bytea>,
        id_card_hash -> Nullable<Bytea>,
        id_card_last6_hash -> Nullable<Bytea>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    motion_history (id) {
        id -> Int8,
        motion_id -> Int8,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_user_id -> Nullable<Int8>,
        at -> Timestamptz,
    }
}

diesel::table! {
    motions (id) {
        id -> Int8,
        congress_id -> Int8,
        kind -> Text,
        title -> Text,
        description -> Nullable<Text>,
        sitting -> Int2,
        status -> Text,
        voting_opened_at -> Nullable<Timestamptz>,
        voting_closed_at -> Nullable<Timestamptz>,
        formal_total -> Nullable<Int4>,
        present_count -> Nullable<Int4>,
        expected_count -> Nullable<Int4>,
        for_count -> Nullable<Int4>,
        against_count -> Nullable<Int4>,
        abstain_count -> Nullable<Int4>,
        quorum_met -> Nullable<Bool>,
        passed -> Nullable<Bool>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    proposal_coproposers (proposal_id, delegate_id) {
        proposal_id -> Int8,
        delegate_id -> Int8,
        from_proposal_id -> Int8,
    }
}

diesel::table! {
    proposal_cosigners (proposal_id, delegate_id) {
        proposal_id -> Int8,
        delegate_id -> Int8,
        status -> Text,
        invited_at -> Timestamptz,
        responded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    proposal_departments (proposal_id, department_id) {
        proposal_id -> Int8,
        department_id -> Int8,
        role -> Text,
    }
}

diesel::table! {
    proposal_history (id) {
        id -> Int8,
        proposal_id -> Int8,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_user_id -> Nullable<Int8>,
        comment -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    proposal_reminders (proposal_id, kind, due_on) {
        proposal_id -> Int8,
        kind -> Text,
        due_on -> Date,
        sent_at -> Timestamptz,
    }
}

diesel::table! {
    proposal_replies (id) {
        id -> Int8,
        proposal_id -> Int8,
        round -> Int2,
        department_id -> Int8,
        result_code -> Text,
        content -> Text,
        due_on -> Date,
        on_time -> Bool,
        replied_by -> Int8,
        replied_at -> Timestamptz,
        feedback -> Nullable<Text>,
        feedback_comment -> Nullable<Text>,
        feedback_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    proposals (id) {
        id -> Int8,
        congress_id -> Int8,
        number -> Nullable<Text>,
        proposer_delegate_id -> Int8,
        by_delegation -> Bool,
        title -> Text,
        category -> Text,
        cause -> Text,
        analysis -> Text,
        measures -> Text,
        status -> Text,
        submitted_at -> Nullable<Timestamptz>,
        reviewable_at -> Nullable<Timestamptz>,
        decided_at -> Nullable<Timestamptz>,
        decision_reason -> Nullable<Text>,
        merged_into_id -> Nullable<Int8>,
        suggestion_id -> Nullable<Int8>,
        assigned_at -> Nullable<Timestamptz>,
        reply_due_on -> Nullable<Date>,
        extension_status -> Text,
        extension_days -> Nullable<Int4>,
        extension_reason -> Nullable<Text>,
        replied_at -> Nullable<Timestamptz>,
        result_code -> Nullable<Text>,
        feedback_due_on -> Nullable<Date>,
        feedback -> Nullable<Text>,
        rehandle_count -> Int2,
        closed_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        family_id -> Uuid,
        token_hash -> Bytea,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    role_grants (id) {
        id -> Int8,
        user_id -> Int8,
        role -> Text,
        unit_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        created_by -> Nullable<Int8>,
    }
}

diesel::table! {
    suggestion_categories (code) {
        code -> Text,
        name -> Text,
        sort_order -> Int4,
    }
}

diesel::table! {
    suggestions (id) {
        id -> Int8,
        congress_id -> Nullable<Int8>,
        member_id -> Nullable<Int8>,
        category -> Text,
        title -> Text,
        content -> Text,
        source -> Text,
        from_proposal_id -> Nullable<Int8>,
        status -> Text,
        department_id -> Nullable<Int8>,
        response -> Nullable<Text>,
        responded_by -> Nullable<Int8>,
        responded_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    units (id) {
        id -> Int8,
        name -> Text,
        code -> Nullable<Text>,
        kind -> Text,
        parent_id -> Nullable<Int8>,
        path -> Text,
        sort_order -> Int4,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        member_id -> Nullable<Int8>,
        status -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Int8,
        attempt -> Int4,
        status_code -> Nullable<Int4>,
        duration_ms -> Int4,
        error -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        webhook_id -> Int8,
        event_id -> Int8,
        status -> Text,
        attempts -> Int4,
        redeliveries -> Int4,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Int8,
        event_type -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Int8,
        url -> Text,
        description -> Nullable<Text>,
        event_types -> Array<Nullable<Text>>,
        secret_cipher -> Bytea,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        created_by -> Nullable<Int8>,
        created_by_client -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    wechat_access_tokens (appid) {
        appid -> Text,
        token_cipher -> Nullable<Bytea>,
        expires_at -> Nullable<Timestamptz>,
        refreshed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    wechat_binding_tickets (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
        used_at -> Timestamptz,
    }
}

diesel::table! {
    wechat_bindings (id) {
        id -> Int8,
        openid -> Text,
        unionid -> Nullable<Text>,
        member_id -> Int8,
        method -> Text,
        bound_at -> Timestamptz,
    }
}

diesel::table! {
    wechat_messages (id) {
        id -> Int8,
        member_id -> Int8,
        event -> Text,
        template_id -> Text,
        page -> Nullable<Text>,
        data -> Jsonb,
        dedupe_key -> Text,
        status -> Text,
        attempts -> Int4,
        errcode -> Nullable<Int4>,
        errmsg -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(api_clients -> users (created_by));
diesel::joinable!(audit_log -> api_clients (actor_client_id));
diesel::joinable!(audit_log -> users (actor_user_id));
diesel::joinable!(ballot_receipts -> delegates (delegate_id));
diesel::joinable!(ballot_receipts -> motions (motion_id));
diesel::joinable!(ballots -> motions (motion_id));
diesel::joinable!(check_ins -> delegates (delegate_id));
diesel::joinable!(check_ins -> users (recorded_by));
diesel::joinable!(congress_history -> congresses (congress_id));
diesel::joinable!(congress_history -> users (actor_user_id));
diesel::joinable!(congresses -> units (unit_id));
diesel::joinable!(delegates -> congresses (congress_id));
diesel::joinable!(delegates -> members (member_id));
diesel::joinable!(delegates -> units (delegation_unit_id));
diesel::joinable!(department_handlers -> departments (department_id));
diesel::joinable!(department_handlers -> users (user_id));
diesel::joinable!(dues -> members (member_id));
diesel::joinable!(dues -> users (created_by));
diesel::joinable!(evaluation_campaigns -> congresses (congress_id));
diesel::joinable!(evaluation_criteria -> evaluation_campaigns (campaign_id));
diesel::joinable!(evaluation_receipts -> delegates (delegate_id));
diesel::joinable!(evaluation_receipts -> evaluation_campaigns (campaign_id));
diesel::joinable!(evaluation_scores -> evaluation_criteria (criterion_id));
diesel::joinable!(evaluation_scores -> evaluation_sheets (sheet_id));
diesel::joinable!(evaluation_scores -> evaluation_targets (target_id));
diesel::joinable!(evaluation_sheets -> evaluation_campaigns (campaign_id));
diesel::joinable!(evaluation_targets -> departments (department_id));
diesel::joinable!(evaluation_targets -> evaluation_campaigns (campaign_id));
diesel::joinable!(honors -> members (member_id));
diesel::joinable!(member_history -> members (member_id));
diesel::joinable!(member_history -> users (actor_user_id));
diesel::joinable!(members -> units (unit_id));
diesel::joinable!(motion_history -> motions (motion_id));
diesel::joinable!(motion_history -> users (actor_user_id));
diesel::joinable!(motions -> congresses (congress_id));
diesel::joinable!(proposal_coproposers -> delegates (delegate_id));
diesel::joinable!(proposal_cosigners -> delegates (delegate_id));
diesel::joinable!(proposal_cosigners -> proposals (proposal_id));
diesel::joinable!(proposal_departments -> departments (department_id));
diesel::joinable!(proposal_departments -> proposals (proposal_id));
diesel::joinable!(proposal_history -> proposals (proposal_id));
diesel::joinable!(proposal_history -> users (actor_user_id));
diesel::joinable!(proposal_reminders -> proposals (proposal_id));
diesel::joinable!(proposal_replies -> departments (department_id));
diesel::joinable!(proposal_replies -> proposals (proposal_id));
diesel::joinable!(proposal_replies -> users (replied_by));
diesel::joinable!(proposals -> congresses (congress_id));
diesel::joinable!(proposals -> delegates (proposer_delegate_id));
diesel::joinable!(proposals -> suggestion_categories (category));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(role_grants -> units (unit_id));
diesel::joinable!(suggestions -> congresses (congress_id));
diesel::joinable!(suggestions -> departments (department_id));
diesel::joinable!(suggestions -> members (member_id));
diesel::joinable!(suggestions -> suggestion_categories (category));
diesel::joinable!(users -> members (member_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhooks -> api_clients (created_by_client));
diesel::joinable!(webhooks -> users (created_by));
diesel::joinable!(wechat_bindings -> members (member_id));
diesel::joinable!(wechat_messages -> members (member_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_clients,
    audit_log,
    ballot_receipts,
    ballots,
    check_ins,
    congress_history,
    congresses,
    delegates,
    department_handlers,
    departments,
    dues,
    evaluation_campaigns,
    evaluation_criteria,
    evaluation_receipts,
    evaluation_scores,
    evaluation_sheets,
    evaluation_targets,
    honors,
    idempotency_keys,
    jobs,
    login_failures,
    member_history,
    members,
    motion_history,
    motions,
    proposal_coproposers,
    proposal_cosigners,
    proposal_departments,
    proposal_history,
    proposal_reminders,
    proposal_replies,
    proposals,
    refresh_tokens,
    role_grants,
    suggestion_categories,
    suggestions,
    units,
    users,
    webhook_attempts,
    webhook_deliveries,
    webhook_events,
    webhooks,
    wechat_access_tokens,
    wechat_binding_tickets,
    wechat_bindings,
    wechat_messages,
);
