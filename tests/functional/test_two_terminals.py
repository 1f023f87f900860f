"""Two terminals (two apps in this process) on one database, SQLite and PostgreSQL,
for every key that changes a visit.

For each key: terminal B starts the change (its form typed, not saved) while
its change feed is held back, so it still shows the visit as it was; terminal A
makes its change. B saves: refused, the message names who, when and what, B's
screen shows A's change and B's form still holds what was typed. B saves again:
saved; A's screen shows B's change from the feed, within a second, without a
key. Both changes are in the database: nothing lost.

The two apps are started once per stage and walk through that stage's keys.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input

from desk.domain.checklist import ItemState
from desk.domain.entities import Role
from desk.screens.visit import VisitScreen, screen_for
from desk.shell.app import make_app
from desk.widgets.checklist import Checklist
from desk.widgets.dialogs import ConfirmDialog, FormDialog, Held, PickDialog, ReasonDialog
from desk.widgets.survey import ScoreList, SurveyDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)

A_USER, B_USER = "周经理", "孙经理"
STALE = "Changed on another terminal: " + A_USER
#: An audit code ("visit.promised") in a message: the change is named in words instead.
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")


@dataclass
class Key:
    """One visit-editing key: what to press, what to type, what shows it."""

    name: str
    keys: tuple[str, ...]
    #: Per terminal ("a", "b"): field -> text for a FormDialog (or a SurveyDialog's
    #: inputs), or the reason of a ReasonDialog.
    typed: dict[str, dict[str, str] | str] = field(default_factory=dict)
    #: Keys pressed in the dialog once it is open (a survey's scores), per terminal.
    presses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Options chosen in PickDialogs before the form (index), per terminal.
    picks: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: What the visit view shows of the change (compared on both screens with the database).
    shows: Callable = lambda view: view.ref.version
    #: Both changes are kept (checked on the final visit view).
    kept: Callable | None = None
    #: Where the cursor goes first, per terminal: ("checklist", n) the n-th item this
    #: user may still tick, or ("lines", row).
    cursor: dict[str, tuple[str, int]] = field(default_factory=dict)
    confirm: bool = False
    #: B saves again after the refusal (False: the key is no longer possible then).
    retry: bool = True
    #: Nothing is left open on B once refused: the visit is over (a no-show) and
    #: B's visit screen closes as it reloads.
    closes: bool = False


def watch_views(screen) -> dict:
    """When ``screen`` shows each version of its visit (ref -> monotonic time),
    recorded by the screen itself as it shows it."""
    shown: dict = {}
    show_view = screen.show_view

    def recorded(view):
        result = show_view(view)
        shown.setdefault(view.ref, time.monotonic())
        return result

    screen.show_view = recorded
    return shown


def visit_screen(app) -> VisitScreen:
    return next(s for s in reversed(app.screen_stack) if isinstance(s, VisitScreen))


FORMS = (FormDialog, SurveyDialog)


def dialog(app):
    kinds = (*FORMS, ReasonDialog, PickDialog, ConfirmDialog)
    return app.screen if isinstance(app.screen, kinds) else None


async def settle(pilot):
    await wait_for(pilot, lambda: True)


async def in_app(pilot, app, fn) -> None:
    """Run ``fn`` in ``app``'s own task: with two apps in one process, a screen
    pushed (or a widget focused) from the test would take the app of the last
    ``run_test`` as its own."""
    app.call_later(fn)
    await settle(pilot)


def last_pick_saves(key: Key) -> bool:
    return bool(key.picks) and not key.typed and not key.confirm


async def pick(pilot, app, index: int) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
    await pilot.press(*(["down"] * index), "enter")
    await settle(pilot)


async def start(pilot, app, key: Key, who: str, *, cursor: bool = True) -> None:
    """Press the key and fill its dialogs, up to (not including) the save. Again
    after a refusal (``cursor`` False), the cursor is where the screen kept it."""
    screen = visit_screen(app)
    where = key.cursor.get(who) if cursor else None
    if where:
        if where[0] == "checklist":
            table = screen.query_one(Checklist)
            open_rows = [i for i, st in enumerate(table.statuses) if st.state == "open" and not st.item.from_data]
            row = open_rows[where[1]]
        else:
            table, row = screen.query_one(f"#{where[0]}", DataTable), where[1]
        await in_app(pilot, app, lambda: (table.focus(), table.move_cursor(row=row)))
    if not (key.typed or key.picks or key.confirm):
        return  # the key itself is the save
    await pilot.press(*key.keys)
    await settle(pilot)
    picks = key.picks.get(who, ())
    for index in picks[:-1] if last_pick_saves(key) else picks:
        await pick(pilot, app, index)
    if key.confirm:
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
    typed = key.typed.get(who)
    if isinstance(typed, dict):
        await until(pilot, lambda: isinstance(app.screen, FORMS), f"{key.name}: {who}'s form")
        form = app.screen
        if key.presses.get(who):
            await pilot.press(*key.presses[who])
            await settle(pilot)

        def fill(form=form, typed=typed) -> None:
            for name, value in typed.items():
                form.query_one(f"#f-{name}", Input).value = value

        await in_app(pilot, app, fill)
    elif isinstance(typed, str):
        await until(
            pilot,
            lambda: isinstance(app.screen, ReasonDialog),
            f"{key.name}: {who}'s reason dialog ({app.screen}, {app.focused}, {getattr(app, 'notes', '')})",
        )
        reason = app.screen.query_one("#reason", Input)
        await in_app(pilot, app, lambda: setattr(reason, "value", typed))


async def save(pilot, app, key: Key, who: str) -> None:
    """The save: Ctrl+S in a form, Enter for a reason, y to confirm, the last
    choice of a pick; a key with no dialog (or none left open) is pressed again."""
    if dialog(app) is None and (key.confirm or key.picks):
        await start(pilot, app, key, who, cursor=False)
    if isinstance(app.screen, PickDialog):
        await pick(pilot, app, key.picks[who][-1])
    elif isinstance(app.screen, FORMS):
        await pilot.press("ctrl+s")
    elif isinstance(app.screen, ReasonDialog):
        reason = app.screen.query_one("#reason", Input)
        await in_app(pilot, app, reason.focus)
        await pilot.press("enter")
    elif isinstance(app.screen, ConfirmDialog):
        await pilot.press("y")
    else:
        await pilot.press(*key.keys)
    await settle(pilot)


def typed_now(app) -> dict[str, str] | str | None:
    d = dialog(app)
    if isinstance(d, FormDialog):
        return {f.name: d.query_one(f"#f-{f.name}", Input).value for f in d.fields}
    if isinstance(d, SurveyDialog):
        return {
            "scores": dict(d.query_one(ScoreList).scores),
            **{name: d.query_one(f"#f-{name}", Input).value for name in ("nps", "comment")},
        }
    if isinstance(d, ReasonDialog):
        return d.query_one("#reason", Input).value
    return None


async def until(pilot, predicate, what: str, tries: int = 300) -> None:
    try:
        await wait_for(pilot, predicate, tries=tries)
    except AssertionError:
        raise AssertionError(what) from None


async def one_key(shop, vid, key: Key, terminal_a, terminal_b, notes, after_refusal, *, stale: str = STALE) -> None:
    """One key on both terminals (see the module's docstring)."""
    d = shop.desk
    (a, pa), (b, pb) = terminal_a, terminal_b

    def db():
        return d.lifecycle.visit_view(vid)

    b.live.stop(wait=True)  # B keeps showing the visit as it was
    await start(pb, b, key, "b")
    typed_b = typed_now(b)
    before = db().ref.version
    await start(pa, a, key, "a")
    await save(pa, a, key, "a")
    await until(
        pa, lambda: db().ref.version > before and dialog(a) is None, f"{key.name}: A's change saved ({a.notes})"
    )
    after_a = db()
    # B saves on its stale copy: refused, named, reloaded, nothing typed lost
    notes.clear()
    await save(pb, b, key, "b")
    await until(pb, lambda: any(stale in n for n in notes), f"{key.name}: B refused as stale ({notes})", tries=600)
    message = next(n for n in notes if stale in n)
    assert " at " in message and not CODE.search(message), (key.name, message)  # when and what, in words
    assert db().ref == after_a.ref, key.name  # nothing written over
    if key.closes:
        b.live.start()
        await after_refusal(pb, b, notes)
        return
    await until(pb, lambda: visit_screen(b).shown_ref == after_a.ref, f"{key.name}: B reloaded")
    assert key.shows(visit_screen(b).view) == key.shows(after_a), key.name
    assert typed_now(b) == typed_b, key.name  # the form is still open with B's text
    if not key.retry:
        b.live.start()
        if after_refusal is not None:
            await after_refusal(pb, b, notes)
        return
    # B saves again, on the visit as it is now: a form kept its version and offers
    # ctrl+r (yours on top of theirs); saved; A sees it from the feed
    b.live.start()
    shown = watch_views(visit_screen(a))
    kept = dialog(b)
    if isinstance(kept, Held) and kept._reapply is not None:
        await pb.press("ctrl+r")
        await settle(pb)
    else:
        await save(pb, b, key, "b")
    await until(
        pb,
        lambda: db().ref.version > after_a.ref.version and dialog(b) is None,
        f"{key.name}: B's change saved ({notes})",
        tries=600,
    )
    final = db()
    seen_at = time.monotonic()
    await until(pa, lambda: visit_screen(a).ref == final.ref, f"{key.name}: A sees B's change", tries=2000)
    # the moment A's screen showed it (not when this test's polling noticed): within the limit
    assert shown[final.ref] - seen_at < 1.5, key.name
    assert key.shows(visit_screen(a).view) == key.shows(final), key.name
    if key.kept is not None:
        assert key.kept(final), key.name


async def two_terminals_walk(
    shop,
    clock,
    db_url,
    stage: str,
    keys: list[Key],
    *,
    prepare=None,
    after_refusal=None,
    users: tuple[str, str, Role] = (A_USER, B_USER, Role.MANAGER),
) -> int:
    """Both terminals open the visit in ``stage``; every key as described above.
    ``users``: who is signed in on A and on B, and B's role (created here)."""
    d = shop.desk
    a_user, b_user, b_role = users
    d.people.create_user(None, b_user, [b_role])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, stage)
    if prepare is not None:
        prepare(shop, vid)
    a = make_app(db_url=db_url, clock=clock, user_name=a_user)
    b = make_app(db_url=db_url, clock=clock, user_name=b_user)
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        a.notes = record_notifications(a)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            await in_app(pilot, app, lambda app=app: app.push_screen(screen_for(stage, vid)))
            await wait_for(pilot, lambda app=app: isinstance(app.screen, VisitScreen) and app.screen.view is not None)
        for key in keys:
            await one_key(
                shop, vid, key, (a, pa), (b, pb), notes, after_refusal, stale="Changed on another terminal: " + a_user
            )
    return vid


