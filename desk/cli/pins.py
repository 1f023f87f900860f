"""``desk set-pin``, ``desk clear-lockout``, ``desk recover-manager`` and ``desk
pin-key export/import``: sign-in PINs and the shop's PIN key from the shop's computer.

Replacing a PIN needs that PIN, or a manager's (``--by MANAGER``); a user without a
PIN yet gets a first one without. ``--stdin`` reads the PINs from standard input,
one a line, for scripts: the authorising PIN first (when one is needed), then the
new PIN. The audit names who set it and that it came from the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from desk.cli.common import fail, open_shop
from desk.cli.group import DeskGroup
from desk.domain.errors import DeskError
from desk.i18n import _, _n
from desk.store import pinkey
from desk.widgets.feedback import describe_error


def _find(desk, name: str):
    user = next((u for u in desk.people.users() if u.name == name and u.active), None)
    if user is None:
        fail(_("No user named {name}", name=name))
    return user


class _Pins:
    """Where the PINs come from: prompts (hidden), or lines of stdin."""

    def __init__(self, from_stdin: bool) -> None:
        self.lines = iter(sys.stdin.read().splitlines()) if from_stdin else None

    def ask(self, prompt: str, *, confirm: bool = False) -> str:
        if self.lines is None:
            return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
        line = next(self.lines, None)
        if line is None:
            fail(_("--stdin: a line is missing ({what})", what=prompt))
        return line.strip()


def acting_user(desk, name: str, *, by_name: str | None, pins: _Pins):
    """The user a command acts for (``--user NAME``), asked for their PIN as the
    app's sign-in asks it (a user without a PIN yet is asked none), or for a
    manager's with ``--by MANAGER``: checked and throttled like a sign-in."""
    user = _find(desk, name)
    if by_name:
        by = _find(desk, by_name)
        desk.security.approve_as_manager(by.id, pins.ask(_("PIN of {user}", user=by.name)))
    elif user.id in desk.security.pin_users():
        desk.security.verify_pin(user.id, pins.ask(_("PIN of {user}", user=user.name)))
    return user


def _by_option(help_text: str):
    return click.option("--by", "by_name", metavar="MANAGER", help=help_text)


_STDIN = click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read the PINs from standard input, one a line: the authorising PIN (if one is needed), then the new PIN.",
)


@click.command("set-pin")
@click.argument("name")
@_by_option("Authorise with this manager's PIN instead of NAME's current PIN.")
@_STDIN
@click.pass_context
def set_pin(ctx: click.Context, name: str, by_name: str | None, from_stdin: bool) -> None:
    """Set NAME's sign-in PIN (4-8 digits, asked twice, never echoed). A user who
    has a PIN needs it (asked), or a manager's with --by MANAGER."""
    try:
        desk = open_shop(ctx, existing=True)
        user = _find(desk, name)
        pins = _Pins(from_stdin)
        by = _find(desk, by_name) if by_name else None
        if by is None and user.id in desk.security.pin_users():
            by = user
        by_pin = None
        if by is not None:
            by_pin = pins.ask(
                _("Current PIN of {user}", user=by.name) if by.id == user.id else _("PIN of {user}", user=by.name)
            )
        pin = pins.ask(_("New PIN for {user}", user=name), confirm=True)
        actor = desk.security.set_pin_authorised(user.id, pin, by_id=by and by.id, by_pin=by_pin)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(_("PIN set for {user} by {by}", user=name, by=actor.name))


@click.command("clear-lockout")
@click.argument("name")
@_by_option("The manager who clears it (their PIN is asked).")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the manager's PIN from standard input.")
@click.pass_context
def clear_lockout(ctx: click.Context, name: str, by_name: str | None, from_stdin: bool) -> None:
    """Let NAME try a PIN again at once after too many wrong ones (a manager's PIN)."""
    if not by_name:
        fail(_("Say which manager clears it: --by MANAGER (their PIN is asked)"))
    try:
        desk = open_shop(ctx, existing=True)
        user = _find(desk, name)
        by = _find(desk, by_name)
        by_pin = _Pins(from_stdin).ask(_("PIN of {user}", user=by.name))
        desk.security.clear_lockout_authorised(user.id, by_id=by.id, by_pin=by_pin)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(_("Lock-out cleared for {user}", user=name))


@click.command("recover-manager")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the new PIN from standard input.")
@click.pass_context
def recover_manager(ctx: click.Context, name: str, from_stdin: bool) -> None:
    """Give manager NAME a new PIN without the old one (forgotten, or locked out by
    wrong PINs). Only on the computer that keeps the shop's PIN key in its data
    folder: a copy of the database elsewhere cannot do it. Audited."""
    try:
        desk = open_shop(ctx, existing=True)
        user = _find(desk, name)
        pin = _Pins(from_stdin).ask(_("New PIN for {user}", user=name), confirm=True)
        desk.security.recover_manager(user.id, pin)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(_("New PIN set for {user} on this computer; the recovery is in the audit log", user=name))


@click.group("pin-key", cls=DeskGroup)
def pin_key() -> None:
    """The shop's PIN key, kept in the data folder (never in the database or a
    backup): a copied database cannot check a PIN without it. Move it with the
    shop to a new computer: export on the old one, import on the new one."""


@pin_key.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def pin_key_export(file: Path) -> None:
    """Write this computer's PIN keys to FILE (a new file, readable by you only).
    Keep it as safe as the shop's keys: with it and a copy of the database,
    PINs can be guessed offline."""
    keys = pinkey.all_keys()
    if not keys:
        fail(_("No PIN key on this computer (in {folder}): nothing to export", folder=str(pinkey.folder())))
    try:
        pinkey.write_export(file, keys)
    except FileExistsError:
        fail(_("{file} exists: an export never replaces a file", file=str(file)))
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")
    click.echo(_n("{n} PIN key written to {file}", "{n} PIN keys written to {file}", len(keys), file=str(file)))


@pin_key.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def pin_key_import(file: Path) -> None:
    """Add the PIN keys of FILE (from desk pin-key export) to this computer's.
    A key already here is kept; none is ever replaced."""
    try:
        keys = pinkey.read_export(file.read_text(encoding="ascii"))
    except (UnicodeDecodeError, pinkey.PinKeyError):
        fail(_("{file} is not a desk PIN key export", file=str(file)))
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")
    try:
        for key in keys:
            added = pinkey.add(key)
            click.echo(
                _("PIN key {key} added", key=key.id) if added else _("PIN key {key} was already here", key=key.id)
            )
    except OSError as exc:
        fail(f"{pinkey.folder()}: {exc.strerror or exc}")


@pin_key.command("upgrade")
@click.pass_context
def pin_key_upgrade(ctx: click.Context) -> None:
    """Key every PIN hash of before the PIN key now, instead of at each user's next
    sign-in (no PIN is needed; each is audited)."""
    try:
        desk = open_shop(ctx, existing=True)
        n = desk.security.key_old_pins()
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(_n("{n} PIN keyed with this computer's PIN key", "{n} PINs keyed with this computer's PIN key", n))
