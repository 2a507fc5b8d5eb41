DROP TABLE tags;
DROP TABLE clients;