def concerns(view):
    return sorted(c.text for c in view.concerns)


async def test_booked_keys(shop, clock, db_url):
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "BOOKED",
        [
            Key(
                "add concern k",
                ("k",),
                typed={"a": {"concern": "Rattle at the back"}, "b": {"concern": "Wipers smear"}},
                shows=concerns,
                kept=lambda v: {"Rattle at the back", "Wipers smear"} <= set(concerns(v)),
            ),
            Key(
                "reschedule s",
                ("s",),
                typed={"a": {"when": "tomorrow 10:00"}, "b": {"when": "tomorrow 11:00"}},
                shows=lambda v: v.visit.appointment_at,
                kept=lambda v: v.visit.appointment_at.hour == 11,
            ),  # B's time, re-applied on top of A's
            Key("arrived a", ("a",), retry=False),
        ],
        prepare=lambda shop, vid: flow.tick_open(shop.desk, shop.sa, vid),
        after_refusal=follows_to("ReceptionScreen"),
    )


def follows_to(screen: str):
    """After a stage move B was refused on: B's screen follows the car."""

    async def followed(pilot, app, notes) -> None:
        if dialog(app) is not None:
            await pilot.press("escape")  # B leaves its kept dialog
        await until(
            pilot,
            lambda: screen_name(app) == screen and app.screen.view is not None,
            f"B follows to {screen} ({screen_name(app)})",
        )

    return followed


