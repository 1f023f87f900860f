"""A dealer group over PostgreSQL's own logical replication.

Head office publishes the standard (``desk.domain.group``) as one publication,
:data:`PUBLICATION`; each store subscribes to it with a subscription of its own
(:func:`desk.domain.group.link_name`), which is also the name of its replication
slot at head office. Nothing here copies rows itself: PostgreSQL does, with its
initial copy and then the stream, and keeps what a stopped store missed in the
slot until it is back (up to ``max_slot_wal_keep_size``).

On a store, a trigger refuses the store's own writes to the standard: the apply
worker runs with ``session_replication_role = replica``, where ordinary triggers
do not fire, so head office's rows still come in. The refusal's text starts with
:data:`REFUSAL_TAG`; ``desk.store.faults`` turns it into a sentence
(``desk.domain.group.REFUSALS``). Another trigger, enabled for replication
only, announces what arrives on the change feed's channel, so a store's open
terminals take a new standard at once.

Functions take an ``Engine`` (or a connection) and raise :class:`GroupRefused`
with a message id for anything the user can correct.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from desk.domain import group
from desk.domain.errors import InvalidInput
from desk.i18n import N_
from desk.store import changes

PUBLICATION = "desk_standard"
REFUSAL_TAG = group.REFUSAL_TAG
_TRIGGER_FN = "desk_refuse_standard_write"
_ARRIVED_FN = "desk_standard_arrived"
#: the columns of ``shop_setting`` a store receives: not ``updated_by``, a user id
#: that means someone else (or no one) in the store's own user table
SETTING_COLUMNS = ("key", "value", "updated_at", "version")


class GroupRefused(InvalidInput):
    """A group command cannot go on; ``reason`` is a message id."""

    def __init__(self, reason: str, params: dict | None = None) -> None:
        super().__init__("group", reason, dict(params or {}))


# ----------------------------------------------------------------------------- SQL from the domain


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def setting_predicate(column: str = "key") -> str:
    """SQL that is true when the setting key in ``column`` is a standard one: the
    publication's row filter and the store's trigger share it (built-in immutable
    functions only, as a row filter requires)."""
    # "= ... OR", not "IN (...)": a row filter refuses the array an IN list becomes
    keys = [f"{column} = {_literal(k)}" for k in group.STANDARD_SETTING_KEYS]
    prefixes = [f"starts_with({column}, {_literal(p)})" for p in group.STANDARD_SETTING_PREFIXES]
    return "(" + " OR ".join(keys + prefixes) + ")"


def publication_tables() -> str:
    """The table list of :data:`PUBLICATION`."""
    whole = ", ".join(group.STANDARD_TABLES)
    return f"{whole}, shop_setting ({', '.join(SETTING_COLUMNS)}) WHERE {setting_predicate()}"


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL (what CREATE SUBSCRIPTION takes)."""
    u = make_url(url)
    parts = {"host": u.host, "port": u.port, "dbname": u.database, "user": u.username, "password": u.password}

    def value(v: object) -> str:  # libpq quoting: backslash escapes, not doubled quotes
        return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{k}={value(v)}" for k, v in parts.items() if v)


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ----------------------------------------------------------------------------- checks


def server_version(conn: Connection) -> int:
    """``server_version_num``, e.g. 150010."""
    return int(conn.exec_driver_sql("SHOW server_version_num").scalar_one())


def check_node(engine: Engine) -> int:
    """Refuse a database that cannot be a node of a group; its version number otherwise."""
    if engine.dialect.name != "postgresql":
        raise GroupRefused(
            N_("A dealer group runs on PostgreSQL: this database is SQLite (copy it with desk db copy first)")
        )
    with engine.connect() as conn:
        wal_level = conn.exec_driver_sql("SHOW wal_level").scalar_one()
        if wal_level != "logical":
            raise GroupRefused(
                N_(
                    "The PostgreSQL server has wal_level = {level}; a group needs wal_level = logical "
                    "(and track_commit_timestamp = on): set them in postgresql.conf and restart it"
                ),
                {"level": wal_level},
            )
        return server_version(conn)


