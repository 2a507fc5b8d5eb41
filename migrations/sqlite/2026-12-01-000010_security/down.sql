ALTER TABLE audit_log DROP COLUMN actor_addon_id;
DROP TABLE api_key_revocations;
DROP TABLE sessions;
