"""``desk set-pin``: a user's sign-in PIN."""

from __future__ import annotations

import click

from desk.cli.common import fail, open_shop
from desk.domain.errors import DeskError
from desk.widgets.feedback import describe_error


@click.command("set-pin")
@click.argument("name")
@click.pass_context
def set_pin(ctx: click.Context, name: str) -> None:
    """Set NAME's sign-in PIN (4-8 digits, asked twice, never echoed)."""
    try:
        desk = open_shop(ctx)
        user = next((u for u in desk.people.users() if u.name == name), None)
        if user is None:
            fail(f"no user named {name}")
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
        desk.security.set_pin(user, user.id, pin)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(f"PIN set for {name}")