def back_to_the_board():
    """After B was refused on a visit A closed: B's screen goes back to the board."""

    async def back(pilot, app, notes) -> None:
        if dialog(app) is not None:
            await pilot.press("escape")
        await until(
            pilot, lambda: screen_name(app) == "AppointmentsScreen", f"B back on the board ({screen_name(app)})"
        )

    return back


async def test_booked_cancel_on_two_terminals(shop, clock, db_url):
    vid = await two_terminals_walk(
        shop,
        clock,
        db_url,
        "BOOKED",
        [
            Key(
                "cancel visit c", ("c",), typed={"a": "Customer rang to cancel", "b": "Rebooked elsewhere"}, retry=False
            ),
        ],
        after_refusal=back_to_the_board(),
    )
    assert shop.desk.lifecycle.visit_view(vid).visit.stage == "CANCELLED"
    (cancelled,) = [e for e in shop.desk.lifecycle.history(vid) if e.action.endswith("cancel")]
    assert "Customer rang to cancel" in cancelled.after  # A's reason, not written over


async def test_booked_no_show_on_two_terminals(shop, clock, db_url):
    vid = await two_terminals_walk(
        shop,
        clock,
        db_url,
        "BOOKED",
        [
            Key("no-show o", ("o",), confirm=True, retry=False, closes=True),
        ],
        after_refusal=back_to_the_board(),
    )
    assert shop.desk.lifecycle.visit_view(vid).visit.stage == "NO_SHOW"


async def test_reception_keys(shop, clock, db_url):
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "RECEPTION",
        [
            Key(
                "add concern k",
                ("k",),
                typed={"a": {"concern": "Rattle at the back"}, "b": {"concern": "Wipers smear"}},
                shows=concerns,
                kept=lambda v: {"Rattle at the back", "Wipers smear"} <= set(concerns(v)),
            ),
            Key("concerns confirmed f", ("f",), shows=lambda v: [c.confirmed for c in v.concerns]),
        ],
    )


def states(view):
    return [(s.item.id, s.state) for s in view.checklist]


