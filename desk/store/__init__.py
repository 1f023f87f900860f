"""Storage: SQLModel tables, engine, repository functions, audit log, migrations."""