def meta(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.text("SELECT value FROM shop_meta WHERE key = :k"), {"k": key}).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(sa.text("DELETE FROM shop_meta WHERE key = :k"), {"k": key})
    conn.execute(sa.text("INSERT INTO shop_meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value})


# ----------------------------------------------------------------------------- head office


def publish_standard(conn: Connection) -> None:
    """Create head office's publication, or set its tables again (after a
    migration that changed which tables or columns the standard has)."""
    exists = conn.exec_driver_sql("SELECT 1 FROM pg_publication WHERE pubname = %s", (PUBLICATION,)).first()
    verb = f"ALTER PUBLICATION {PUBLICATION} SET TABLE" if exists else f"CREATE PUBLICATION {PUBLICATION} FOR TABLE"
    conn.exec_driver_sql(f"{verb} {publication_tables()}")


def save_site(conn: Connection, site: group.Site, *, link: str, at: datetime) -> None:
    """Insert or update the site ``site.code`` (head office's table)."""
    values = {
        "code": site.code,
        "name": site.name,
        "address": site.address,
        "tax_number": site.tax_number,
        "zone": site.zone,
        "role": site.role,
        "link": link,
        "joined_at": at,
    }
    conn.execute(
        sa.text(
            "INSERT INTO site (code, name, address, tax_number, zone, role, link, joined_at) "
            "VALUES (:code, :name, :address, :tax_number, :zone, :role, :link, :joined_at) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, "
            "tax_number = EXCLUDED.tax_number, zone = EXCLUDED.zone, role = EXCLUDED.role, link = EXCLUDED.link"
        ),
        values,
    )


def site_row(conn: Connection, code: str) -> dict | None:
    row = conn.execute(sa.text("SELECT * FROM site WHERE code = :c"), {"c": code}).mappings().first()
    return dict(row) if row else None


# ----------------------------------------------------------------------------- a store


def local_standard_rows(conn: Connection) -> int:
    """How many rows of the standard a store holds (before it joins, its own)."""
    total = sum(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in group.STANDARD_TABLES)
    return total + conn.exec_driver_sql(f"SELECT count(*) FROM shop_setting WHERE {setting_predicate()}").scalar_one()


def drop_local_standard(conn: Connection, *, guarded: bool = False) -> None:
    """Delete the standard's rows on a store: its own before it joins, or
    (``guarded``: past the trigger, as replication itself writes) the copy of a
    store being re-seeded, in a transaction of its own."""
    if guarded:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    for table in group.STANDARD_TABLES:
        conn.exec_driver_sql(f"DELETE FROM {table}")
    conn.exec_driver_sql(f"DELETE FROM shop_setting WHERE {setting_predicate()}")
    if guarded:
        conn.exec_driver_sql("SET LOCAL session_replication_role = origin")


def guard_standard(conn: Connection) -> None:
    """Install the trigger that refuses the store's own writes to the standard."""
    # no "%" format: the driver would read it as a parameter
    refuse = f"RAISE EXCEPTION USING MESSAGE = '{REFUSAL_TAG}:' || TG_TABLE_NAME, ERRCODE = 'insufficient_privilege';"
    conn.exec_driver_sql(f"""
CREATE OR REPLACE FUNCTION {_TRIGGER_FN}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_TABLE_NAME = 'shop_setting' AND TG_OP <> 'TRUNCATE' THEN
        IF (TG_OP <> 'DELETE' AND {setting_predicate("NEW.key")})
           OR (TG_OP <> 'INSERT' AND {setting_predicate("OLD.key")}) THEN
            {refuse}
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    {refuse}
END
$fn$""")
    # what replication writes is announced on the change feed's channel, so every
    # terminal of the store takes the new standard at once (an empty notice: "the
    # set-up may have changed"); these fire in replication's apply worker only
    conn.exec_driver_sql(f"""
CREATE OR REPLACE FUNCTION {_ARRIVED_FN}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('{changes.CHANNEL}', '');
    RETURN NULL;
END
$fn$""")
    triggers = (
        ("desk_standard_rows", "BEFORE INSERT OR UPDATE OR DELETE", "ROW", _TRIGGER_FN),
        ("desk_standard_truncate", "BEFORE TRUNCATE", "STATEMENT", _TRIGGER_FN),
        ("desk_standard_arrived", "AFTER INSERT OR UPDATE OR DELETE", "ROW", _ARRIVED_FN),
        ("desk_standard_emptied", "AFTER TRUNCATE", "STATEMENT", _ARRIVED_FN),
    )
    for table in (*group.STANDARD_TABLES, "shop_setting"):
        for name, when, each, fn in triggers:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            conn.exec_driver_sql(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {each} EXECUTE FUNCTION {fn}()")
            if fn == _ARRIVED_FN:
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE REPLICA TRIGGER {name}")


def subscription_exists(conn: Connection, name: str) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM pg_subscription WHERE subname = %s", (name,)).first() is not None


def subscribe(engine: Engine, name: str, hq_url: str) -> None:
    """CREATE SUBSCRIPTION (it cannot run inside a transaction): the initial copy
    of the standard, then the stream. ``origin = none`` where the server has it
    (PostgreSQL 16 on): a store never passes on rows it did not write itself."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if subscription_exists(conn, name):  # again: a table head office publishes since
            conn.exec_driver_sql(f"ALTER SUBSCRIPTION {name} REFRESH PUBLICATION WITH (copy_data = true)")
            return
        options = "copy_data = true"
        if server_version(conn) >= 160000:
            options += ", origin = none"
        conn.exec_driver_sql(
            f"CREATE SUBSCRIPTION {name} CONNECTION {_literal(conninfo(hq_url))} "
            f"PUBLICATION {PUBLICATION} WITH ({options})"
        )


def unsubscribe(engine: Engine, name: str) -> None:
    """Drop a store's subscription without reaching head office (its slot there
    may be lost, or head office away): the slot is dropped by :func:`drop_slot`."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not subscription_exists(conn, name):
            return
        conn.exec_driver_sql(f"ALTER SUBSCRIPTION {name} DISABLE")
        conn.exec_driver_sql(f"ALTER SUBSCRIPTION {name} SET (slot_name = NONE)")
        conn.exec_driver_sql(f"DROP SUBSCRIPTION {name}")


def drop_slot(engine: Engine, name: str) -> None:
    """Drop a store's slot at head office (a lost one, before the store is re-seeded)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
            "WHERE slot_name = %s AND active_pid IS NOT NULL",
            (name,),
        )
        conn.exec_driver_sql(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", (name,)
        )


# ----------------------------------------------------------------------------- status


@dataclass(frozen=True)
class Link:
    """One replication link as one side sees it."""

    site: str
    name: str
    #: the standard as a store receives it ("in"), or as head office sends it to a store ("out")
    direction: str
    active: bool
    last_heard: datetime | None
    lag_bytes: int | None
    apply_errors: int | None = None
    copy_errors: int | None = None
    #: PostgreSQL 18's conflict counters, summed (None before 18: a conflict then
    #: stops the apply and is counted in ``apply_errors``)
    conflicts: int | None = None
    #: tables still in their initial copy
    syncing: int = 0
    #: the slot's ``wal_status`` at head office: reserved, extended, unreserved, lost
    wal_status: str = ""


def _conflicts(stats: dict | None) -> int | None:
    """The sum of a subscription's ``confl_*`` counters (PostgreSQL 18 on, and
    whichever later versions add), None where the server has none."""
    counts = [int(v) for k, v in (stats or {}).items() if k.startswith("confl_") and v is not None]
    return sum(counts) if counts else None


def store_links(conn: Connection, site: str) -> list[Link]:
    """A store's subscriptions (pg_subscription, pg_stat_subscription[_stats])."""
    rows = conn.exec_driver_sql("""
SELECT s.subname, s.subenabled, st.pid, st.last_msg_receipt_time,
       pg_wal_lsn_diff(st.latest_end_lsn, st.received_lsn) AS behind,
       ss.apply_error_count, ss.sync_error_count, to_jsonb(ss) AS stats,
       (SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid AND r.srsubstate <> 'r') AS syncing
FROM pg_subscription s
LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
LEFT JOIN pg_stat_subscription_stats ss ON ss.subid = s.oid
WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY s.subname""").all()
    return [
        Link(
            site=site,
            name=r.subname,
            direction="in",
            active=bool(r.subenabled and r.pid),
            last_heard=r.last_msg_receipt_time,
            lag_bytes=None if r.behind is None else max(int(r.behind), 0),
            apply_errors=r.apply_error_count,
            copy_errors=r.sync_error_count,
            conflicts=_conflicts(r.stats),
            syncing=int(r.syncing),
        )
        for r in rows
    ]


def hq_links(conn: Connection) -> list[Link]:
    """Each store's slot at head office (pg_replication_slots, pg_stat_replication)."""
    rows = conn.exec_driver_sql("""
SELECT si.code, si.link, sl.active, sl.wal_status, rep.reply_time,
       pg_wal_lsn_diff(pg_current_wal_lsn(), sl.confirmed_flush_lsn) AS behind
FROM site si
LEFT JOIN pg_replication_slots sl ON sl.slot_name = si.link
LEFT JOIN pg_stat_replication rep ON rep.pid = sl.active_pid
WHERE si.role = 'store'
ORDER BY si.code""").all()
    return [
        Link(
            site=r.code,
            name=r.link,
            direction="out",
            active=bool(r.active),
            last_heard=r.reply_time,
            lag_bytes=None if r.behind is None else max(int(r.behind), 0),
            wal_status=r.wal_status or "missing",
        )
        for r in rows
    ]
