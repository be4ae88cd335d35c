-- The principal cache (src/auth/cache.rs) keeps loaded users (with their grants and the
-- paths of the granted units) and API clients in memory on every instance. These triggers
-- tell every instance at once, through NOTIFY on channel `gonghui_principals` (delivered
-- when the change commits), which entry to drop: {"user": id}, {"client": id} or
-- {"all": true}. Whoever makes the change — the API, another instance, a hand-written SQL
-- fix — the caches follow.

CREATE FUNCTION notify_principal_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' OR TG_TABLE_NAME = 'units' THEN
        -- TRUNCATE, or a unit's path changed (grants carry unit paths): drop everything.
        PERFORM pg_notify('gonghui_principals', json_build_object('all', true)::text);
    ELSIF TG_TABLE_NAME = 'users' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('gonghui_principals', json_build_object('user', OLD.id)::text);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('gonghui_principals', json_build_object('user', NEW.id)::text);
        END IF;
    ELSIF TG_TABLE_NAME = 'role_grants' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('gonghui_principals', json_build_object('user', OLD.user_id)::text);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('gonghui_principals', json_build_object('user', NEW.user_id)::text);
        END IF;
    ELSIF TG_TABLE_NAME = 'api_clients' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('gonghui_principals', json_build_object('client', OLD.id)::text);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('gonghui_principals', json_build_object('client', NEW.id)::text);
        END IF;
    ELSE
        PERFORM pg_notify('gonghui_principals', json_build_object('all', true)::text);
    END IF;
    RETURN NULL;
END
$$;

-- Identical payloads within one transaction are delivered once, so a bulk change costs one
-- notification per user or client (one in all for unit moves).
CREATE TRIGGER users_notify_principals AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER users_truncate_notify_principals AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER role_grants_notify_principals AFTER INSERT OR UPDATE OR DELETE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER role_grants_truncate_notify_principals AFTER TRUNCATE ON role_grants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER api_clients_notify_principals AFTER INSERT OR UPDATE OR DELETE ON api_clients
    FOR EACH ROW EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER api_clients_truncate_notify_principals AFTER TRUNCATE ON api_clients
    FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER units_path_notify_principals AFTER UPDATE OF path ON units
    FOR EACH ROW WHEN (OLD.path IS DISTINCT FROM NEW.path) EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER units_truncate_notify_principals AFTER TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION notify_principal_change();
