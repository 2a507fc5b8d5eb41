-- Mails keyhook sends (health alerts, invitations, password resets), kept until sent: a crash
-- loses none, and a mail server that fails delays them without blocking anything else.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    -- One mail per cause and recipient, whichever instance wrote it first.
    dedup_key TEXT NOT NULL UNIQUE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- NULL once sent or given up on.
    next_attempt_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- Forgotten passwords: a one-time link, stored hashed, valid an hour, used once.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id, created_at);
