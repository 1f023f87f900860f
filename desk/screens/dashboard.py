"""The KPI dashboard (spec: "Measures the documents ask for"): every figure of a
date range for the shop or one advisor, with its trend over the range; enter on
a figure lists the visits behind it, enter on a visit opens it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable, Static

from desk.domain import fields, kpi, kpi_plan, staff
from desk.domain.process import STAGE_LABELS, TERMINAL, Stage
from desk.i18n import N_, _, _n
from desk.screens.listing import ListScreen, TableScreen
from desk.widgets.dialogs import FormDialog, FormField, PickDialog
from desk.widgets.safe import literal

PERIOD_LABELS = {
    kpi.DAY: N_("By day"),
    kpi.WEEK: N_("By week"),
    kpi.MONTH: N_("By month"),
    kpi.YEAR: N_("By year"),
    kpi.CUSTOM: N_("Range"),
}


def value_style(m: kpi.Measure) -> str:
    """Rates below 80 % and a negative NPS stand out."""
    if m.value is None:
        return "dim"
    if (
        m.unit == kpi.PCT
        and m.key not in ("comeback", "no_show", "declined_done")
        and not m.key.startswith(("duration", "comeback."))
    ):
        return "bold" if m.value >= 80 else "bold yellow" if m.value >= 50 else "bold red"
    if m.unit == kpi.NPS and m.value < 0:
        return "bold red"
    return "bold"


class DashboardScreen(TableScreen):
    BINDINGS = [
        Binding("enter", "open", N_("Visits behind it"), id="dashboard.open"),
        Binding("left_square_bracket", "shift(-1)", N_("Previous period"), key_display="[", id="dashboard.previous"),
        Binding("right_square_bracket", "shift(1)", N_("Next period"), key_display="]", id="dashboard.next"),
        Binding("d", "period('day')", N_("By day"), id="dashboard.day"),
        Binding("w", "period('week')", N_("By week"), id="dashboard.week"),
        Binding("m", "period('month')", N_("By month"), id="dashboard.month"),
        Binding("y", "period('year')", N_("By year"), id="dashboard.year"),
        Binding("r", "range", N_("Date range"), id="dashboard.range"),
        Binding("a", "advisor", N_("Advisor"), id="dashboard.advisor"),
    ]

    TABLE_ID = "kpi"
    COLUMNS = (
        ("figure", N_("Figure"), 40),
        ("value", N_("Value"), 8),
        ("base", N_("Base"), 9),
        ("trend", N_("Trend"), 31),
        ("shop", N_("Shop"), 8),
    )

    def __init__(self) -> None:
        super().__init__()
        self.kind = kpi.MONTH
        self.first, self.last = kpi.period(self.kind, self.today())
        self.advisor_id: int | None = None
        self.advisor_name = ""
        self.report = None
        #: The report's figures are all in (the last read came).
        self.complete = False
        #: The period's size: the visits arrived in it (shown in the title).
        self.visit_count: int | None = None

    def today(self) -> date:
        return self.app.clock().date()

    def on_data_changed(self, message) -> None:
        self.load(quiet=True)  # the same figures, refreshed without a "Loading…" flash

    # ------------------------------------------------------------------ loading

    def load(self, quiet: bool = False) -> None:
        """The figures in three reads, each painted as it comes: the headline the
        database counts, the rest it counts, then those still computed in Python
        over the period's records (the title says "Loading…" until then)."""
        from desk.services.reports import HEADLINE, KpiReport, day_range, figure_id

        start, end = day_range(self.first, self.last)
        advisor = self.advisor_id
        reports = self.desk.reports
        if not quiet:
            self.set_title(loading=True)

        def partial(figures, rows) -> KpiReport:
            counts = {figure_id(r.measure): f.count for f, r in zip(figures, rows)}
            return KpiReport(start, end, advisor, self.advisor_name, rows, {}, counts)

        def head():
            figures = reports.kpi_figures(start, end)
            return figures, reports.kpi_counted(figures[:HEADLINE], start, end, advisor)

        def got_head(read) -> None:
            figures, rows = read
            self.show_report(partial(figures, rows), complete=False)
            self.run_db(
                lambda: reports.kpi_counted(figures[HEADLINE:], start, end, advisor),
                lambda more: got_counted(figures, rows + more),
                group="kpi",
                exclusive=True,
            )

        def got_counted(figures, rows) -> None:
            counted = partial(figures, rows)
            self.show_report(counted, complete=False)
            self.run_db(
                lambda: reports.kpi_rest(start, end, advisor, rows),
                lambda full: self.show_report(replace(full, counts=counted.counts), complete=True),
                group="kpi",
                exclusive=True,
            )

        self.run_db(head, got_head, group="kpi", exclusive=True)

    def title_text(self) -> Text:
        who = self.advisor_name if self.advisor_id is not None else _("Whole shop")
        text = Text(_("KPI") + "  ", style="bold")
        text.append(f"{_(PERIOD_LABELS[self.kind])} {self.first:%Y-%m-%d}")
        if self.last != self.first:
            text.append(f" … {self.last:%Y-%m-%d}")
        text.append("   " + _("Advisor") + ": ")
        text.append(who, style="bold")
        return text

    def set_title(self, loading: bool = False) -> None:
        text = self.title_text()
        if self.visit_count is not None:
            text.append(
                "   " + _n("{count} visit", "{count} visits", self.visit_count, count=f"{self.visit_count:,}"),
                style="dim",
            )
        if loading:
            text.append("   " + _("Loading…"), style="dim")
        self.query_one("#kpi-title", Static).update(text)

    def show_report(self, report, complete: bool = True) -> None:
        from desk.services.reports import measure_base, measure_label

        self.report = report
        self.complete = complete
        arrived = next((r.measure for r in report.rows if r.measure.key == "appointment_share"), None)
        self.visit_count = arrived.den if arrived is not None else None
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        seen: dict[str, int] = {}
        for row in report.rows:
            m = row.measure
            shop = kpi.format_value(row.shop) if row.shop is not None else ""
            # a figure split where its standard changed is several rows of one key: the
            # later stretches get "#2", "#3" (a repeated key stopped the table: "Loading…" for good)
            seen[m.key] = seen.get(m.key, 0) + 1
            table.add_row(
                Text(measure_label(m)),
                Text(kpi.format_value(m), style=value_style(m), justify="right"),
                Text(measure_base(m), justify="right"),
                Text(kpi.spark(row.trend, m.unit), style="cyan"),
                Text(shop, justify="right"),
                key=m.key if seen[m.key] == 1 else f"{m.key}#{seen[m.key]}",
            )
        if report.rows:
            table.move_cursor(row=min(keep, len(report.rows) - 1))
        self.set_title(loading=not complete)

    # ------------------------------------------------------------------ keys

    def action_shift(self, steps: int) -> None:
        self.first, self.last = kpi.shift(self.kind, self.first, self.last, steps)
        self.load()

    def action_period(self, kind: str) -> None:
        self.kind = kind
        self.first, self.last = kpi.period(kind, self.today())
        self.load()

    def action_range(self) -> None:
        today = self.today()

        def check(values: dict) -> None:
            kpi.check_range(values["first"], values["last"])

        def chosen(values) -> None:
            if values:
                self.kind = kpi.CUSTOM
                self.first, self.last = values["first"], values["last"]
                self.load()

        self.app.push_screen(
            FormDialog(
                _("Date range"),
                [
                    FormField.of(fields.FIRST_DAY, _("From (e.g. 2026-11-01)"), f"{self.first:%Y-%m-%d}", today=today),
                    FormField.of(fields.LAST_DAY, _("To"), f"{self.last:%Y-%m-%d}", today=today),
                ],
                check=check,
            ),
            chosen,
        )

    def action_advisor(self) -> None:
        def show(users) -> None:
            choices: list = [(0, _("Whole shop"))]
            choices += [(u.id, u.name) for u in staff.advisors(users)]
            names = dict(choices)

            def chosen(advisor_id) -> None:
                if advisor_id is None:
                    return
                self.advisor_id = advisor_id or None
                self.advisor_name = names.get(advisor_id, "")
                self.load()

            self.app.push_screen(PickDialog(_("Advisor"), choices), chosen)

        self.run_db(self.desk.people.users, show)

    def on_data_table_row_selected(self, event) -> None:
        event.stop()
        self.action_open()

    def current_row(self):
        if self.report is None or not self.report.rows:
            return None
        table = self.query_one(DataTable)
        return self.report.rows[min(table.cursor_row, len(self.report.rows) - 1)]

    def action_open(self) -> None:
        from desk.services.reports import figure_id, measure_label

        row = self.current_row()
        if row is None:
            return
        m = row.measure
        title = f"{measure_label(m)}: {kpi.format_value(m)}   " + self.title_text().plain
        if m.days:
            self.app.push_screen(KpiDaysScreen(title, m.days))
            return
        count = self.report.counts.get(figure_id(m))
        if count is not None and m.den and count.kind in kpi_plan.OVER_VISITS:
            advisor, reports = self.advisor_id, self.desk.reports
            pages = lambda offset, limit: reports.kpi_visits_page(count, advisor, offset, limit)
            self.app.push_screen(KpiVisitsScreen(title, [], set(), {}, pages=pages, total=m.den))
            return
        if not m.visits:
            self.notify(_("No visits behind this figure"))
            return
        visits = [self.report.visits[i] for i in m.visits if i in self.report.visits]
        self.app.push_screen(KpiVisitsScreen(title, visits, set(m.hits), m.notes))


