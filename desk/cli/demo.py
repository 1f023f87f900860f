"""``desk demo``: a realistic demo shop."""

from __future__ import annotations

from datetime import datetime

import click

from desk.cli.common import db_url, fail, open_shop
from desk.demo import GUIDE_USER, build
from desk.domain.entities import ROLE_LABELS
from desk.domain.errors import DeskError
from desk.i18n import N_, _
from desk.store.db import building
from desk.widgets.feedback import describe_error


@click.command()
@click.option("--db", "db", metavar="PATH|URL", help="Where to create the demo shop.")
@click.option("--visits", default=200, show_default=True, help="Historical visits to generate.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same shop).")
@click.option(
    "--open",
    "open_app",
    is_flag=True,
    help="Then open the app on it, after Enter: the PINs stay readable until then, and again on quitting.",
)
@click.pass_context
def demo(ctx: click.Context, db: str | None, visits: int, seed: int, open_app: bool) -> None:
    """Create a realistic demo shop (refuses a database that already has data;
    an empty file, 0 bytes or SQLite without tables, is made into the shop)."""
    url = db_url(db or ctx.obj.get("db"))
    desk = open_shop(ctx, url=url, initialise=True)
    try:
        if desk.people.users():
            fail(f"{url} already has data; choose another --db")
        with click.progressbar(length=visits, label="Historical visits") as bar:
            last = [0]

            def progress(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            with building(desk.ctx.engine):
                counts = build(desk, visits=visits, seed=seed, progress=progress)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(
        f"Demo shop ready in {url}: {counts['customers']} customers, "
        f"{counts['today']} visits today and nearby, {counts['historical_visits']} historical visits."
    )
    click.echo(_("Sign-in PINs:"))
    roles = {u.name: ", ".join(_(ROLE_LABELS[r]) for r in sorted(u.roles)) for u in desk.people.users()}
    for name, pin in counts["pins"].items():
        click.echo(f"  {pin}  {name}  ({roles.get(name, '')})")
    if counts["walkthrough"]:
        at = counts["walkthrough_at"]
        if at is None or datetime.now() >= at:
            steps = N_(
                "First steps: sign in as {user} (PIN {pin}); on the appointment board {plate} is late: "
                "a = arrived, Enter opens it, F8 moves it to the next stage, F1 lists every key."
            )
        else:  # made before opening: today's cars are laid over opening hours
            steps = N_(
                "First steps: sign in as {user} (PIN {pin}); on the appointment board {plate} is booked for "
                "{time} (made before opening, today's cars are laid over opening hours): a = arrived, Enter "
                "opens it, F8 moves it to the next stage, F1 lists every key."
            )
        click.echo(
            _(
                steps,
                user=GUIDE_USER,
                pin=counts["pins"][GUIDE_USER],
                plate=counts["walkthrough"],
                time=f"{at:%H:%M}" if at else "",
            )
        )
    if open_app:
        # the app takes the whole screen: the newcomer reads the PINs first (a
        # terminal gives them back on quitting; without one, no wait)
        click.pause(_("Press any key to open desk on this shop (the PINs above are here again when you quit) ..."))
        from desk.cli.start import build_app

        desk.ctx.engine.dispose()
        build_app(url, ctx.find_root().obj.get("lang"), None).run()
