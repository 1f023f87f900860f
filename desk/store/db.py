"""Engine factory, per-connection pragmas, sessions and schema upgrades.

SQLite: WAL, synchronous=FULL, foreign keys on, a busy timeout, and write
transactions opened with ``BEGIN IMMEDIATE`` so two terminals never deadlock on a
read-then-write upgrade (the pysqlite default would start them deferred).
PostgreSQL: the same code through psycopg.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

BUSY_TIMEOUT_MS = 10_000

#: Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
WRITE = "desk_write"


def url_for(db: str | Path) -> str:
    """A SQLAlchemy URL for a ``--db`` argument: a URL as is, a path as SQLite."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, readonly: bool = False) -> Engine:
    """Create an engine with the pragmas every connection needs."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith("sqlite"):
        if url.startswith("postgresql+psycopg"):
            from desk.extras import require

            require("psycopg", "postgres")
        return sa.create_engine(url, pool_pre_ping=True)

    connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    if readonly:
        path = url.split("///", 1)[1]
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    engine = sa.create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no branch - event hook
        # Take transaction control away from pysqlite: we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not readonly:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no branch - event hook
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    bound = engine.execution_options(**{WRITE: True})
    with Session(bound, expire_on_commit=False) as session:
        with session.begin():
            yield session


@contextlib.contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read: closing the session ends its transaction; loaded rows stay usable
    (detached, not expired)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


# ----------------------------------------------------------------------------- schema

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@functools.lru_cache(maxsize=1)
def revision_graph() -> dict[str, str | None]:
    """revision -> down_revision, read from the migration files' text.

    Start-up only needs to know whether the database is at the head; importing
    Alembic and its script directory for that costs a tenth of a second, so the
    files are read as text (a test checks this agrees with Alembic)."""
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        rev = _REVISION.search(text)
        if rev is None:
            continue
        down = _DOWN_REVISION.search(text)
        graph[rev.group(1)] = down.group(2) if down and down.group(2) else None
    return graph


_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(['\"]([^'\"]+)['\"]|None)", re.M)


def head_revision() -> str:
    graph = revision_graph()
    heads = set(graph) - {down for down in graph.values() if down}
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory  # branches: let Alembic decide

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def known_revisions() -> set[str]:
    return set(revision_graph())


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: not created by desk yet)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) == 1:
        return rows[0]
    from alembic.runtime.migration import MigrationContext  # several heads: Alembic's rules

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
