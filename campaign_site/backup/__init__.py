"""Backups that restore: `flask backup create | verify | restore`, on SQLite and PostgreSQL,
from either engine to either engine. Sealed columns stay sealed; no key is ever written."""