async def test_walkaround_keys(shop, clock, db_url):
    def readings(km, fuel):
        return {"odometer_km": str(km), "fuel_eighths": str(fuel), "tyres": f"all good {km}"}

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "WALKAROUND",
        [
            Key(
                "readings o",
                ("o",),
                typed={"a": readings(43100, 5), "b": readings(43200, 6)},
                shows=lambda v: (v.visit.odometer_km, v.visit.fuel_eighths),
                kept=lambda v: v.visit.odometer_km == 43200,
            ),
            Key(
                "add damage d",
                ("d",),
                picks={"a": (0, 0), "b": (1, 1)},
                shows=lambda v: v.visit.damages,
                kept=lambda v: v.visit.damages.count("panel") == 2,
            ),
            Key("damage confirmed c", ("c",), shows=lambda v: v.visit.damage_confirmed),
            Key(
                "add finding g",
                ("g",),
                typed={"a": {"finding": "Worn wiper", "grade": "y"}, "b": {"finding": "Cracked lamp", "grade": "r"}},
                shows=lambda v: sorted(f.text for f in v.findings),
                kept=lambda v: {"Worn wiper", "Cracked lamp"} <= {f.text for f in v.findings},
            ),
            Key("tick space", ("space",), cursor={"a": ("checklist", 0), "b": ("checklist", 1)}, shows=states),
            Key(
                "not applicable n",
                ("n",),
                cursor={"a": ("checklist", 0), "b": ("checklist", 1)},
                typed={"a": "No spare wheel", "b": "Customer declined"},
                shows=states,
                kept=lambda v: (
                    {"No spare wheel", "Customer declined"} <= {s.mark.reason for s in v.checklist if s.mark}
                ),
            ),
            Key(
                "waive w",
                ("w",),
                cursor={"a": ("checklist", 0), "b": ("checklist", 1)},
                typed={"a": "Rain", "b": "No time today"},
                shows=states,
                kept=lambda v: sum(s.state == ItemState.WAIVED for s in v.checklist) == 2,
            ),
            Key(
                "correct odometer ctrl+o",
                ("ctrl+o",),
                typed={
                    "a": {"km": "43050", "reason": "Typo at reception"},
                    "b": {"km": "43010", "reason": "Cluster replaced"},
                },
                shows=lambda v: v.visit.odometer_km,
                kept=lambda v: v.visit.odometer_km == 43010,
            ),
        ],
    )


def lines(view):
    return [(ln.description, ln.availability, ln.eta) for ln in view.lines]


async def test_estimate_keys(shop, clock, db_url):
    def two_parts(shop, vid):
        d = shop.desk
        d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
        d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")

    line = lambda desc, price: {"description": desc, "unit_cents": price}
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "ESTIMATE",
        [
            Key(
                "add labour l",
                ("l",),
                typed={"a": line("Diagnose rattle", "80"), "b": line("Wiper blades", "60")},
                shows=lines,
                kept=lambda v: {"Diagnose rattle", "Wiper blades"} <= {ln.description for ln in v.lines},
            ),
            Key(
                "availability v",
                ("v",),
                cursor={"a": ("lines", 1), "b": ("lines", 3)},
                picks={"a": (1,), "b": (1,)},
                typed={"a": {"eta": "2026-11-26"}, "b": {"eta": "2026-11-27"}},
                shows=lines,
                kept=lambda v: sorted(str(ln.eta) for ln in v.lines if ln.eta) == ["2026-11-26", "2026-11-27"],
            ),
            Key(
                "remove line delete",
                ("delete",),
                cursor={"a": ("lines", 4), "b": ("lines", 5)},
                confirm=True,
                shows=lines,
                kept=lambda v: len(v.lines) == 4,
            ),
            # after the back-ordered parts' ETAs (an earlier promise is refused)
            Key(
                "promised time t",
                ("t",),
                typed={"a": {"promised": "2026-11-27 16:00"}, "b": {"promised": "2026-11-27 17:30"}},
                shows=lambda v: v.visit.promised_at,
                kept=lambda v: v.visit.promised_at.hour == 17,
            ),
            Key(
                "add part p",
                ("p",),
                typed={"a": line("Wiper blade", "45"), "b": line("Bulb H7", "25")},
                shows=lines,
                kept=lambda v: {"Wiper blade", "Bulb H7"} <= {ln.description for ln in v.lines},
            ),
            Key(
                "add fee e",
                ("e",),
                typed={"a": line("Disposal fee", "10"), "b": line("Shop supplies", "15")},
                shows=lines,
                kept=lambda v: {"Disposal fee", "Shop supplies"} <= {ln.description for ln in v.lines},
            ),
            Key("canned job j", ("j",), picks={"a": (0,), "b": (1,)}, shows=lines),
        ],
        prepare=two_parts,
    )


