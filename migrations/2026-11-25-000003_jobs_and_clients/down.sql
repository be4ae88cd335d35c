DROP INDEX audit_log_actor_client_idx;
ALTER TABLE audit_log DROP COLUMN actor_client_id;
DROP TABLE api_clients;
DROP TABLE jobs;
