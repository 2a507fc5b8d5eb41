DROP INDEX webhooks_create_token;
ALTER TABLE webhooks DROP COLUMN create_token;
ALTER TABLE webhooks DROP COLUMN deleted_at;
