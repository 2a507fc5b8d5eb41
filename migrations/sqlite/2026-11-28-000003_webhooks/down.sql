DROP TABLE attempts;
DROP TABLE deliveries;
ALTER TABLE events DROP COLUMN test;
DROP TABLE webhooks;
