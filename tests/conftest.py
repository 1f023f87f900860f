"""Shared fixtures: a migrated database in tmp_path, a frozen clock, a staffed shop."""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import datetime, timedelta

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
    if "db_url" not in metafunc.fixturenames:
        return
    path = str(metafunc.definition.path).replace("\\", "/")
    if any(part in path for part in BOTH_BACKENDS):
        metafunc.parametrize("db_url", BACKENDS, indirect=True)
    # elsewhere: not parametrised (test ids and snapshot names stay as they are);
    # the fixture's default is SQLite


_DESELECTED: list = []


def _needs_pg(item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("db_url") == "postgresql":
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


def pytest_terminal_summary(terminalreporter):
    if not PG_URL:
        terminalreporter.write_line(
            f"note: {len(_DESELECTED)} PostgreSQL variants not run (DESK_TEST_PG_URL unset); "
            'run `eval "$(.ci/start-postgres)"` first to include them'
        )
    if _NO_FONT:
        terminalreporter.write_line(
            f"note: {len(_NO_FONT)} PDF tests not run: no Chinese font (and DejaVu) on this machine; "
            "`apt-get install -y fonts-wqy-microhei fonts-dejavu-core` (as .ci/run does) to include them"
        )


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
def fresh_pg_database():
    """CREATE DATABASE desk_test_<random> on the test server; dropped afterwards."""
    import sqlalchemy as sa

    require_pg()
    name = "desk_test_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield pg_database_url(name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.db'}"
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file URL, for tests that only ever run on SQLite."""
    return f"sqlite:///{tmp_path / 'desk.db'}"


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
    d.engine.dispose()


class Shop:
    """Named staff and one returning customer with a car."""

    def __init__(self, desk) -> None:
        self.desk = desk
        mk = lambda name, *roles: desk.user(desk.create_user(None, name, list(roles)))  # noqa: E731
        self.sa = mk("王丽", Role.ADVISOR)
        self.tech = mk("张强", Role.TECHNICIAN)
        self.tech2 = mk("Mike Ross", Role.TECHNICIAN)
        self.qc = mk("陈静", Role.QC)
        self.csr = mk("赵敏", Role.CSR)
        self.mgr = mk("周经理", Role.MANAGER)
        self.customer = desk.register_customer(self.sa, name="李伟", phone="13812345678")
        self.vehicle = desk.register_vehicle(
            self.sa, customer_id=self.customer, vin="1M8GDM9AXKP042788", plate="京A12345",
            make="Volkswagen", model="Passat", year=2019, odometer_km=42000,
            purchase_date=datetime(2019, 5, 1).date(),
        )


@pytest.fixture
def shop(desk) -> Shop:
    return Shop(desk)
