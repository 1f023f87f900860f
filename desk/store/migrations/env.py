"""Alembic environment: runs on the engine the app hands over (no alembic.ini).

SQLite needs batch mode (ALTER TABLE is limited) and foreign keys off while a
table is rebuilt; both are restored afterwards.
"""

from alembic import context
from sqlmodel import SQLModel

from desk.store import models  # noqa: F401 - registers the tables on the metadata
from desk.store.db import WRITE

config = context.config
engine = config.attributes["engine"]
sqlite = engine.dialect.name == "sqlite"

with engine.execution_options(**{WRITE: True}).connect() as conn:
    if sqlite:
        conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=conn,
        target_metadata=SQLModel.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    conn.commit()
    if sqlite:
        conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
