-- The health ladder: each attempt's named failure reason, each delivery's latest status (the
-- deliveries list filters on it), a webhook's health state and its attempt counts by 5 minutes
-- (the failure share of the last hour and day), and each user's choice about alert mails.
ALTER TABLE attempts ADD COLUMN reason TEXT;
-- The URL it went to (the webhook's may change later): Copy as curl repeats the request as sent.
ALTER TABLE attempts ADD COLUMN url TEXT;
-- A delivery's attempts in order, when it is expanded (and the cascade when it is pruned).
CREATE INDEX attempts_by_delivery ON attempts (delivery_id);

ALTER TABLE deliveries ADD COLUMN last_status TEXT;
-- The deliveries list reads each state's newest first by keyset on (created_at, id).
DROP INDEX deliveries_by_webhook;
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, state, created_at, id);

ALTER TABLE webhooks ADD COLUMN health TEXT NOT NULL DEFAULT 'HEALTHY';
ALTER TABLE webhooks ADD COLUMN health_since BIGINT;
-- Whether the current unhealthy spell has been mailed about (so its recovery is mailed too).
ALTER TABLE webhooks ADD COLUMN health_alerted BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE webhook_stats (
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The start of a 5-minute bucket (Unix ms).
    bucket BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    PRIMARY KEY (webhook_id, bucket)
);
CREATE INDEX webhook_stats_by_bucket ON webhook_stats (bucket);

ALTER TABLE users ADD COLUMN alert_mails BOOLEAN NOT NULL DEFAULT TRUE;
