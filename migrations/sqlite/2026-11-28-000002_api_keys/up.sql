-- API keys: only the SHA-256 of a key is stored, with a hint (`kh_…` + last 4) to recognise it.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hint TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    -- After a regeneration with a grace period, the old secret works until previous_valid_until.
    previous_secret_hash TEXT UNIQUE,
    previous_valid_until BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    UNIQUE (user_id, name)
);

-- Who did what to which key (and, later, webhook); never holds a secret.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    subject_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_by_subject ON audit_log (subject_user_id, created_at);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, created_at);
