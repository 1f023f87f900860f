"""A dealer group for the tests: head office and stores, each a database of its
own on its own PostgreSQL cluster started by ``.ci/start-group`` (as .ci/run
does). Tests share the clusters (each has its own databases) and run in one
xdist worker, one after another: some stop a cluster or change its settings. Without those clusters the tests are skipped with a note, except in CI,
where they fail."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

NODES = ("HQ", "STORE1", "STORE2", "STORE3")
URLS = {n: os.environ.get(f"DESK_TEST_GROUP_{n}_URL", "") for n in NODES}
GROUP_DIR = os.environ.get("DESK_TEST_GROUP_DIR", "")
GROUP_BIN = os.environ.get("DESK_TEST_GROUP_BIN", "")


def require_group() -> None:
    if all(URLS.values()) and GROUP_DIR and GROUP_BIN:
        return
    note = (
        "the dealer-group clusters are not running (DESK_TEST_GROUP_HQ_URL unset): "
        'start them with eval "$(.ci/start-group)" (as .ci/run does)'
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(note, pytrace=False)
    pytest.skip(note)


def eventually(check: Callable[[], object], *, seconds: float = 30.0, what: str = "condition"):
    """``check()``'s first truthy value, polled until a deadline: replication
    arrives in its own time; a link that never delivers fails the test."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {seconds} s (last: {value!r})")
        time.sleep(0.1)


def _as_postgres(*args: str) -> None:
    cmd = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
    subprocess.run(cmd, check=True, capture_output=True)


class Node:
    """One cluster of the group and the test's database on it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.admin_url = URLS[name]
        self.db = "desk_grp_" + uuid.uuid4().hex[:10]
        self.url = self.admin_url.rsplit("/", 1)[0] + "/" + self.db
        self.data = os.path.join(GROUP_DIR, name.lower())
        self.desk = None

    def admin(self, sql: str) -> None:
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def open(self, clock):
        from desk.services import open_desk

        self.admin(f"CREATE DATABASE {self.db}")
        self.desk = open_desk(self.url, clock=clock)
        return self.desk

    def sql(self, statement: str, params: dict | None = None):
        """Rows of a statement on the test's database (committed)."""
        with self.desk.ctx.engine.begin() as conn:
            result = conn.execute(sa.text(statement), params or {})
            return result.all() if result.returns_rows else None

    def stop(self) -> None:
        self.desk.ctx.engine.dispose()
        _as_postgres(f"{GROUP_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def start(self) -> None:
        _as_postgres(f"{GROUP_BIN}/pg_ctl", "-D", self.data, "-l", self.data + ".log", "-w", "start")

    def running(self) -> bool:
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def close(self) -> None:
        if self.desk is not None:
            self.desk.ctx.engine.dispose()
            if self.name != "HQ":  # drops its slot at head office too
                for (sub,) in self.sql(
                    "SELECT subname FROM pg_subscription WHERE subdbid = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ):
                    self.admin_in_db(f"DROP SUBSCRIPTION {sub}")
            self.desk.ctx.engine.dispose()
        self.admin(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")

    def admin_in_db(self, sql: str) -> None:
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()


class Group:
    """Head office and the stores a test asks for, each opened (and migrated) on first use."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.nodes: dict[str, Node] = {}

    def node(self, name: str) -> Node:
        if name not in self.nodes:
            node = Node(name)
            self.nodes[name] = node
            node.open(self.clock)
        return self.nodes[name]

    @property
    def hq(self) -> Node:
        return self.node("HQ")

    def store(self, n: int) -> Node:
        return self.node(f"STORE{n}")

    def close(self) -> None:
        for node in self.nodes.values():
            if not node.running():
                node.start()
        # the stores first: dropping a subscription drops its slot at head office
        for name in sorted(self.nodes, key=lambda n: n == "HQ"):
            self.nodes[name].close()


@pytest.fixture
def group(clock):
    require_group()
    made = Group(clock)
    try:
        yield made
    finally:
        made.close()
