"""``desk audit``: the audit log's hash chain."""

from __future__ import annotations

import sys

import click

from desk.cli.common import open_shop
from desk.cli.group import DeskGroup


@click.group(cls=DeskGroup)
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain of the audit log; name every changed or removed event."""
    desk = open_shop(ctx, migrate=False, read_only=True)
    problems = desk.reports.verify_audit()
    if not problems:
        click.echo("audit log intact")
        return
    for p in problems:
        click.echo(f"event {p.event_id}: {p.problem}")
    sys.exit(2)
