-- Webhooks, their deliveries (one per event and webhook) and every attempt to send one.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    event_type TEXT NOT NULL,
    trigger_source_type TEXT NOT NULL,
    -- JSON array of public ids; empty for WORKSPACE_ID.
    trigger_source TEXT NOT NULL,
    -- Secrets are AES-GCM sealed with the encryption key; the previous secret signs too
    -- until previous_secret_until.
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_secret_until BIGINT,
    auth_token_sealed TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    plan_enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    disabled_at BIGINT,
    -- When the current run of failures began; NULL after a success.
    failing_since BIGINT,
    kind TEXT NOT NULL DEFAULT 'USER_CREATED',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_by_workspace_event ON webhooks (workspace_id, event_type);

-- Test sends carry a sample payload; they are never offered to other webhooks.
ALTER TABLE events ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    -- The Standard Webhooks `webhook-id`: the same on every retry and resend.
    message_id TEXT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- EVENT, TEST or RESEND: what the first attempt is recorded as.
    trigger TEXT NOT NULL,
    -- PENDING until it succeeds (SUCCEEDED) or runs out of attempts (FAILED).
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Event deliveries follow the retry schedule; tests and resends are tried once.
    retries BOOLEAN NOT NULL,
    next_attempt_at BIGINT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'PENDING';
-- Due deliveries per webhook: the sender claims webhook by webhook, each up to its bound.
CREATE INDEX deliveries_due_by_webhook ON deliveries (webhook_id, next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, state, created_at);
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- EVENT (first try), RETRY, TEST or RESEND.
    trigger TEXT NOT NULL,
    attempted_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    status_code INTEGER,
    -- dns, connect, timeout, tls, http, ssrf, or NULL on success.
    error_class TEXT,
    error_detail TEXT,
    request_headers TEXT NOT NULL,
    request_body TEXT NOT NULL,
    response_headers TEXT,
    response_body TEXT,
    response_body_base64 BOOLEAN NOT NULL DEFAULT FALSE
);
-- Newest attempts of a webhook first, keyset-paginated by (attempted_at, id).
CREATE INDEX attempts_by_webhook ON attempts (webhook_id, attempted_at, id);
CREATE INDEX attempts_by_time ON attempts (attempted_at);
