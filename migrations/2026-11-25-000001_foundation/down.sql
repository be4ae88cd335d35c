DROP TABLE audit_log;
DROP FUNCTION refuse_change();
DROP TABLE idempotency_keys;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE role_grants;
DROP TABLE users;
DROP TABLE units;
-- pg_trgm is left installed: other objects in the database may use it.
