-- A webhook's due deliveries in the order they are claimed (due time, then id), so a claim or
-- a due-probe is one bounded scan of this index, never a sort of the webhook's backlog.
DROP INDEX deliveries_due_by_webhook;
CREATE INDEX deliveries_due_by_webhook ON deliveries (webhook_id, next_attempt_at, id) WHERE state = 'PENDING';