async def test_sign_twice_is_impossible(shop, clock, db_url):
    """`s` on both terminals: A's signature counts, B's is refused (stale) with its
    form kept; B's screen then shows "Authorised" and `s` is greyed out, and
    the service refuses a second signature of the same version."""

    def priced(shop, vid):
        d = shop.desk
        d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
        parts = [ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "part"]
        for ln in d.lifecycle.visit_view(vid).lines:
            d.estimate.update_line(shop.sa, d.lifecycle.ref(vid), ln.id, d.estimate.patch(availability="in_stock"))
        # one part on back order, its date not known yet: EST-02 holds the car at
        # the estimate after the signature (the signature is kept)
        d.estimate.update_line(shop.sa, d.lifecycle.ref(vid), parts[0].id, d.estimate.patch(availability="back_order"))

    async def sign_again(pilot, app, notes) -> None:
        screen = visit_screen(app)
        assert screen.view.authorised
        assert screen.check_action("authorise", ()) is None  # s is greyed out
        notes.clear()
        await pilot.press("ctrl+r")  # the form kept from before, on top of A's: the service refuses it now
        await wait_for(pilot, lambda: any("already signed" in n for n in notes))
        assert isinstance(app.screen, FormDialog)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")  # greyed out: nothing opens
        await settle(pilot)
        assert dialog(app) is None

    vid = await two_terminals_walk(
        shop,
        clock,
        db_url,
        "ESTIMATE",
        [
            Key(
                "sign s",
                ("s",),
                typed={"a": {"reference": "P0042"}, "b": {"reference": "P0043"}},
                shows=lambda v: v.authorised,
                retry=False,
            ),
        ],
        prepare=priced,
        after_refusal=sign_again,
    )
    d = shop.desk
    view = d.lifecycle.visit_view(vid)
    assert view.authorised and view.visit.stage == "ESTIMATE"  # an open item holds it: still one signature
    from desk.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        d.estimate.authorise(
            shop.sa,
            view.ref,
            d.estimate.signature(
                channel="in_person", signer="李伟", reference="P0044", amount_cents=d.estimate.estimate_total(vid)
            ),
        )
    assert sum(1 for e in d.lifecycle.history(vid) if e.action == "estimate.authorise") == 1


async def test_workshop_keys(shop, clock, db_url):
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "IN_REPAIR",
        [
            Key("assign a", ("a",), picks={"a": (1,), "b": (0,)}, shows=lambda v: v.visit.technician_id),
            Key("progress update u", ("u",), typed={"a": {"text": "Parts fitted"}, "b": {"text": "Road test next"}}),
            Key(
                "found work g",
                ("g",),
                typed={
                    "a": {"finding": "Leaking hose", "description": "Coolant hose", "unit_cents": "30"},
                    "b": {"finding": "Worn belt", "description": "Drive belt", "unit_cents": "45"},
                },
                shows=lines,
                kept=lambda v: {"Coolant hose", "Drive belt"} <= {ln.description for ln in v.lines},
            ),
        ],
    )


async def test_workshop_line_keys_of_two_technicians(shop, clock, db_url):
    """s and d record work in the name of the technician signed in (on another's
    terminal: act as, his PIN, tests/functional/test_who_records.py)."""
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "IN_REPAIR",
        [
            Key(
                "start line s",
                ("s",),
                cursor={"a": ("work-lines", 0), "b": ("work-lines", 1)},
                shows=lambda v: [ln.started for ln in v.lines],
                kept=lambda v: v.lines[0].started and v.lines[1].started,
            ),
            Key(
                "line done d",
                ("d",),
                cursor={"a": ("work-lines", 0), "b": ("work-lines", 1)},
                shows=lambda v: [ln.done_at for ln in v.lines],
                kept=lambda v: v.lines[0].done_at and v.lines[1].done_at,
            ),
        ],
        users=("张强", "刘师傅", Role.TECHNICIAN),
    )


async def test_workshop_decision_key(shop, clock, db_url):
    """y on both terminals, for work the technician found (not the managers)."""

    def found(shop, vid):
        d = shop.desk
        d.workshop.add_found_work(
            shop.tech,
            d.lifecycle.ref(vid),
            finding=d.reception.finding("Worn belt", "y"),
            line=d.estimate.draft(kind="part", description="Drive belt", qty="1", unit_cents=4500),
        )

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "IN_REPAIR",
        [
            Key(
                "customer decision y",
                ("y",),
                picks={"a": (0,), "b": (0,)},
                typed={"a": {"channel": "2", "reference": "P0051"}, "b": {"channel": "2", "reference": "P0052"}},
                shows=lambda v: sorted(str(ln.approval) for ln in v.lines),
                retry=False,
            ),
        ],
        prepare=found,
    )


