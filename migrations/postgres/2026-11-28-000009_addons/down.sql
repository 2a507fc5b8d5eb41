DROP INDEX webhooks_by_addon;
ALTER TABLE webhooks DROP COLUMN addon_id;
DROP TABLE addons;
