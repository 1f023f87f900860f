"""Import customers and vehicles from another system's CSV export.

Type the file's path, Enter checks every row (progress bar; Ctrl+E names the
file's encoding when detecting it is not enough, and checks again), the preview shows the
first rows with what is wrong in each and every error below it; Ctrl+S imports,
after a y/n confirmation, all rows in one transaction, or nothing while any row
has an error. Reached from the lookup screen (Ctrl+O) and the command palette.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Input, Label, ProgressBar, Static

from desk.i18n import N_, _
from desk.screens.base import DeskScreen
from desk.widgets.dialogs import ConfirmDialog
from desk.widgets.footer import DeskFooter
from desk.widgets.import_errors import field_label, reason_text, row_error_text
from desk.widgets.safe import literal

#: Errors listed under the preview (the CLI and the count give the rest).
MAX_LISTED = 500


class ImportScreen(DeskScreen):
    DEFAULT_CSS = """
    ImportScreen #import-body { padding: 0 1; }
    ImportScreen #path { margin-bottom: 1; }
    ImportScreen #summary { height: auto; margin: 1 0; }
    ImportScreen #preview { height: 1fr; min-height: 6; }
    ImportScreen #errors { height: 1fr; min-height: 4; }
    ImportScreen .section { text-style: bold; }
    ImportScreen ProgressBar { margin: 0 0 1 0; }
    """
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="importer.back"),
        Binding("ctrl+o", "check", N_("Check file"), id="importer.check"),
        Binding("ctrl+s", "import", N_("Import all rows"), id="importer.import"),
        Binding("ctrl+e", "encoding", N_("Encoding"), id="importer.encoding"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.initial = path
        #: the checked file: (path, bytes, ParsedImport, ImportPlan) or None
        self.checked = None
        self.busy = False
        #: the file's encoding: "auto" (detected) or one of csvimport.ENCODINGS
        self.encoding = "auto"

    def _title(self) -> str:
        from desk.domain.csvimport import ENCODINGS

        shown = _("detected") if self.encoding == "auto" else ENCODINGS[self.encoding][1]
        return _("Import customers and vehicles from CSV (encoding: {encoding}, Ctrl+E)", encoding=shown)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        with Vertical(id="import-body"):
            yield Label(self._title(), classes="section", id="import-title")
            yield Input(value=self.initial, placeholder=_("Path of the CSV file, then Enter"), id="path")
            yield ProgressBar(total=100, show_eta=False, id="progress")
            yield Static("", id="summary")
            yield Label(_("First rows"), classes="section")
            yield DataTable(id="preview", cursor_type="row", zebra_stripes=True)
            yield Label(_("Rows with errors"), classes="section")
            yield DataTable(id="errors", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        errors = self.query_one("#errors", DataTable)
        for key, label, width in (("row", N_("Row no."), 8), ("field", N_("Field"), 14), ("reason", N_("Problem"), 90)):
            errors.add_column(_(label), key=key, width=width)
        self.query_one("#path", Input).focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "import":
            ok = self.checked is not None and self.checked[2].ok and not self.busy
            return True if ok else None  # greyed in the footer until a clean file is checked
        return True

    # ------------------------------------------------------------------ check

    def action_encoding(self) -> None:
        """The next encoding (detected, UTF-8, UTF-16 …, Windows-1252), and the
        file checked again with it."""
        from desk.domain.csvimport import ENCODING_CHOICES

        if self.busy:
            return
        self.encoding = ENCODING_CHOICES[(ENCODING_CHOICES.index(self.encoding) + 1) % len(ENCODING_CHOICES)]
        self.query_one("#import-title", Label).update(self._title())
        if self.query_one("#path", Input).value.strip():
            self.action_check()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_check()

    def action_check(self) -> None:
        if self.busy:
            return
        raw = self.query_one("#path", Input).value.strip().strip('"').strip("'")
        if not raw:
            self.notify(_("Type the path of the CSV file"), severity="warning")
            return
        path = Path(raw).expanduser()
        self.checked = None
        self.busy = True
        self.refresh_bindings()
        self.set_progress(0, 1)
        self.query_one("#summary", Static).update(_("Checking {file}…", file=path.name))
        encoding = self.encoding

        def job():
            try:
                data = path.read_bytes()
            except OSError as exc:
                from desk.domain.errors import InvalidInput

                raise InvalidInput(
                    "file", "Cannot read the file: {detail}", {"detail": exc.strerror or str(exc)}
                ) from None
            parsed = self.desk.transfer.read_import(data, progress=self.progress_from_thread, encoding=encoding)
            plan = self.desk.transfer.plan_import(parsed) if parsed.records else None
            return path, data, parsed, plan

        self.run_db(job, self.show_checked, failed=self.check_failed, group="import", exclusive=True)

    def progress_from_thread(self, done: int, total: int) -> None:
        self.app.call_from_thread(self.set_progress, done, total)

    def set_progress(self, done: int, total: int) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)

    def check_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.refresh_bindings()
        from desk.domain.errors import InvalidInput
        from desk.widgets.feedback import describe_error

        text = reason_text(exc.reason, exc.params) if isinstance(exc, InvalidInput) else describe_error(exc)
        self.query_one("#preview", DataTable).clear(columns=True)  # nothing of an earlier check stays
        self.query_one("#errors", DataTable).clear()
        self.query_one("#summary", Static).update(literal(text, "bold red"))
        self.notify(text, severity="error", timeout=8)

    def show_checked(self, result) -> None:
        self.busy = False
        path, data, parsed, plan = result
        self.checked = result
        self.refresh_bindings()
        self.show_summary()
        self.fill_preview(parsed)
        self.fill_errors(parsed)
        # the errors (or the preview) take the keys: arrows scroll, Tab back to the path
        self.query_one("#errors" if parsed.errors else "#preview", DataTable).focus()

    def show_summary(self, done: bool = False) -> None:
        _path, _data, parsed, plan = self.checked
        lines = [
            _(
                "{rows} rows read ({encoding}, delimiter {delimiter})",
                rows=parsed.rows,
                encoding=parsed.encoding,
                delimiter=_("tab") if parsed.delimiter == "\t" else parsed.delimiter,
            )
        ]
        if parsed.ignored_headers:
            lines.append(_("Columns not imported: {columns}", columns=", ".join(parsed.ignored_headers)))
        style = "green"
        if parsed.errors:
            bad = len({e.line for e in parsed.errors})
            lines.append(
                _(
                    "{n} rows with errors: correct the file and check it again; nothing is imported "
                    "while a row has an error",
                    n=bad,
                )
            )
            style = "bold red"
        elif plan is not None:
            lines.append(
                _(
                    "{new} new customers, {known} already known; {cars} new vehicles, {skipped} already registered",
                    new=plan.customers_new,
                    known=plan.customers_known,
                    cars=plan.vehicles_new,
                    skipped=plan.vehicles_known,
                )
            )
            lines.append(_("Imported") if done else _("Ctrl+S: import all rows"))
        if parsed.warnings:
            lines.append(
                _("{n} warnings (kept): {first}", n=len(parsed.warnings), first=row_error_text(parsed.warnings[0]))
            )
        self.query_one("#summary", Static).update(literal("\n".join(lines), style, multiline=True))

    def fill_preview(self, parsed) -> None:
        table = self.query_one("#preview", DataTable)
        table.clear(columns=True)
        table.add_column(_("Row no."), key="row", width=8)
        table.add_column(_("Row check"), key="check", width=40)
        from rich.cells import cell_len

        for idx, header in enumerate(parsed.headers):
            # fixed widths (from the content): the table does not re-flow as rows arrive
            widest = max(
                [cell_len(header)] + [cell_len(cells[idx]) for _l, cells in parsed.preview if idx < len(cells)]
            )
            table.add_column(literal(header), key=f"c{idx}", width=min(widest, 24))
        by_line = parsed.errors_by_line()
        for line, cells in parsed.preview:
            errs = by_line.get(line, [])
            check = (
                literal(
                    "; ".join(f"{field_label(e.field)}: {reason_text(e.reason, e.params)}" for e in errs), "bold red"
                )
                if errs
                else literal(_("Row OK"), "green")
            )
            cells = list(cells) + [""] * (len(parsed.headers) - len(cells))
            table.add_row(str(line), check, *[literal(c) for c in cells[: len(parsed.headers)]])

    def fill_errors(self, parsed) -> None:
        table = self.query_one("#errors", DataTable)
        table.clear()
        for e in parsed.errors[:MAX_LISTED]:
            table.add_row(str(e.line), field_label(e.field), literal(reason_text(e.reason, e.params), "red"))
        if len(parsed.errors) > MAX_LISTED:
            table.add_row("…", "", _("… and {n} more", n=len(parsed.errors) - MAX_LISTED))

    # ------------------------------------------------------------------ import

    def action_import(self) -> None:
        if self.checked is None or not self.checked[2].ok or self.busy:
            return
        path, data, parsed, plan = self.checked
        question = _(
            "Import {new} new customers and {cars} new vehicles from {file}?",
            new=plan.customers_new,
            cars=plan.vehicles_new,
            file=path.name,
        )
        self.app.push_screen(ConfirmDialog(question), self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if not yes or self.checked is None:
            return
        path, data, parsed, _plan = self.checked
        self.busy = True
        self.refresh_bindings()
        self.set_progress(0, 1)
        self.query_one("#summary", Static).update(_("Importing…"))
        user = self.user
        self.run_db(
            lambda: self.desk.transfer.import_customers(
                user, parsed, source=path.name, data=data, progress=self.progress_from_thread
            ),
            self.imported,
            failed=self.import_failed,
            group="import",
            exclusive=True,
        )

    def imported(self, plan) -> None:
        self.busy = False
        path, data, parsed, _old = self.checked
        self.checked = (path, data, parsed, plan)
        self.show_summary(done=True)
        self.checked = None  # importing the same file again needs a new check
        self.refresh_bindings()
        self.notify(
            _("Imported: {new} customers, {cars} vehicles", new=plan.customers_new, cars=plan.vehicles_new), timeout=10
        )

    def import_failed(self, exc: BaseException) -> None:
        from desk.domain.csvimport import ImportRejected

        self.busy = False
        self.refresh_bindings()
        if isinstance(exc, ImportRejected):
            self.notify(
                _("{n} rows with errors: nothing was imported", n=len({e.line for e in exc.errors})),
                severity="error",
                timeout=8,
            )
        else:
            self.show_error(exc)
        self.query_one("#summary", Static).update(literal(_("Nothing was imported"), "bold red"))

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(None)
