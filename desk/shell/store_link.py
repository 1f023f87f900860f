"""The app's link to the store: opened in a worker once the first frame is up, the
screen that says why it could not be (and offers a backup to restore), the
integrity check in the background, today's backup, and letting go of the file.

What a failure to open leads to depends on what it is:

* busy or held (another terminal writing, or a WAL file waiting to be switched
  to the rollback journal while others have it open): the loading screen says
  so, names who has it open, and tries again every :data:`StoreLink.RETRY_SECONDS`
  — a healthy file is never offered a restore;
* an empty file (0 bytes, SQLite without tables): a dialog asks before it
  becomes a new shop;
* damaged (or not SQLite at all): the error screen offers this database's
  backups (``r``); the restore keeps the replaced file, refuses while another
  terminal has the file open (naming it), and shows the integrity and audit
  checks of the restored file;
* anything else (a missing or read-only folder, another program's database, a
  newer schema): the error screen says what and what to do.

Only what the first frame needs is imported at the top: the services (and
SQLAlchemy with them), the backup helpers and the dialogs are imported where
they are used, in a worker or after a key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from desk.domain.errors import DeskError, StoreBusy, StoreDamaged, StoreNotAShop, StoreUnavailable
from desk.i18n import N_, _, _n
from desk.locations import backup_dir
from desk.screens.base import translated_bindings
from desk.widgets.feedback import describe_error
from desk.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from textual.binding import ActiveBinding

    from desk.shell.app import DeskApp
    from desk.store.anchor import Trouble
    from desk.store.backup import Recovered, RestoreReport


class ShellScreen(Screen):
    """A screen of the shell itself: its footer speaks the interface language too."""

    if TYPE_CHECKING:
        app: DeskApp  # the shell's screens live in desk's app (Textual types it App[Any])

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return translated_bindings(super().active_bindings)


class LoadingScreen(ShellScreen):
    """Shown for the first frame while the store opens in a worker; while the
    file is busy or held it says so (and the link tries again)."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static(_("Loading…"), id="loading")
        yield DeskFooter()

    def waiting(self, message: str) -> None:
        self.query_one("#loading", Static).update(Text(message + "\n\n" + _("Trying again…")))