class KpiVisitsScreen(ListScreen):
    """The visits behind one figure; ✓ marks those that meet it."""

    TABLE_ID = "kpi-visits"
    COLUMNS = (
        ("ok", N_("Met"), 4),
        ("ro", N_("RO"), 10),
        ("day", N_("Day"), 10),
        ("customer", N_("Customer"), 12),
        ("plate", N_("Plate"), 9),
        ("advisor", N_("Advisor"), 10),
        ("tech", N_("Technician"), 10),
        ("stage", N_("Stage"), 11),
        ("detail", N_("Detail"), 24),
    )
    BINDINGS = [
        Binding("enter", "open", N_("Open"), show=False, id="kpi_visits.open"),
        Binding("escape", "back", N_("Back"), id="kpi_visits.back"),
        Binding("right_square_bracket", "page(1)", N_("Next page"), key_display="]", id="kpi_visits.next"),
        Binding("left_square_bracket", "page(-1)", N_("Previous page"), key_display="[", id="kpi_visits.previous"),
    ]

    #: Visits read at a time when the database counted the figure.
    PAGE = 50

    def __init__(self, title: str, visits: list, hits: set[int], notes: dict, *, pages=None, total: int = 0) -> None:
        super().__init__()
        self.title_line = title
        self.visits = visits
        self.hits = hits
        self.notes = notes
        #: ``pages(offset, limit) -> (visits, hits)``: a figure the database counted
        #: (``total`` visits behind it), read a page at a time.
        self.pages = pages
        self.total = total
        self.page_start = 0

    def on_mount(self) -> None:
        self.show_title()

    def show_title(self) -> None:
        text = Text()
        if self.pages is not None and self.total:  # first: a narrow terminal cuts the title's end
            last = min(self.page_start + self.PAGE, self.total)
            text.append(_("{first}–{last} of {total}", first=self.page_start + 1, last=last, total=self.total) + "   ")
        text.append(self.title_line)
        self.set_title(text)

    def fetch(self):
        if self.pages is None:
            return self.visits, self.hits
        offset = self.page_start
        return self.pages(offset, self.PAGE)

    def take(self, read) -> None:
        visits, self.hits = read
        self.show_rows(visits)
        self.show_title()

    def action_page(self, steps: int) -> None:
        if self.pages is None:
            return
        offset = self.page_start + steps * self.PAGE
        if offset < 0 or offset >= self.total:
            return
        self.page_start = offset
        self.query_one(DataTable).move_cursor(row=0)
        self.load()

    def row_key(self, row):
        return row.id

    def cells(self, v) -> tuple:
        met = Text("✓", style="green") if v.id in self.hits else Text("✗", style="red")
        stage = _(STAGE_LABELS[Stage(v.stage)]) if v.stage in Stage._value2member_map_ else v.stage
        return (
            met,
            Text(v.number),
            f"{v.day:%Y-%m-%d}" if v.day else "",
            literal(v.customer),
            literal(v.plate),
            literal(v.advisor),
            literal(v.technician),
            stage,
            literal(self.notes.get(v.id, "")),
        )

    def on_data_table_row_selected(self, event) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        from desk.screens.visit import screen_for

        v = self.current_row()
        if v is None:
            return
        screen = None if Stage(v.stage) in TERMINAL else screen_for(v.stage, v.id)
        if screen is None:  # a closed visit: its audited history
            from desk.screens.history import HistoryScreen

            screen = HistoryScreen(v.id)
        self.app.push_screen(screen)

    def action_back(self) -> None:
        self.dismiss()


class KpiDaysScreen(ListScreen):
    """The days behind a figure of days (the daily opening checklist); ✓ marks
    those that meet it, the detail says how many items were ticked."""

    TABLE_ID = "kpi-days"
    COLUMNS = (("ok", N_("Met"), 4), ("day", N_("Day"), 12), ("detail", N_("Detail"), 24))
    BINDINGS = [Binding("escape", "back", N_("Back"), id="kpi_days.back")]

    def __init__(self, title: str, days: tuple) -> None:
        super().__init__()
        self.title_line = title
        self.days = list(days)

    def on_mount(self) -> None:
        self.set_title(Text(self.title_line))

    def fetch(self):
        return self.days

    def row_key(self, row):
        return row[0].isoformat()

    def cells(self, row) -> tuple:
        day, met, detail = row
        return (
            Text("✓", style="green") if met else Text("✗", style="red"),
            f"{day:%Y-%m-%d}",
            literal(detail),
        )

    def action_back(self) -> None:
        self.dismiss()
