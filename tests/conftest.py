"""Shared fixtures: a migrated database in tmp_path, a frozen clock, a staffed shop."""

from __future__ import annotations

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


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'desk.db'}"


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
