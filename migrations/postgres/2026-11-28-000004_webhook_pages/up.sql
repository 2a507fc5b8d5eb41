-- A deleted webhook stops at once but its attempts stay for the audit until retention removes
-- them; the row goes with its last attempt.
ALTER TABLE webhooks ADD COLUMN deleted_at BIGINT;
-- The one-time token of the form that created the webhook: posting the same form twice
-- cannot create a second webhook.
ALTER TABLE webhooks ADD COLUMN create_token TEXT;
CREATE UNIQUE INDEX webhooks_create_token ON webhooks (create_token);
