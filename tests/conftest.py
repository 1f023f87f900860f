"""Shared fixtures: a migrated database in tmp_path, a frozen clock, a staffed shop.

Migrating a database takes a third of a second on SQLite and more on PostgreSQL;
hundreds of tests need one. So each test session (each xdist worker) migrates
one template per backend, and a test that uses ``desk`` gets a copy of it: the
SQLite file copied, a PostgreSQL ``CREATE DATABASE … TEMPLATE``. A test that
wants an empty database (migrations, ``open_desk`` itself) asks for ``db_url``
without ``desk`` and gets one.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from desk.domain.entities import Role
from desk.i18n import set_locale


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(scope="session", autouse=True)
def _own_data_and_config_dirs(tmp_path_factory):
    """The default data and config folders (backups of replaced files, desk.toml)
    are the session's own, never the developer's, and never shared by two xdist
    workers. A test that sets or removes them itself still does."""
    saved = {k: os.environ.get(k) for k in ("DESK_DATA_DIR", "DESK_CONFIG_DIR")}
    base = tmp_path_factory.mktemp("home")
    os.environ.setdefault("DESK_DATA_DIR", str(base / "data"))
    os.environ.setdefault("DESK_CONFIG_DIR", str(base / "config"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session", autouse=True)
def _pilot_idle_window():
    """Pilot waits after each key until the app is idle: the process used less
    than a twentieth of the CPU over a window. Textual's window is 20 ms and a
    key waits at least two of them; here it is 10 ms at the same ratio (idle is
    judged as strictly). It is what the tests wait for between keys, not what they
    assert: every check on a screen's state waits for that state (pilot.wait_for).
    Measured on 48 Pilot tests under -n 2, runs paired with the 20 ms window:
    0.91 of the time (median)."""
    from textual import _wait

    saved = _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE
    _wait.SLEEP_GRANULARITY = 1 / 100
    _wait.SLEEP_IDLE = _wait.SLEEP_GRANULARITY / 20.0
    yield
    _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = saved


@pytest.fixture(autouse=True)
def _heap_of_a_fresh_process():
    """Each test starts with the heap a terminal's own process has: what lives
    before it (modules, the session's fixtures, earlier tests' survivors) is frozen,
    as desk.shell.heap freezes a terminal's start-up heap, after the earlier tests'
    garbage is freed. Without it each app's idle full collection walked everything
    the worker had piled up (a quarter of a second each, an eighth of the suite's
    CPU); with it, the objects made since the test began, as in a real terminal."""
    gc.collect()
    gc.freeze()
    yield


@pytest.fixture(autouse=True)
def _english():
    set_locale("en")
    yield
    set_locale("en")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 9, 0))


PG_URL = os.environ.get("DESK_TEST_PG_URL", "")
#: Suites that run on every backend: the store, the services and reliability.
#: Everything else (the Textual tests under tests/functional, the benchmark smoke
#: test) runs on SQLite only: the screens never see the dialect.
BOTH_BACKENDS = ("tests/unit/", "tests/reliability/")
BACKENDS = ["sqlite", "postgresql"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_generate_tests(metafunc):
    """``db_url`` is one parametrised fixture over both backends for the store,
    service and reliability suites; every other test gets SQLite only."""
    path = str(metafunc.definition.path).replace("\\", "/")
    if not any(part in path for part in BOTH_BACKENDS):
        return
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", BACKENDS, indirect=True)
    if "module_db_url" in metafunc.fixturenames:
        metafunc.parametrize("module_db_url", BACKENDS, indirect=True, scope="module")
    # elsewhere: not parametrised (test ids and snapshot names stay as they are);
    # the fixture's default is SQLite


_DESELECTED: list = []


def _needs_pg(item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in (callspec.params.get("db_url"), callspec.params.get("module_db_url")):
        return True
    return "pg_url" in getattr(item, "fixturenames", ())


_NO_FONT: list = []


def _have_cjk_font() -> bool:
    from desk.output.pdf import find_cjk_font

    return bool(find_cjk_font()) and os.path.isfile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def pytest_collection_modifyitems(config, items):
    """On a machine without PostgreSQL (and not in CI) its variants are not run
    at all, and the summary says so; in CI they run, or fail loudly. Likewise the
    PDF tests marked ``cjk_font`` on a machine without a Chinese font."""
    if _in_ci():
        return
    drop = []
    if not PG_URL:
        _DESELECTED[:] = [i for i in items if _needs_pg(i)]
        drop += _DESELECTED
    if any(i.get_closest_marker("cjk_font") for i in items) and not _have_cjk_font():
        _NO_FONT[:] = [i for i in items if i.get_closest_marker("cjk_font") and i not in drop]
        drop += _NO_FONT
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [i for i in items if i not in drop]


def _not_run_notes(counts: dict[str, int] | None = None) -> list[str]:
    """What this machine does not run, and how to include it; nothing in CI, where
    everything runs or fails. ``counts`` (after the run) says how many; before
    the run, and under xdist (the workers deselect), the notes come without."""
    if _in_ci():
        return []
    from tests.browser.conftest import CHROMIUM, _have_chromium

    def many(key: str) -> str:
        return f"{counts[key]} " if counts is not None else ""

    notes = []
    if not PG_URL and (counts is None or counts["pg"]):
        notes.append(
            f"note: {many('pg')}PostgreSQL variants not run (DESK_TEST_PG_URL unset); "
            'run `eval "$(.ci/start-postgres)"` first to include them'
        )
    if not _have_cjk_font() and (counts is None or counts["font"]):
        notes.append(
            f"note: {many('font')}PDF tests not run: no Chinese font (and DejaVu) on this machine; "
            "`apt-get install -y fonts-wqy-microhei fonts-dejavu-core` (as .ci/run does) to include them"
        )
    if not _have_chromium() and (counts is None or counts["browser"]):
        notes.append(
            f"note: {many('browser')}browser tests not run ({CHROMIUM} missing); "
            "install it with `apt-get install -y chromium` (as .ci/run does)"
        )
    return notes


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session):
    """The notes at the start of the run, after the header (also with ``-q``,
    which hides it), not only after many minutes; once, not in every xdist worker."""
    yield
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(session.config, "workerinput"):
        return
    for line in _not_run_notes():
        reporter.write_line(line)


def pytest_terminal_summary(terminalreporter, config):
    from tests.browser.conftest import _DESELECTED as no_browser

    if getattr(config.option, "numprocesses", None):
        counts = None  # the workers deselected: no counts here
    else:
        counts = {"pg": len(_DESELECTED), "font": len(_NO_FONT), "browser": len(no_browser)}
    for line in _not_run_notes(counts):
        terminalreporter.write_line(line)


def pg_database_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def require_pg() -> None:
    """No PostgreSQL server: fail (never a silent pass). Outside CI the variants
    that need it are deselected at collection, so this is reached only in CI."""
    if PG_URL:
        return
    pytest.fail(
        "DESK_TEST_PG_URL is unset: the PostgreSQL variant of this test cannot run. "
        'Start a server with eval "$(.ci/start-postgres)" (as .ci/run does).',
        pytrace=False,
    )


@contextlib.contextmanager
def fresh_pg_database(template: str | None = None):
    """CREATE DATABASE desk_test_<random> on the test server (a copy of
    ``template`` when given); dropped afterwards."""
    import sqlalchemy as sa

    require_pg()
    name = "desk_test_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield pg_database_url(name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _migrate(url: str) -> None:
    from desk.store.db import make_engine, upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """A SQLite file migrated to the head, once per session (closed: no WAL left)."""
    path = tmp_path_factory.mktemp("template") / "desk.db"
    _migrate(f"sqlite:///{path}")
    assert not path.with_name("desk.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def _pg_template():
    """A PostgreSQL database migrated to the head, once per session."""
    with fresh_pg_database() as url:
        _migrate(url)
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def db_url(request, tmp_path):
    """A fresh database: a SQLite file, or a new PostgreSQL database. Empty, unless
    the test uses ``desk`` (which would migrate it): then a copy of the migrated
    template, the same schema without the migration's time."""
    migrated = "desk" in request.fixturenames
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "desk.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("_pg_template") if migrated else None
    with fresh_pg_database(template) as url:
        yield url