async def test_workshop_part_arrived(shop, clock, db_url):
    """`r` on the back-ordered part on both terminals: A's arrival counts, B's stale
    one is refused and named (then there is nothing left to arrive)."""

    def back_ordered(shop, vid):
        d = shop.desk
        part = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "part")
        d.estimate.update_line(
            shop.sa,
            d.lifecycle.ref(vid),
            part.id,
            d.estimate.patch(availability="back_order", eta=clock.now.date() + timedelta(days=1)),
        )

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "IN_REPAIR",
        [
            Key(
                "part arrived r",
                ("r",),
                cursor={"a": ("work-lines", 1), "b": ("work-lines", 1)},
                shows=lambda v: [str(ln.availability) for ln in v.lines],
                retry=False,
            ),
        ],
        prepare=back_ordered,
    )


async def test_qc_rework_on_two_terminals(shop, clock, db_url):
    """`k` sends the car back to the workshop: B's stale rework is refused with its
    reason kept, and B's screen follows the car to the workshop."""
    vid = await two_terminals_walk(
        shop,
        clock,
        db_url,
        "QC",
        [
            Key("rework k", ("k",), typed={"a": "Brake squeal still there", "b": "Wheel nut torque"}, retry=False),
        ],
        after_refusal=follows_to("WorkshopScreen"),
    )
    assert shop.desk.lifecycle.visit_view(vid).visit.stage == "IN_REPAIR"


async def test_qc_and_delivery_keys(shop, clock, db_url):
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "READY",
        [
            Key(
                "explain amount e",
                ("e",),
                typed={"a": {"text": "Agreed by phone"}, "b": {"text": "Signed again"}},
                shows=lambda v: v.visit.amount_explanation,
                kept=lambda v: v.visit.amount_explanation == "Signed again",
            ),
            Key(
                "follow-up call c",
                ("c",),
                typed={"a": {"at": "+1 10:00"}, "b": {"at": "+2 15:00"}},
                shows=lambda v: v.visit.followup_agreed_at,
                kept=lambda v: v.visit.followup_agreed_at.hour == 15,
            ),
            Key("old parts o", ("o",), picks={"a": (0,), "b": (1,)}, shows=lambda v: v.visit.disposal),
            Key("told ready t", ("t",)),
        ],
    )


async def test_qc_washing_and_stage_advance(shop, clock, db_url):
    """Washing (c) on both, then the stage move (f8): B's stale move is refused and B's
    screen follows the car to the next stage."""

    def inspected(shop, vid):
        d = shop.desk
        d.checklist.mark_item(shop.tech, d.lifecycle.ref(vid), "QC-01", "done")
        flow.tick_open(d, shop.qc, vid)

    async def followed(pilot, app, notes) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "DeliveryScreen" and app.screen.view is not None)

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "QC",
        [
            Key("washing c", ("c",), shows=lambda v: v.visit.washing),
            Key("next stage f8", ("f8",), retry=False),
        ],
        prepare=inspected,
        after_refusal=followed,
    )


async def test_followup_call_keys(shop, clock, db_url):
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "DELIVERED",
        [
            Key(
                "no answer 2",
                ("2",),
                shows=lambda v: v.ref.version,
                kept=lambda v: len(audited(shop.desk, v.ref.id, "call.no_answer")) == 2,
            ),
            Key(
                "wrong number 3",
                ("3",),
                shows=lambda v: v.ref.version,
                kept=lambda v: len(audited(shop.desk, v.ref.id, "call.wrong_number")) == 2,
            ),
        ],
    )


async def test_followup_survey_key(shop, clock, db_url):
    """`1`: the customer was reached and answers the survey on both terminals; B's
    stale answers are refused and kept in its survey, then saved."""
    d = shop.desk
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "DELIVERED",
        [
            Key(
                "reached: survey 1",
                ("1",),
                presses={"a": tuple("55545"), "b": tuple("44454")},
                typed={"a": {"nps": "9", "comment": "Quick and friendly"}, "b": {"nps": "8", "comment": "Clean car"}},
                kept=lambda v: {"Quick and friendly", "Clean car"} <= set(survey_comments(d, v.ref.id)),
            ),
        ],
    )


def audited(d, visit_id: int, action: str) -> list[dict]:
    """What the audit says each ``action`` on the visit wrote."""
    return [json.loads(e.after or "{}") for e in d.lifecycle.history(visit_id) if e.action == action]


def survey_comments(d, visit_id: int) -> list[str]:
    return [after.get("comment", "") for after in audited(d, visit_id, "call.reached")]


