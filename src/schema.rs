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
diesel::joinable!(dues -> members (member_id));
diesel::joinable!(dues -> users (created_by));
diesel::joinable!(honors -> members (member_id));
diesel::joinable!(member_history -> members (member_id));
diesel::joinable!(member_history -> users (actor_user_id));
diesel::joinable!(members -> units (unit_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(role_grants -> units (unit_id));
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
    dues,
    honors,
    idempotency_keys,
    jobs,
    login_failures,
    member_history,
    members,
    refresh_tokens,
    role_grants,
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