@pytest.fixture(scope="module")
def module_db_url(request, tmp_path_factory):
    """A fresh, empty database kept for a whole module (both backends, like
    ``db_url``): for data that a module's tests only read, made once."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module') / 'desk.db'}"
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file URL, for tests that only ever run on SQLite."""
    return f"sqlite:///{tmp_path / 'desk.db'}"


# ----------------------------------------------------------------------------- the demo shop, once per run
#
# ``desk demo`` takes 15–20 s (a third of it the scrypt hashes of the demo users'
# PINs). The tests that read a demo shop get a copy of one built once per run for
# each backend and size: by the real command (``python -m desk --db … demo``, in
# a process of its own, so no connection or state of it stays behind), under a
# file lock in a folder every xdist worker of the run shares, so that two workers
# never both build it. The command's exit code and output are kept with it, for
# the test that checks what ``desk demo`` prints.


class DemoRun(NamedTuple):
    """What ``desk demo`` said when it built the shop: exit code, stdout + stderr."""

    code: int
    output: str


@contextlib.contextmanager
def _file_lock(path: Path):
    """An exclusive ``flock`` on ``path`` across processes (xdist workers); none
    where there is no ``fcntl`` (Windows: each worker builds its own)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


#: In the run's shared folder: one file per PostgreSQL demo database the run
#: made, named after it; the run drops them at its end (pytest_sessionfinish).
_PG_DEMO_SUFFIX = ".pg-demo"


def _run_folder(tmp_path_factory) -> Path:
    """The folder shared by every xdist worker of this run: each worker's
    basetemp is ``<the run's basetemp>/popen-gwN``. Without xdist, the session's."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


