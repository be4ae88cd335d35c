DROP TRIGGER units_truncate_notify_principals ON units;
DROP TRIGGER units_path_notify_principals ON units;
DROP TRIGGER api_clients_truncate_notify_principals ON api_clients;
DROP TRIGGER api_clients_notify_principals ON api_clients;
DROP TRIGGER role_grants_truncate_notify_principals ON role_grants;
DROP TRIGGER role_grants_notify_principals ON role_grants;
DROP TRIGGER users_truncate_notify_principals ON users;
DROP TRIGGER users_notify_principals ON users;
DROP FUNCTION notify_principal_change();
