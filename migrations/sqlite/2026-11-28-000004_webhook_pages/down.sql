ALTER TABLE webhooks DROP COLUMN last_attempt_at;
ALTER TABLE webhooks DROP COLUMN last_status;
ALTER TABLE webhooks DROP COLUMN recent_outcomes;
DROP INDEX webhooks_create_token;
ALTER TABLE webhooks DROP COLUMN create_token;
ALTER TABLE webhooks DROP COLUMN deleted_at;