class DemoShops:
    """``copy(url, visits=…, seed=…)``: the empty database at ``url`` (a SQLite
    file not yet there, or an empty PostgreSQL database) becomes a copy of the
    demo shop of that size, built on first use in the run; returns the
    :class:`DemoRun` of the command that built it (nothing is copied when it
    failed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def copy(self, url: str, *, visits: int, seed: int = 7) -> DemoRun:
        import json

        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        key = f"demo-{backend}-{visits}-{seed}"
        record = self.folder / f"{key}.json"
        # held while copying too: a PostgreSQL template must have no other user
        with _file_lock(self.folder / f"{key}.lock"):
            if not record.exists():
                built = self._build(key, backend, visits, seed)
                record.write_text(json.dumps(built), encoding="utf-8")
            built = json.loads(record.read_text(encoding="utf-8"))
            run = DemoRun(built["code"], built["output"])
            if run.code == 0:
                self._copy(built["source"], url, backend)
                self._bring_pin_key(self.folder / key)
        return run

    @staticmethod
    def _bring_pin_key(work: Path) -> None:
        """The demo's PINs were keyed in its own data folder: its key comes with
        the copy, as ``desk pin-key export/import`` brings a shop's."""
        from desk.store import pinkey

        for path in sorted((work / "data" / "anchors" / "pin-keys").glob("*.key")):
            for found in pinkey.read_export(path.read_text(encoding="ascii")):
                pinkey.add(found)

    def _demo(self, url: str, visits: int, seed: int, work: Path) -> tuple[int, str]:
        import subprocess
        import sys

        env = {**os.environ, "DESK_DATA_DIR": str(work / "data"), "DESK_LANG": "en"}
        done = subprocess.run(
            [sys.executable, "-m", "desk", "--db", url, "demo", "--visits", str(visits), "--seed", str(seed)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        return done.returncode, done.stdout + done.stderr

    def _build(self, key: str, backend: str, visits: int, seed: int) -> dict:
        work = self.folder / key
        work.mkdir()
        if backend == "sqlite":
            import sqlite3

            built = work / "desk.db"
            code, output = self._demo(f"sqlite:///{built}", visits, seed, work)
            source = self.folder / f"{key}.db"
            if code == 0:  # one self-contained file (no journal beside it) to copy
                with (
                    contextlib.closing(sqlite3.connect(built)) as src,
                    contextlib.closing(sqlite3.connect(source)) as dst,
                ):
                    src.backup(dst)
                assert not source.with_name(source.name + "-wal").exists()
            return {"code": code, "output": output, "source": str(source)}
        require_pg()
        import sqlalchemy as sa

        name = f"desk_demo_{uuid.uuid4().hex[:12]}"
        (self.folder / f"{name}{_PG_DEMO_SUFFIX}").touch()  # dropped at the run's end, even if this fails
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            admin.dispose()
        code, output = self._demo(pg_database_url(name), visits, seed, work)
        return {"code": code, "output": output, "source": name}

    @staticmethod
    def _copy(source: str, url: str, backend: str) -> None:
        if backend == "sqlite":
            target = Path(url.removeprefix("sqlite:///"))
            assert not target.exists(), f"{target}: a demo shop is copied only into a new database"
            shutil.copyfile(source, target)
            return
        import sqlalchemy as sa

        target = url.rsplit("/", 1)[1]
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as conn:  # the test's empty database, now a copy of the shop
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
                conn.exec_driver_sql(f"CREATE DATABASE {target} TEMPLATE {source}")
        finally:
            admin.dispose()


@pytest.fixture(scope="session")
def demo_shops(tmp_path_factory) -> DemoShops:
    return DemoShops(_run_folder(tmp_path_factory))


def pytest_sessionfinish(session):
    """The run's PostgreSQL demo shops are dropped once every worker is done:
    by the xdist controller, or by the one session without xdist."""
    if hasattr(session.config, "workerinput") or not PG_URL:
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    made = sorted(factory.getbasetemp().glob(f"*{_PG_DEMO_SUFFIX}"))
    if not made:
        return
    import sqlalchemy as sa

    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            for marker in made:
                conn.exec_driver_sql(
                    f"DROP DATABASE IF EXISTS {marker.name.removesuffix(_PG_DEMO_SUFFIX)} WITH (FORCE)"
                )
                marker.unlink()
    finally:
        admin.dispose()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database (fails in CI without a server, skips locally)."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def desk(db_url, clock):
    from desk.services import open_desk

    d = open_desk(db_url, clock=clock)
    yield d
    d.ctx.engine.dispose()


class Shop:
    """Named staff and one returning customer with a car."""

    def __init__(self, desk) -> None:
        self.desk = desk
        mk = lambda name, *roles: desk.people.user(desk.people.create_user(None, name, list(roles)))
        self.sa = mk("王丽", Role.ADVISOR)
        self.tech = mk("张强", Role.TECHNICIAN)
        self.tech2 = mk("Mike Ross", Role.TECHNICIAN)
        self.qc = mk("陈静", Role.QC)
        self.csr = mk("赵敏", Role.CSR)
        self.mgr = mk("周经理", Role.MANAGER)
        self.customer = desk.people.register_customer(
            self.sa, desk.people.customer_draft(name="李伟", phone="13812345678")
        )
        self.vehicle = desk.people.register_vehicle(
            self.sa,
            self.customer,
            desk.people.vehicle_draft(
                vin="1M8GDM9AXKP042788",
                plate="京A12345",
                make="Volkswagen",
                model="Passat",
                year=2019,
                odometer_km=42000,
                purchase_date=datetime(2019, 5, 1).date(),
            ),
        )


@pytest.fixture
def shop(desk) -> Shop:
    return Shop(desk)
