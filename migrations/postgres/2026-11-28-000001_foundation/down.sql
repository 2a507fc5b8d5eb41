DROP TABLE events;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE workspaces;
