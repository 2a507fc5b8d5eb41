-- Sessions held on the server, so that logout, a password change or a removal ends them
-- everywhere. The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, last_seen_at);

-- An Admin's revoke of a member's key holds in that one workspace: the key keeps working in
-- the user's other workspaces.
CREATE TABLE api_key_revocations (
    id INTEGER PRIMARY KEY,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    revoked_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    revoked_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX api_key_revocations_by_key ON api_key_revocations (api_key_id, workspace_id);

-- An add-on acting with its token is named as the actor of what it did.
ALTER TABLE audit_log ADD COLUMN actor_addon_id BIGINT REFERENCES addons (id) ON DELETE SET NULL;