async def test_complaint_close_on_two_terminals(shop, clock, db_url):
    """`c` on the complaints list of both terminals: A closes the complaint, B's
    close on its stale row is refused and named, B's list shows it closed (gone
    from the open ones) and B's form keeps what was typed."""
    from desk.screens.complaints import ComplaintsScreen

    d = shop.desk
    d.people.create_user(None, B_USER, [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    cid = d.complaints.open_complaint(shop.sa, d.lifecycle.ref(vid), d.complaints.complaint("ordinary", "Noise")).value
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name=B_USER)
    closing = {
        "a": {"root_cause": "Pads glazed", "remedy": "Re-check", "closing_report": "Customer happy"},
        "b": {"root_cause": "Loose shield", "remedy": "Refit", "closing_report": "Called back"},
    }
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            await in_app(pilot, app, lambda app=app: app.push_screen(ComplaintsScreen()))
            await wait_for(pilot, lambda app=app: screen_name(app) == "ComplaintsScreen" and app.screen.rows)
        b.live.stop(wait=True)  # B keeps showing the complaint as it was
        for app, pilot, who in ((b, pb, "b"), (a, pa, "a")):
            await pilot.press("c")
            await until(pilot, lambda app=app: isinstance(app.screen, FormDialog), f"{who}'s closing form")
            form = app.screen

            def fill(form=form, typed=closing[who]) -> None:
                for name, value in typed.items():
                    form.query_one(f"#f-{name}", Input).value = value

            await in_app(pilot, app, fill)
        typed_b = typed_now(b)
        await pa.press("ctrl+s")
        await until(pa, lambda: dialog(a) is None and not a.screen.rows, "A's close saved, its list empty")
        closed = next(c for c in d.complaints.complaints(include_closed=True) if c.id == cid)
        assert closed.closed
        await pb.press("ctrl+s")
        await until(pb, lambda: any(STALE in n for n in notes), f"B refused as stale ({notes})", tries=600)
        message = next(n for n in notes if STALE in n)
        assert " at " in message and not CODE.search(message), message
        await until(pb, lambda: not visit_list(b).rows, "B's list shows the complaint closed")
        assert typed_now(b) == typed_b  # B's form is still open with its text
        b.live.start()
    (kept,) = audited(d, vid, "complaint.close")  # once, A's: nothing written over
    assert kept["root_cause"] == "Pads glazed"


async def test_flag_accept_on_two_terminals(shop, clock, db_url):
    """`a` on the history screen of both managers' terminals: A accepts the
    rushed walkaround, B's accept on its stale copy is refused and named, B's
    screen then shows A's acceptance, B's note stays typed, once audited."""
    from desk.screens.history import HistoryScreen

    d = shop.desk
    d.people.create_user(None, B_USER, [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE", rush=True)  # the walkaround over in the instant it began
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name=B_USER)

    def flag_state(app) -> str:
        table = app.screen.query_one("#flags", DataTable) if isinstance(app.screen, HistoryScreen) else None
        return "" if table is None else str(table.get_cell("rushed_walkaround", table.ordered_columns[3].key))

    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            await in_app(pilot, app, lambda app=app: app.push_screen(HistoryScreen(vid)))
            await wait_for(pilot, lambda app=app: flag_state(app) == "Open")
        b.live.stop(wait=True)  # B keeps showing the flag as it was
        for app, pilot, note in ((b, pb, "Seen done on the lift"), (a, pa, "A regular's car, checked")):
            await pilot.press("a")
            await until(pilot, lambda app=app: isinstance(app.screen, ReasonDialog), "the note dialog")
            await in_app(
                pilot, app, lambda app=app, note=note: setattr(app.screen.query_one("#reason", Input), "value", note)
            )
        await pa.press("enter")
        await until(pa, lambda: flag_state(a).startswith("Accepted by " + A_USER), "A's acceptance shown")
        await pb.press("enter")
        await until(pb, lambda: any(STALE in n for n in notes), f"B refused as stale ({notes})", tries=600)
        assert typed_now(b) == "Seen done on the lift"  # B's note is still typed
        await pb.press("escape")
        await until(pb, lambda: flag_state(b).startswith("Accepted by " + A_USER), "B shows A's acceptance")
        b.live.start()
    (kept,) = audited(d, vid, "integrity.accept")  # once, A's: nothing written over
    assert kept["note"] == "A regular's car, checked" and d.integrity.visit_flags(vid).open() == []


async def test_arrival_on_two_terminals(shop, clock, db_url):
    """``a`` then ``y`` on both terminals for one booking: A's arrival (and its tick
    of the special notes) counts; B's, from the board as it was, is refused as
    stale, named, and B follows the car to its reception. One arrival, one tick."""
    d = shop.desk
    vid = flow.book(shop, clock, minutes_ahead=-5)
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name="王丽")  # the advisor, no PIN to type
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await until(
                pilot,
                lambda app=app: screen_name(app) == "AppointmentsScreen" and app.screen.rows,
                "the board with the booking",
            )
            await pilot.press("a")
            await until(pilot, lambda app=app: isinstance(app.screen, ConfirmDialog), "the arrival's question")
        await pa.press("y")
        await until(pa, lambda: screen_name(a) == "ReceptionScreen", "A at the reception")
        await pb.press("y")
        await until(pb, lambda: any(STALE in n for n in notes), f"B refused as stale ({notes})", tries=600)
        await until(pb, lambda: screen_name(b) == "ReceptionScreen", "B follows the car to the reception")
    assert len(audited(d, vid, "visit.arrive")) == 1
    assert [m["item"] for m in audited(d, vid, "mot.done")] == ["APPT-07"]


def visit_list(app):
    return next(s for s in reversed(app.screen_stack) if type(s).__name__ == "ComplaintsScreen")


async def test_the_board_follows_the_feed_without_polling(shop, clock, db_url):
    """The board reads again only when the feed reports a change: no timer reads the
    database; another terminal's change shows within a second."""
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            await pilot.press("f3")
            await wait_for(pilot, lambda app=app: screen_name(app) == "ProgressScreen" and app.screen.rows)
        board = a.screen
        reads = []
        real = board.fetch
        board.fetch = lambda: reads.append(1) or real()
        clock.advance(seconds=3)
        for _ in range(20):  # a good second of frames with nothing changing: nothing is read
            await pa.pause(0.05)
        assert reads == []
        # B assigns a technician by keys on its board; A's board shows it from the feed
        await pb.press("a")
        await wait_for(pb, lambda: isinstance(b.screen, PickDialog))
        await pb.press("down", "enter")
        await wait_for(pb, lambda: shop.desk.lifecycle.visit_view(vid).visit.technician_id == shop.tech2.id)
        seen_at = time.monotonic()
        await wait_for(pa, lambda: board.rows and board.rows[0].technician == shop.tech2.name, tries=2000)
        assert time.monotonic() - seen_at < 1.5
        assert reads  # read because of the change, not a timer
        # only the clock moves the time left, from the rows on screen
        clock.advance(hours=1)
        reads.clear()
        left = board.rows[0].minutes_left
        await in_app(pa, a, board.tick_clock)
        assert board.rows[0].minutes_left == left - 60 and reads == []


async def test_a_fault_is_logged_with_a_reference(shop, clock, db_url, monkeypatch):
    """An unexpected error (not a refusal) is written to the error log in the data
    folder; the screen shows one sentence with its reference, no traceback."""
    from desk.faults import log_path

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "RECEPTION")
    app = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await in_app(pilot, app, lambda: app.push_screen(screen_for("RECEPTION", vid)))
        await wait_for(pilot, lambda: isinstance(app.screen, VisitScreen) and app.screen.view is not None)

        def broken(*args, **kw):
            raise ZeroDivisionError("a bug")

        monkeypatch.setattr(app.desk.reception, "confirm_concerns", broken)
        await pilot.press("f")
        await wait_for(pilot, lambda: any("reference" in n for n in notes))
    note = next(n for n in notes if "reference" in n)
    assert "Traceback" not in note and "ZeroDivisionError" not in note
    ref = note.split("reference ")[1][:8]
    logged = log_path().read_text(encoding="utf-8")
    assert f"--- {ref} " in logged and "ZeroDivisionError: a bug" in logged


