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
);
