-- A deleted webhook stops at once but its attempts stay for the audit until retention removes
-- them; the row goes with its last attempt.
ALTER TABLE webhooks ADD COLUMN deleted_at BIGINT;
-- The one-time token of the form that created the webhook: posting the same form twice
-- cannot create a second webhook.
ALTER TABLE webhooks ADD COLUMN create_token TEXT;
CREATE UNIQUE INDEX webhooks_create_token ON webhooks (create_token);
-- What the Webhooks list shows of each webhook's latest attempts, kept by the sender as it
-- records them, so the list costs one read whatever the number of attempts: the outcomes of
-- the last 20 (S or F, oldest first), and the latest one's status and time.
ALTER TABLE webhooks ADD COLUMN recent_outcomes TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN last_status TEXT;
ALTER TABLE webhooks ADD COLUMN last_attempt_at BIGINT;
