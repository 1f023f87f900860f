"""``desk group``: a dealer group on PostgreSQL (README, "A dealer group").

``init`` makes the database head office, ``join`` makes it a store of a head
office, ``status`` shows each replication link."""

from __future__ import annotations

from datetime import datetime

import click

from desk.cli.common import fail, open_shop
from desk.cli.group import DeskGroup
from desk.domain import group as domain
from desk.domain.errors import DeskError
from desk.i18n import N_, _
from desk.widgets.feedback import describe_error


@click.group("group", cls=DeskGroup)
def group_cmd() -> None:
    """A dealer group on PostgreSQL: head office's standard replicated to every store."""


def _site_options(fn):
    for option in reversed(
        (
            click.option("--code", required=True, help="The site's code: 1 to 10 letters and digits, e.g. HQ or S01."),
            click.option("--name", required=True, help="The site's name as printed."),
            click.option("--address", default="", help="The site's address."),
            click.option("--tax-number", "tax_number", default="", help="The site's tax number."),
            click.option("--zone", required=True, help="The site's IANA time zone, e.g. Asia/Shanghai."),
        )
    ):
        fn = option(fn)
    return fn


def _site(code: str, name: str, address: str, tax_number: str, zone: str):
    try:
        return domain.parse_site(code=code, name=name, address=address, tax_number=tax_number, zone=zone)
    except DeskError as exc:
        fail(describe_error(exc))


def _services(desk):
    from desk.services.group import GroupService

    return GroupService(desk.ctx)


def _with_hq(ctx: click.Context, hq_url: str, run):
    """``run(this database's group services, head office's context)``, both
    databases opened for it (this one migrated, head office not) and closed after."""
    desk = open_shop(ctx)
    hq = open_shop(ctx, url=hq_url, migrate=False)  # head office is upgraded on its own, after the stores
    try:
        return run(_services(desk), hq.ctx)
    except DeskError as exc:
        fail(describe_error(exc))
    finally:
        desk.ctx.engine.dispose()
        hq.ctx.engine.dispose()


@group_cmd.command("init")
@_site_options
@click.pass_context
def init_cmd(ctx: click.Context, code: str, name: str, address: str, tax_number: str, zone: str) -> None:
    """Make this PostgreSQL database the group's head office: its site, and the
    publication of the standard (checklist templates, canned jobs, time standards,
    pricing rules, the list of sites). Run it again after a migration."""
    site = _site(code, name, address, tax_number, zone)
    desk = open_shop(ctx)
    try:
        _services(desk).init_head_office(site)
    except DeskError as exc:
        fail(describe_error(exc))
    finally:
        desk.ctx.engine.dispose()
    click.echo(_("This database is head office {code} of the group; it publishes the standard", code=site.code))


@group_cmd.command("join")
@click.option(
    "--hq", "hq_url", required=True, metavar="URL", help="Head office's database, as this store's server reaches it."
)
@_site_options
@click.option(
    "--replace-standard",
    is_flag=True,
    help="Replace the store's own checklist changes, canned jobs, time standards and pricing rules with head office's.",
)
@click.pass_context
def join_cmd(
    ctx: click.Context,
    hq_url: str,
    code: str,
    name: str,
    address: str,
    tax_number: str,
    zone: str,
    replace_standard: bool,
) -> None:
    """Join this PostgreSQL database to a group as a store: head office lists the
    site, and the store subscribes to the standard (it then refuses to change it)."""
    site = _site(code, name, address, tax_number, zone)
    joined = _with_hq(
        ctx, hq_url, lambda store, hq: store.join(site, hq, hq_url=hq_url, replace_standard=replace_standard)
    )
    if joined.replaced:
        click.echo(_("{count} rows of the store's own standard were replaced by head office's", count=joined.replaced))
    click.echo(
        _("Store {code} joined the group; it receives the standard through {link}", code=site.code, link=joined.link)
    )


@group_cmd.command("reseed")
@click.option(
    "--hq", "hq_url", required=True, metavar="URL", help="Head office's database, as this store's server reaches it."
)
@click.pass_context
def reseed_cmd(ctx: click.Context, hq_url: str) -> None:
    """Copy head office's standard into this store afresh (after desk group
    status says head office lost the store's slot): the store's subscription and
    slot are made again and the standard copied whole."""
    link = _with_hq(ctx, hq_url, lambda store, hq: store.reseed(hq, hq_url=hq_url))
    click.echo(_("The standard is being copied into this store afresh through {link}", link=link))


def _ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return _("never")
    seconds = max(int((now - at).total_seconds()), 0)
    return _("{seconds} s ago", seconds=seconds)


#: a slot's ``wal_status`` at head office, in words
SLOT_STATES = {
    "reserved": N_("slot kept"),
    "extended": N_("slot kept (past max_wal_size)"),
    "unreserved": N_("slot about to be given up"),
    "lost": N_("slot lost"),
    "missing": N_("no slot"),
}


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def link_line(link, now: datetime) -> str:
    """One line for a replication link, as ``desk group status`` prints it."""
    state = _("connected") if link.active else _("not connected")
    lag = "-" if link.lag_bytes is None else _("{bytes} bytes", bytes=link.lag_bytes)
    if link.direction == "out":
        line = _(
            "{site}: standard -> store via {link}: {state}, last heard {ago}, behind {lag}, {slot}",
            site=link.site,
            link=link.name,
            state=state,
            ago=_ago(link.last_heard, now),
            lag=lag,
            slot=_(SLOT_STATES.get(link.wal_status, link.wal_status)),
        )
        if link.wal_status in ("lost", "missing"):
            line += " " + _("(head office no longer keeps what the store missed: run desk group reseed on the store)")
        return line
    return _(
        "{site}: standard from head office via {link}: {state}, last heard {ago}, behind {lag}, "
        "apply errors {apply}, copy errors {copy}, conflicts {conflicts}, tables still copying {syncing}",
        site=link.site,
        link=link.name,
        state=state,
        ago=_ago(link.last_heard, now),
        lag=lag,
        apply=_count(link.apply_errors),
        copy=_count(link.copy_errors),
        conflicts=_count(link.conflicts),
        syncing=link.syncing,
    )


@group_cmd.command("status")
@click.pass_context
def status_cmd(ctx: click.Context) -> None:
    """Each replication link of this database: connected or not, last heard,
    how far behind, errors and conflicts (PostgreSQL's own statistics)."""
    from datetime import UTC

    desk = open_shop(ctx, read_only=True)
    try:
        status = _services(desk).status()
    except DeskError as exc:
        fail(describe_error(exc))
    finally:
        desk.ctx.engine.dispose()
    if not status.role:
        fail(_("This database is not in a dealer group (desk group init, desk group join)"))
    role = _("head office") if status.role == domain.HQ_ROLE else _("store")
    click.echo(_("{site} ({role})", site=status.site, role=role))
    now = desk.ctx.clock().astimezone(UTC)  # PostgreSQL's times are instants
    for link in status.links:
        click.echo("  " + link_line(link, now))
    if not status.links:
        click.echo("  " + _("no links yet"))