async def test_a_reload_under_an_open_form_keeps_its_text_and_focus(shop, clock, db_url):
    """B types in a form while A's change arrives by the feed: B's screen below
    shows it, the form stays up with B's text and its focus. The form keeps the
    version it was opened on: B's save is refused, A's change named in words, and
    ctrl+r saves B's on top of A's."""
    d = shop.desk
    d.people.create_user(None, B_USER, [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "RECEPTION")
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name=B_USER)
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            await in_app(pilot, app, lambda app=app: app.push_screen(screen_for("RECEPTION", vid)))
            await wait_for(pilot, lambda app=app: isinstance(app.screen, VisitScreen) and app.screen.view is not None)
        await pb.press("k")
        await wait_for(pb, lambda: isinstance(b.screen, FormDialog))
        await pb.press(*"wipers")
        focused, seen = b.focused, visit_screen(b).ref
        await pa.press("k")
        await wait_for(pa, lambda: isinstance(a.screen, FormDialog))
        await pa.press(*"horn", "ctrl+s")
        await until(pb, lambda: visit_screen(b).shown_ref != seen, "B's screen follows the feed", tries=2000)
        assert "horn" in concerns(visit_screen(b).view)
        assert isinstance(b.screen, FormDialog) and b.focused is focused
        assert b.screen.query_one("#f-concern", Input).value == "wipers"
        await pb.press("ctrl+s")
        await until(pb, lambda: any(STALE + " added a concern at " in n for n in notes), f"B refused ({notes})")
        assert b.screen.query_one("#f-concern", Input).value == "wipers"
        assert "wipers" not in concerns(d.lifecycle.visit_view(vid))
        await pb.press("ctrl+r")
        await until(pb, lambda: dialog(b) is None, "B's concern saved")
    assert {"horn", "wipers"} <= set(concerns(d.lifecycle.visit_view(vid)))
