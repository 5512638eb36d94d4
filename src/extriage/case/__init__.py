"""One case for many servers: every scan, probe and mitigation result of an incident in one database
(SQLite file or PostgreSQL), the fleet's priorities and shared indicators, and the commands on it."""
