"""Read models in plain SQL: today's board, the users, the shop's stored settings.

These are the reads the first screen needs, written once, over any DB-API
connection: the app runs them with ``sqlite3`` before SQLAlchemy, SQLModel and
the services are imported (:func:`early_start`), so the board is on screen while
the rest loads (issue 16); the services run the very same functions on their
engine's connection afterwards (``BookingService.board``, ``PeopleService.users``,
``SecurityService.pin_users``). Nothing here imports SQLAlchemy.

Values come back as the driver gives them: SQLite stores datetimes as text
(``YYYY-MM-DD HH:MM:SS.ffffff``, SQLAlchemy's format, which the parameters
follow too) and booleans as integers; PostgreSQL returns typed values.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desk.domain import schedule as sched
from desk.domain.entities import Role, User, VisitRef
from desk.domain.process import Stage

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from desk.config import Settings


@dataclass(frozen=True)
class BoardRow:
    """One appointment/visit on the appointment board."""

    ref: VisitRef
    number: str
    time: datetime | None
    stage: str
    customer: str
    phone: str
    plate: str
    vehicle: str
    concern: str
    advisor: str
    vip: bool
    special_note: str
    comeback: bool
    new_customer: bool
    late: bool
    arrived: bool
    reminder_due: bool
    walk_in: bool
    #: The late call was made (APPT-10): the board no longer asks for it.
    late_called: bool = False

    @property
    def visit_id(self) -> int:
        return self.ref.id


class Reader:
    """Runs SQL written with ``?`` placeholders on one DB-API connection."""

    def __init__(self, execute: Callable[[str, tuple], Sequence[tuple]], *, sqlite: bool) -> None:
        self._execute = execute
        self.sqlite = sqlite

    @classmethod
    def of_sqlite(cls, conn: sqlite3.Connection) -> Reader:
        return cls(lambda sql, params: conn.execute(sql, params).fetchall(), sqlite=True)

    @classmethod
    def of_connection(cls, conn: Connection) -> Reader:
        """A SQLAlchemy ``Connection`` (the services' engine): the driver's own SQL."""
        sqlite = conn.dialect.name == "sqlite"

        def execute(sql: str, params: tuple[Any, ...]) -> Sequence[tuple[Any, ...]]:
            return [
                tuple(r) for r in conn.exec_driver_sql(sql if sqlite else sql.replace("?", "%s"), params).fetchall()
            ]

        return cls(execute, sqlite=sqlite)

    def rows(self, sql: str, *params: Any) -> Sequence[tuple]:
        return self._execute(sql, tuple(self._param(p) for p in params))

    def _param(self, value: Any) -> Any:
        if self.sqlite and isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.sqlite and isinstance(value, date):
            return value.isoformat()
        return value

    @staticmethod
    def when(value: datetime | str | None) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value)

    @staticmethod
    def marks(n: int) -> str:
        return ", ".join("?" * n)


# ----------------------------------------------------------------------------- users


USERS_SQL = 'SELECT id, name, roles, active, pin_hash IS NOT NULL FROM "user" ORDER BY id'


def users(reader: Reader) -> list[User]:
    """Every user, in creation order."""
    return [_user(row) for row in reader.rows(USERS_SQL)]


def pin_user_ids(reader: Reader) -> set[int]:
    """Ids of the users who have a PIN."""
    return {row[0] for row in reader.rows(USERS_SQL) if row[4]}


def _user(row: Sequence[Any]) -> User:
    uid, name, roles, active, _pin = row
    return User(id=uid, name=name, roles=frozenset(Role(r) for r in roles.split(",") if r), active=bool(active))


# ----------------------------------------------------------------------------- settings


def stored_settings(reader: Reader) -> dict[str, str]:
    """The shop's stored settings (key -> text), over desk.toml's."""
    return dict(reader.rows("SELECT key, value FROM shop_setting"))


# ----------------------------------------------------------------------------- the board


DAY_VISITS_SQL = (
    "SELECT v.id, v.version, v.number, v.appointment_at, v.arrived_at, v.stage, v.advisor_id, "
    "v.comeback_of_id, v.walk_in, v.vehicle_id, c.name, c.phone, c.vip, c.special_note, "
    "h.id, h.plate, h.make, h.model "
    "FROM visit v JOIN customer c ON c.id = v.customer_id JOIN vehicle h ON h.id = v.vehicle_id "
    "WHERE v.day = ? ORDER BY coalesce(v.appointment_at, v.arrived_at), v.id"
)


def board(reader: Reader, day: date, *, now: datetime, late_after_minutes: int) -> list[BoardRow]:
    """The appointment board of one day: one indexed query plus four small ones
    over that day's visits."""
    rows = reader.rows(DAY_VISITS_SQL, day)
    names = {u.id: u.name for u in users(reader)}
    ids = [r[0] for r in rows]
    first_concern: dict[int, str] = {}
    due: set[int] = set()
    called: set[int] = set()
    earlier: set[int] = set()
    if ids:
        for vid, text in reader.rows(
            f"SELECT visit_id, text FROM concern WHERE visit_id IN ({reader.marks(len(ids))}) ORDER BY id", *ids
        ):
            first_concern.setdefault(vid, text)
        due = {
            r[0]
            for r in reader.rows(
                f"SELECT visit_id FROM reminder WHERE visit_id IN ({reader.marks(len(ids))}) AND done_at IS NULL "
                "AND due_at <= ? AND kind != ?",
                *ids,
                now,
                sched.LATE,
            )
        }
        called = {
            r[0]
            for r in reader.rows(
                f"SELECT visit_id FROM reminder WHERE visit_id IN ({reader.marks(len(ids))}) AND done_at IS NOT NULL "
                "AND kind = ?",
                *ids,
                sched.LATE,
            )
        }
        vehicles = sorted({r[9] for r in rows})
        earlier = {
            r[0]
            for r in reader.rows(
                f"SELECT DISTINCT vehicle_id FROM visit WHERE vehicle_id IN ({reader.marks(len(vehicles))}) "
                "AND arrived_at IS NOT NULL AND day < ?",
                *vehicles,
                day,
            )
        }
    out = []
    for (
        vid,
        version,
        number,
        appointment_at,
        arrived_at,
        stage,
        advisor_id,
        comeback_of_id,
        walk_in,
        vehicle_id,
        customer,
        phone,
        vip,
        special_note,
        veh_id,
        plate,
        make,
        model,
    ) in rows:
        appointment_at, arrived_at = reader.when(appointment_at), reader.when(arrived_at)
        late = (
            stage == Stage.BOOKED
            and appointment_at is not None
            and now >= sched.late_due(appointment_at, late_after_minutes)
        )
        out.append(
            BoardRow(
                ref=VisitRef(vid, version),
                number=number,
                time=appointment_at or arrived_at,
                stage=stage,
                customer=customer,
                phone=phone,
                plate=plate,
                vehicle=f"{make} {model}".strip(),
                concern=first_concern.get(vid, ""),
                advisor=names.get(advisor_id, ""),
                vip=bool(vip),
                special_note=special_note,
                comeback=comeback_of_id is not None,
                new_customer=veh_id not in earlier and vehicle_id not in earlier,
                late=late,
                arrived=arrived_at is not None,
                # a reminder leaves once the appointment time has passed (sched.task_open)
                reminder_due=vid in due and stage == Stage.BOOKED and (appointment_at is None or now < appointment_at),
                walk_in=bool(walk_in),
                late_called=vid in called,
            )
        )
    return out


# ----------------------------------------------------------------------------- start-up


@dataclass(frozen=True)
class Early:
    """What the first screen needs, read before the services are loaded."""

    users: list[User]
    pin_users: set[int]
    stored: dict[str, str]
    day: date
    board: list[BoardRow]


def early_start(url: str, *, now: datetime, base_settings: Settings) -> Early | None:
    """The users, the shop's settings and today's board of a SQLite shop that is
    ready to use as it is, read with ``sqlite3`` alone; None whenever anything
    needs the full opening (not SQLite, a new or damaged file, a schema to
    migrate, a WAL file to switch): the services then open it and say why."""
    from desk.domain import setup as rules
    from desk.store import health
    from desk.store.revisions import head_revision

    path = health.sqlite_path(url)
    if path is None or not isinstance(path, Path) or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
        if not head.startswith(health.SQLITE_HEADER):
            return None
        if head[18:20] == b"\x02\x02" and not health.sqlite_version_ok():
            return None  # WAL on an affected library: switched first (desk.store.db)
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=1, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error):
        return None
    try:
        reader = Reader.of_sqlite(conn)
        conn.execute("BEGIN")  # one snapshot for all of it
        version = reader.rows("SELECT version_num FROM alembic_version")
        if [r[0] for r in version] != [head_revision()]:
            return None
        stored = stored_settings(reader)
        settings = rules.settings_over(base_settings, stored)
        everyone = users(reader)
        return Early(
            users=[u for u in everyone if u.active],
            pin_users=pin_user_ids(reader),
            stored=stored,
            day=now.date(),
            board=board(reader, now.date(), now=now, late_after_minutes=settings.late_after_minutes),
        )
    except (sqlite3.Error, ValueError, KeyError):
        return None  # anything odd: the full opening finds it and says what it is
    finally:
        conn.close()
