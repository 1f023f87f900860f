"""The benchmark machinery on a tiny shop, so it cannot rot. Not a timed test:
the figures' values depend on the machine; their presence and shape do not."""

from __future__ import annotations

import os
import shutil

import pytest

from bench import generate, run

#: The tests that use the tiny shop share a worker: it is generated once per module.
pytestmark = pytest.mark.xdist_group("bench_tiny")


@pytest.fixture(scope="module")
def _tiny_cache(tmp_path_factory):
    """A benchmark cache with the tiny shop generated into it (once per module)."""
    cache = tmp_path_factory.mktemp("bench") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESK_BENCH_CACHE", str(cache))
        made = generate.shop(generate.Size.scaled(300))
    assert made.path.parent == cache and made.path.exists()
    return cache


@pytest.fixture
def tiny(_tiny_cache, tmp_path, monkeypatch):
    """The tiny shop in a cache of this test's own: a copy of the module's, so a
    test that writes to its shop (the benchmark's commits) leaves the others' alone."""
    cache = tmp_path / "cache"
    shutil.copytree(_tiny_cache, cache)
    monkeypatch.setenv("DESK_BENCH_CACHE", str(cache))
    shop = generate.shop(generate.Size.scaled(300))
    assert shop.path.parent == cache
    return shop


def test_generated_shop_is_consistent_and_cached(tiny):
    from desk.services import open_desk

    # the history, plus today's board and a few recent visits made through the services
    assert 300 + tiny.counts["today"] <= tiny.counts["visit"] <= 300 + tiny.counts["today"] + 10
    assert tiny.counts["customer"] == generate.Size.scaled(300).customers
    desk = open_desk(tiny.url, clock=tiny.clock(), migrate=False)
    try:
        assert desk.reports.verify_audit() == []  # the bulk-written hash chain is intact
        board = desk.booking.board(tiny.now.date())
        assert len(board) > 5
        plate = board[0].plate
        assert plate in [v.plate for v, _c in desk.people.lookup(plate[1:])]  # search keys were written
    finally:
        desk.ctx.engine.dispose()
    again = generate.shop(generate.Size.scaled(300))
    assert again.path == tiny.path and again.now == tiny.now  # reused, not regenerated


@pytest.mark.slow
def test_every_figure_is_measured_on_a_tiny_shop(tiny):
    res = run.run(
        tiny,
        tiny,
        repeat=1,
        keys=3,
        tmux=False,
        log=lambda _m: None,
        pg_url=os.environ.get("DESK_TEST_PG_URL"),
        pg_shop=tiny,
    )
    names = " ".join(f.name for f in res.figures)
    for figure in (
        "1. first paint",
        "1. board filled",
        "2. start-up",
        "2. board load",
        "5. resident memory",
        "board navigation",
        "tick a checklist item",
        "add an estimate line",
        "4. lookup",
        "switch screens: board -> visit -> board",
        "open a visit with 30 lines and 10 past visits",
        "4. pinyin lookup",
        "7. KPI dashboard, year",
        *(f"3. {name}: service call + commit" for name in run.COMMITS),
    ):
        assert figure in names
    for f in res.figures:
        assert f.measured is not None and f.measured > 0 and f.baseline is not None and f.baseline > 0, f.name
        assert f.met in (True, False) or (f.target == "reported" and f.met is None)
    lookup = next(f for f in res.figures if f.name.startswith("4. lookup"))
    same, n = lookup.note.removeprefix("same rows ").split("/")
    assert same == n  # the service returns the hand-written query's rows
    if os.environ.get("DESK_TEST_PG_URL"):  # every figure beside PostgreSQL, each a ratio
        pg = [f for f in res.figures if f.name.startswith("6.")]
        for figure in (
            "board",
            "open a visit",
            "KPI dashboard, year",
            "pinyin lookup",
            "start-up to board",
            *(f"commit: {name}" for name in run.COMMITS),
        ):
            assert any(figure in f.name and f.ratio for f in pg), figure
    else:
        assert any("PostgreSQL" in note for note in res.notes)  # said, not silently skipped
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(run.table(res))
    text = console.export_text()
    assert "measured" in text and "baseline" in text and "ratio" in text and "met" in text


def test_quantile_and_figure_verdicts():
    assert run.pct([5, 1, 4, 2, 3], 0.5) == 3 and run.pct([5, 1, 4, 2, 3], 0.99) == 5
    f = run.Figure("x", 30.0, 20.0, "ms", "<= 1.5x", ratio_max=1.5)
    assert f.ratio == 1.5 and f.met is True
    assert run.Figure("x", 31.0, 20.0, "ms", "<= 1.5x", ratio_max=1.5).met is False
    assert run.Figure("m", 130.0, 40.0, "MB", "<= 120 MB", abs_max=120).met is False
    assert run.Figure("pg", 3.0, 1.0, "ms", "reported").met is None
