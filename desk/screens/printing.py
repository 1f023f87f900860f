"""F6 on the estimate, delivery and walkaround screens: the document made and
written in a worker, what was printed said in a notification. The files
themselves are written by ``desk.output.files``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desk.i18n import _


def print_document(screen, make_doc: Callable[[object, datetime], object]) -> None:
    """``make_doc(settings, printed_at)`` -> :class:`desk.output.text.Doc`, made in
    a worker with the shop's set-up as it is now (an address changed on another
    terminal counts) and the app's clock; written as text and PDF."""
    from desk.output.files import print_doc

    desk, clock = screen.desk, screen.app.clock
    screen.run_db(lambda: print_doc(make_doc(desk.ctx.settings, clock())), lambda paths: show_printed(screen, paths))


def show_printed(screen, paths) -> None:
    """``paths``: what ``desk.output.files.print_doc`` returned."""
    text_path, pdf_path, problem = paths
    if pdf_path is not None:
        screen.notify(
            _("Saved for printing: {path}", path=str(text_path)) + "\n" + _("PDF: {path}", path=str(pdf_path)),
            timeout=10,
        )
    else:
        screen.notify(_("Saved for printing: {path}", path=str(text_path)), timeout=10)
        screen.notify(problem or _("The PDF could not be made"), severity="warning", timeout=15)
