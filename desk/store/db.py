"""Engine factory, per-connection pragmas, sessions and schema upgrades.

SQLite, several terminals on one file. The journal depends on the library:

* a library with the WAL-reset fix (3.51.3, or the back-ports 3.44.6 / 3.50.7;
  :func:`desk.store.health.sqlite_version_ok`): WAL. Readers never wait for a
  writer; commits are the cheapest.
* an affected library (this machine's 3.40.1; no wheel brings a fixed one to
  Python's ``sqlite3``): the rollback journal (``journal_mode=DELETE``), which the
  WAL-reset race cannot touch. Several processes share the file safely; the price
  is that a reader waits while a commit writes (milliseconds, the busy timeout
  covers it) and a commit costs an extra fsync or two. A file still in WAL mode is
  switched once, when no other connection has it open
  (:func:`use_rollback_journal`, which waits and names who has it open).

Both: ``synchronous=FULL``, foreign keys on, a busy timeout, and write
transactions opened with ``BEGIN IMMEDIATE`` so writers queue instead of
deadlocking on a read-then-write upgrade (the pysqlite default would start them
deferred). Every connection announces itself in the presence file
(:mod:`desk.store.presence`), so a restore knows who still has the file open.
PostgreSQL: the same code through psycopg.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

from desk.domain.errors import StoreBusy
from desk.i18n import N_
from desk.store import faults, health, presence, text_guard, writing

# the schema's revisions, read from the migration files' text (no Alembic, no SQLAlchemy)
from desk.store.revisions import alembic_config, head_revision, known_revisions, revision_graph  # noqa: F401

BUSY_TIMEOUT_MS = 10_000

#: Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
WRITE = "desk_write"


def url_for(db: str | Path) -> str:
    """A SQLAlchemy URL for a ``--db`` argument: a URL as is, a path as SQLite."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def journal_mode() -> str:
    """The journal every connection of this process uses on SQLite (see above)."""
    return "wal" if health.sqlite_version_ok() else "delete"


def is_wal_file(path: Path) -> bool:
    """The file's header says WAL (bytes 18-19 are 2), whatever opened it last."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return head.startswith(health.SQLITE_HEADER) and head[18:20] == b"\x02\x02"


SWITCHING = N_(
    "This SQLite library ({version}) cannot share a WAL database safely: desk switches it to a "
    "rollback journal as soon as no one else has it open. Waiting for: {holders}"
)


def use_rollback_journal(
    path: Path, *, wait: float = 0.0, on_wait: Callable[[StoreBusy], object] | None = None
) -> bool:
    """On an affected library, switch a WAL file to the rollback journal.

    Needs the file alone: while another connection has it open this waits (up to
    ``wait`` seconds; ``on_wait(StoreBusy)`` is called each time round, to say
    so), then raises StoreBusy naming the holders. True when it switched."""
    if health.sqlite_version_ok() or not is_wal_file(path) or not os.access(path.parent, os.W_OK):
        return False
    deadline = time.monotonic() + wait
    while True:
        try:
            with presence.alone(path):
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode=DELETE").fetchone()  # checkpoints, removes the -wal
                except sqlite3.OperationalError as exc:
                    if faults.is_locked(exc):  # a program that does not announce itself has it open
                        raise StoreBusy(presence.HELD_UNKNOWN) from None
                    raise faults.from_exception(exc, path=path) from None
                finally:
                    conn.close()
            return True
        except StoreBusy as exc:
            held = StoreBusy(
                SWITCHING,
                {"version": sqlite3.sqlite_version, "holders": "; ".join(exc.holders) or "another program"},
                holders=exc.holders,
            )
            if time.monotonic() >= deadline:
                raise held from None
            if on_wait is not None:
                on_wait(held)
            time.sleep(0.5)


def make_engine(url: str, *, readonly: bool = False) -> Engine:
    """Create an engine with the pragmas every connection needs.

    ``readonly``: opened with ``mode=ro`` (the commands that only read work on a
    read-only file or folder); in a folder nobody can write, also ``immutable``,
    since SQLite could not create a lock file or a -shm there."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith("sqlite"):
        if url.startswith("postgresql+psycopg"):
            from desk.extras import require

            require("psycopg", "postgres")
        return sa.create_engine(url, pool_pre_ping=True)

    connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    path = health.sqlite_path(url)
    if readonly and path is not None:
        flags = "mode=ro"
        if health.immutable_ok(path):
            flags += "&immutable=1"
        url = f"sqlite:///file:{path}?{flags}&uri=true"
    engine = sa.create_engine(url, connect_args=connect_args)
    journal = journal_mode()

    if path is not None:

        @event.listens_for(engine, "do_connect")
        def _announce(_dialect: object, record: ConnectionPoolEntry, _cargs: object, _cparams: object) -> None:
            record.info["presence"] = presence.join(path)

        @event.listens_for(engine, "close")
        def _leave(_dbapi_conn: object, record: ConnectionPoolEntry) -> None:
            held = record.info.pop("presence", None)
            if held is not None:
                held.close()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from pysqlite: we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not readonly:
            try:
                cur.execute(f"PRAGMA journal_mode={journal}")
            except sqlite3.OperationalError as exc:
                # WAL -> rollback needs the file alone: open_desk switches it first
                # (waiting for the others); a connection made without that says so
                if not faults.is_locked(exc) or path is None:
                    raise
                cur.close()
                dbapi_conn.close()
                raise StoreBusy(
                    SWITCHING,
                    {
                        "version": sqlite3.sqlite_version,
                        "holders": "; ".join(presence.names(presence.holders(path))) or "another program",
                    },
                ) from None
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def building(engine: Engine) -> Iterator[None]:
    """A new SQLite shop filled by one program (``desk demo``): its many commits
    are not each waited to the disk (``synchronous=OFF``); the whole file is, once,
    at the end (a crash half-way leaves a half-made demo, made again). Elsewhere,
    and on PostgreSQL, nothing changes."""
    path = health.sqlite_path(str(engine.url)) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return

    def _no_wait(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA synchronous=OFF")

    engine.dispose()  # every connection from here on is made with the listener
    event.listen(engine, "connect", _no_wait)
    try:
        yield
    finally:
        event.remove(engine, "connect", _no_wait)
        engine.dispose()
        with engine.connect() as conn:  # synchronous=FULL again: the checkpoint syncs the file
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())


@contextlib.contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    bound = engine.execution_options(**{WRITE: True})
    with writing.one(), Session(bound, expire_on_commit=False) as session:
        text_guard.guard(session)  # nothing unstorable is written, whoever wrote it
        with session.begin():
            yield session


@contextlib.contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read: closing the session ends its transaction; loaded rows stay usable
    (detached, not expired)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


# ----------------------------------------------------------------------------- schema


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: not created by desk yet)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) == 1:
        return str(rows[0])
    from alembic.runtime.migration import MigrationContext  # several heads: Alembic's rules

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with writing.one():
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