class StoreErrorScreen(ShellScreen):
    """The database could not be opened: say what happened and what to do.

    For a SQLite file with backups, ``r`` offers them (newest first); the chosen
    one is verified, put in place (the damaged file is kept beside it) and the
    store is opened again.
    """

    BINDINGS = [
        Binding("v", "recover", N_("Recover into a new file"), id="store_error.recover"),
        Binding("r", "restore", N_("Restore a backup"), id="store_error.restore"),
        Binding("q", "app.quit", N_("Quit"), id="store_error.quit"),
    ]

    def __init__(self, message: str, backups: list[Path] | None = None, *, damaged: bool = False) -> None:
        super().__init__()
        self.message = message
        #: verified-at-restore backup files (``Path``), newest first
        self.backups = list(backups or [])
        #: SQLite found the file damaged: its recovery is offered first (``v``)
        self.damaged = damaged

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        text = Text(self.message)
        if self.backups:
            text.append(
                "\n\n"
                + _n(
                    "{n} backup found; press r to restore it",
                    "{n} backups found; press r to restore one",
                    len(self.backups),
                )
            )
        yield Static(text, id="store-error")
        yield DeskFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "restore":
            return bool(self.backups)
        if action == "recover":
            return self.damaged and self.app.db_url.startswith("sqlite")
        return True

    def action_recover(self) -> None:
        self.notify(_("Recovering every row SQLite can still read into a new file…"), timeout=5)
        self.recover()

    @work(thread=True, exclusive=True, group="restore", exit_on_error=False)
    def recover(self) -> None:
        from desk.store.backup import recover
        from desk.store.health import sqlite_path

        path = sqlite_path(self.app.db_url)
        if path is None:  # recover is offered on SQLite files only (check_action)
            return
        try:
            made = recover(path)
        except (DeskError, OSError) as exc:
            self.app.call_from_thread(self.notify, describe_error(exc), severity="error", timeout=20)
            return
        self.app.call_from_thread(self._recovered, made)

    def _recovered(self, made: Recovered) -> None:
        from desk.widgets.dialogs import ConfirmDialog

        said = _(
            "Recovered into {path}: {rows} rows in {tables} tables; {failed} reads failed on damaged pages.",
            path=made.path.name,
            rows=sum(made.rows.values()),
            tables=len(made.rows),
            failed=made.unreadable,
        )
        if not made.desk:
            self.notify(
                said
                + " "
                + _(
                    "Some of desk's tables could not be recovered: it is not a usable shop. "
                    "Restore a backup instead (desk restore)"
                ),
                severity="warning",
                timeout=20,
            )
            return
        question = said + "\n\n" + _("Put the recovered file in place? The damaged file is kept beside it.")
        self.app.push_screen(ConfirmDialog(question), self._restore_if(made.path))

    def _restore_if(self, path: Path) -> Callable[[bool | None], None]:
        """A confirmation's answer: yes restores ``path``."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.restore(path)

        return answered

    def action_restore(self) -> None:
        from desk.widgets.dialogs import ConfirmDialog, PickDialog

        def label(path: Path) -> str:
            stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            return f"{stamp}  {path.name}  ({path.stat().st_size // 1024} KB)"

        def picked(path: Path | None) -> None:
            if path is None:
                return
            question = _(
                "Replace the database with the backup {name}? The current file is kept beside it.", name=path.name
            )
            self.app.push_screen(ConfirmDialog(question), self._restore_if(path))

        self.app.push_screen(PickDialog(_("Restore which backup?"), [(p, label(p)) for p in self.backups]), picked)

    @work(thread=True, exclusive=True, group="restore", exit_on_error=False)
    def restore(self, path: Path) -> None:
        from desk.store.backup import restore

        self.app.store.close()  # found damaged while open: let go of the file first
        try:
            report = restore(path, self.app.db_url, confirmed=True)
        except (DeskError, OSError) as exc:
            self.app.call_from_thread(self.notify, describe_error(exc), severity="error", timeout=20)
            return
        self.app.call_from_thread(self._restored, report)

    def _restored(self, report: RestoreReport) -> None:
        self.app.notify(restored_text(report), severity="information" if report.ok else "warning", timeout=20)
        self.app.pop_screen()
        self.app.store.open()


def restored_text(report: RestoreReport) -> str:
    """What a restore did and what the checks found, in sentences."""
    lines = [_("Restored from {name}.", name=report.source.name)]
    if report.kept is not None:
        lines.append(_("The replaced file is kept as {name}.", name=report.kept.name))
    lines.append(
        _("Integrity check: ok.")
        if report.integrity_ok
        else _("Integrity check: the restored file is damaged; choose another backup.")
    )
    if report.integrity_ok:
        if report.audit_problems:
            lines.append(
                _n(
                    "Audit log: {n} event changed or missing (desk audit verify names it).",
                    "Audit log: {n} events changed or missing (desk audit verify names them).",
                    len(report.audit_problems),
                )
            )
            first = report.audit_problems[0]
            lines.append(_("event {id}: {problem}", id=first.event_id, problem=first.text()))
        else:
            lines.append(_n("Audit log: intact ({n} event).", "Audit log: intact ({n} events).", report.audit_events))
            if report.backup_head:
                lines.append(
                    _("It holds the newest event recorded with the backup (event {id}).", id=report.backup_head["id"])
                )
        if getattr(report, "anchored", False):
            lines.append(
                _("The audit log's anchor outside the database now names the restored head; the restore is audited.")
            )
    return " ".join(lines)


class StoreLink:
    """Opens the store for the app (``app.store_ready(desk)`` gets the services)
    and keeps what comes with an open store: the background integrity check,
    today's backup, the shop's set-up re-read."""

    #: Seconds after the store opened before SQLite's quick_check runs in the
    #: background (None: never; the file was checked when it was opened).
    INTEGRITY_CHECK_DELAY: float | None = 2.0
    #: Seconds between tries while the file is busy or held elsewhere.
    RETRY_SECONDS = 2.0

    def __init__(self, app: DeskApp) -> None:
        self.app = app
        #: why the audit log's anchor is behind, or None
        self.anchor_trouble: Trouble | None = None
        self._listening = False

    def _run(self, job: Callable[[], None], group: str) -> None:
        self.app.run_worker(job, thread=True, exclusive=True, group=group, exit_on_error=False)

    #: Seconds the services' import waits for today's board to be painted.
    BOARD_WAIT_SECONDS = 3.0

    def open(self, *, initialise: bool = False) -> None:
        """Open (and migrate) the store in a worker; a failure says what it is."""
        self.app.store_settled.clear()
        self._run(lambda: self._open(initialise), "store")

    def _early(self) -> None:
        """A SQLite shop ready as it is: its users, settings and today's board,
        read with sqlite3 before SQLAlchemy and the services are imported (over
        a second on a large shop); the board goes up, then they load."""
        app = self.app
        if app.early is not None or app.user is not None:
            return  # opened again (a restore, a busy file): the screens are up
        if "appointments" not in app.AREAS:
            return  # an app without the board and its sign-in (the lobby)
        from desk.store.reads import early_start

        app.preload_home()  # the board's screen module, imported here while the UI thread idles
        try:
            early = early_start(app.db_url, now=app.clock(), base_settings=app.settings)
        except Exception:  # noqa: BLE001 - the full opening finds the fault and says what it is
            early = None
        if early is None:
            return
        app.call_from_thread(app.early_ready, early)
        app.board_up.wait(self.BOARD_WAIT_SECONDS)

    def _open(self, initialise: bool = False) -> None:
        try:
            if not initialise:
                self._early()
            self._open_services(initialise)
        finally:
            self.app.store_settled.set()

    def _open_services(self, initialise: bool = False) -> None:
        from desk.services import open_desk
        from desk.store.faults import from_exception

        app = self.app
        try:
            # quick_check reads the whole file: it runs after the board is up
            desk = open_desk(
                app.db_url,
                clock=app.clock,
                settings=app.settings,
                migrate=app.MIGRATE,
                deep_check=False,
                initialise=initialise,
            )
        except StoreBusy as exc:
            app.call_from_thread(self.busy, describe_error(exc))
            return
        except StoreNotAShop as exc:
            if exc.can_initialise:
                app.call_from_thread(self.ask_initialise, describe_error(exc))
            else:
                app.call_from_thread(self.failed, describe_error(exc), self.backups())
            return
        except StoreDamaged as exc:
            app.call_from_thread(self.failed, describe_error(exc), self.backups(), True)
            return
        except DeskError as exc:  # a missing or read-only folder…: a restore would not help
            app.call_from_thread(self.failed, describe_error(exc))
            return
        except Exception as exc:  # noqa: BLE001 - any failure is shown, never a traceback
            app.call_from_thread(self.failed, describe_error(from_exception(exc)))
            return
        app.call_from_thread(app.store_ready, desk)

    def busy(self, message: str) -> None:
        """Healthy but busy or held: say so where the board will be, try again."""
        screen = self.app.screen
        if isinstance(screen, LoadingScreen):
            screen.waiting(message)
        else:
            self.app.notify(message, severity="warning", timeout=self.RETRY_SECONDS + 1)
        self.app.set_timer(self.RETRY_SECONDS, self.open)

    def ask_initialise(self, message: str) -> None:
        from desk.widgets.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.open(initialise=True)
            else:
                self.failed(message)

        question = message + "\n\n" + _("Make a new, empty shop in this file?")
        self.app.push_screen(ConfirmDialog(question), answered)

    def failed(self, message: str, backups: list | None = None, damaged: bool = False) -> None:
        self.app.push_screen(StoreErrorScreen(message, backups, damaged=damaged))

    def backups(self) -> list:
        """Backups a broken SQLite file could be restored from (worker thread)."""
        from desk.store.backup import backups_for

        try:
            return backups_for(self.app.db_url, backup_dir())
        except (OSError, DeskError):
            return []

    def after_open(self) -> None:
        """Today's backup now and the integrity check a little later, both in workers;
        from now on an anchor that could not be written is shown on the board."""
        self.listen_to_anchor()
        self._run(self._daily_backup, "backup")
        if self.INTEGRITY_CHECK_DELAY is not None:
            self.app.set_timer(self.INTEGRITY_CHECK_DELAY, self.check_integrity)

    def check_integrity(self) -> None:
        self._run(self._check_integrity, "integrity")

    def _check_integrity(self) -> None:
        """quick_check off the start-up path: on a large shop it reads hundreds
        of megabytes. Damage blocks every write and says so, as at start-up."""
        desk = self.app.desk
        if desk is None:
            return
        try:
            desk.ctx.check_integrity()
        except StoreBusy:
            pass  # busy on another terminal: the next start checks again
        except StoreUnavailable as exc:
            if desk.ctx.blocked:
                self.app.call_from_thread(
                    self.failed, describe_error(exc), self.backups(), isinstance(exc, StoreDamaged)
                )

    def _daily_backup(self) -> None:
        """Today's verified backup, once a day, keeping the last two weeks."""
        app = self.app
        if not app.db_url.startswith("sqlite") or not app.show_clock:
            return  # not with an injected clock: tests don't litter the backup folder
        from desk.store.backup import daily_backup

        try:
            daily_backup(app.db_url, backup_dir())
        except (DeskError, OSError) as exc:
            from desk.store.faults import from_exception

            detail = describe_error(from_exception(exc))
            app.call_from_thread(
                app.notify, _("Daily backup failed: {detail}", detail=detail), severity="error", timeout=15
            )

    def refresh_setup(self) -> None:
        """Re-read the shop's settings and checklist changes (in a worker)."""
        self._run(self._refresh_setup, "setup")

    def _refresh_setup(self) -> None:
        desk = self.app.desk
        if desk is None:
            return  # closed meanwhile (a restore): it is read again when it opens
        try:
            desk.setup.refresh_setup()
        except DeskError:
            return  # the next change tries again; the store error shows where data is read
        self.app.call_from_thread(self.app.shop_name_changed, desk.ctx.settings.shop_name)

    def close(self) -> None:
        """Let go of the database (before a restore replaces the file): the
        services' connections and the change feed; ``open`` starts both again."""
        self.app.live.stop(wait=True)
        desk, self.app.desk = self.app.desk, None
        if desk is not None:
            desk.ctx.engine.dispose()

    def listen_to_anchor(self) -> None:
        from desk.store import anchor

        if not self._listening:
            anchor.listen(self._anchor_news)
            self._listening = True

    def _anchor_news(self, key: str, trouble: Trouble | None) -> None:
        """The anchor writer's thread: an anchor of ours failed, or works again."""
        from desk.store import anchor

        if key != anchor.db_key(self.app.db_url):
            return
        try:
            self.app.call_from_thread(self.anchor_changed, trouble)
        except RuntimeError:  # the app is closing: nothing left to show it on
            pass

    def anchor_changed(self, trouble: Trouble | None) -> None:
        self.anchor_trouble = trouble
        for screen in list(self.app.screen_stack):
            shown = getattr(screen, "anchor_changed", None)
            if callable(shown):
                shown()

    def release(self) -> None:
        """The app ends: its connections (and their presence) go with the engine."""
        if self._listening:
            from desk.store import anchor

            anchor.unlisten(self._anchor_news)
            self._listening = False
        desk = self.app.desk
        if desk is not None:
            desk.ctx.engine.dispose()
