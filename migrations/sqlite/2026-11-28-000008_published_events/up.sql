-- Idempotency keys of the event publishing endpoint: the same key within 24 hours answers the
-- first answer again and publishes nothing new.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    -- The first answer, replayed.
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX idempotency_keys_by_key ON idempotency_keys (workspace_id, idempotency_key);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
