DROP INDEX deliveries_due_by_webhook;
CREATE INDEX deliveries_due_by_webhook ON deliveries (webhook_id, next_attempt_at) WHERE state = 'PENDING';
