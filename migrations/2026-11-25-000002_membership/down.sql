DROP TABLE dues;
DROP TABLE honors;
DROP TABLE member_history;
DROP INDEX users_member_id_key;
ALTER TABLE users DROP CONSTRAINT users_member_id_fkey;
DROP TABLE members;
DROP FUNCTION refuse_member_delete();
