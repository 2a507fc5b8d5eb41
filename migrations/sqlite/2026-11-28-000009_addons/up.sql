-- Marketplace add-ons installed in a workspace. The installation token is stored as its
-- SHA-256 only; the lifecycle signing secret sealed, like webhook secrets. An uninstalled
-- add-on keeps its row (its webhooks keep their attempts for the audit) and may be installed
-- again: only one live installation per key and workspace.
CREATE TABLE addons (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    addon_key TEXT NOT NULL,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    manifest TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    secret_sealed TEXT NOT NULL,
    installed_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    installed_at BIGINT NOT NULL,
    uninstalled_at BIGINT
);
CREATE UNIQUE INDEX addons_live_by_key ON addons (workspace_id, addon_key) WHERE uninstalled_at IS NULL;
ALTER TABLE webhooks ADD COLUMN addon_id BIGINT REFERENCES addons (id);
CREATE INDEX webhooks_by_addon ON webhooks (addon_id) WHERE addon_id IS NOT NULL;
