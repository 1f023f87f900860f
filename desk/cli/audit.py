"""``desk audit``: the audit log's hash chain and its anchor outside the database."""

from __future__ import annotations

import getpass
import sys

import click

from desk.cli.common import fail, open_shop
from desk.cli.group import DeskGroup
from desk.i18n import _, _n


@click.group(cls=DeskGroup)
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option(
    "--re-anchor",
    "re_anchor",
    is_flag=True,
    help="Accept the log as it is now (after replacing the file yourself): anchor its head, audited.",
)
@click.option(
    "--pin-stdin",
    "pin_stdin",
    is_flag=True,
    help="With desk --user NAME: read NAME's PIN from standard input (for scripts).",
)
@click.pass_context
def audit_verify(ctx: click.Context, re_anchor: bool, pin_stdin: bool) -> None:
    """Check the hash chain of the audit log and its anchor outside the database;
    name every changed or removed event, the newest ones included."""
    from desk.domain.errors import DeskError
    from desk.widgets.feedback import describe_error

    if re_anchor:
        from desk.store import audit as store_audit

        desk = open_shop(ctx, migrate=False, existing=True)
        name = ctx.find_root().params.get("user_name")
        try:
            if name:  # in a desk user's name only with their PIN, as the app asks it
                from desk.cli.pins import _Pins, acting_user

                who = acting_user(desk, name, by_name=None, pins=_Pins(pin_stdin)).name
            else:  # the computer's account, which is what it is
                who = getpass.getuser()
            old, head = store_audit.re_anchor(desk.ctx.engine, who, desk.ctx.now())
        except DeskError as exc:
            fail(describe_error(exc))
        click.echo(
            _(
                "Anchored the audit log at event {id} (was: {old}); the change is audited.",
                id=head.id,
                old=f"{old.shop_id[:8]} #{old.id}" if old else _("none"),
            )
        )
        return
    desk = open_shop(ctx, migrate=False, read_only=True)
    try:
        found = desk.reports.audit_check()
    except DeskError as exc:
        fail(describe_error(exc))
    if not found.problems:
        click.echo(_n("audit log intact ({n} event)", "audit log intact ({n} events)", found.events))
        if found.note:
            click.echo(_(found.note))
        for reason, params in found.behind:
            click.echo(_(reason, **params))
        return
    for reason, params in found.behind:
        click.echo(_(reason, **params), err=True)
    for p in found.problems:
        click.echo(_("event {id}: {problem}", id=p.event_id, problem=p.text()))
    click.echo(_n("{n} problem in the audit log", "{n} problems in the audit log", len(found.problems)), err=True)
    sys.exit(2)
