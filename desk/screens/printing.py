"""F6 on the estimate, delivery and walkaround screens: the document made and
written in a worker into the shop's printouts folder, sent to the shop's printer
when the set-up names one, what was done said in a notification. The files and
the printing are ``desk.output.files``'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desk.i18n import _


def print_document(screen, make_doc: Callable[[object, datetime], object]) -> None:
    """``make_doc(settings, printed_at)`` -> :class:`desk.output.text.Doc`, made in
    a worker with the shop's set-up as it is now (an address or a printer changed
    on another terminal counts) and the app's clock; written as text and PDF in the
    shop's own folder, and printed on the set-up's printer."""
    from desk.output.files import print_doc, printouts_folder

    desk, clock = screen.desk, screen.app.clock

    def run():
        settings = desk.ctx.settings
        return print_doc(make_doc(settings, clock()), printouts_folder(desk.ctx.engine.url), settings.shop_printer)

    screen.run_db(run, lambda printed: show_printed(screen, printed))


def show_printed(screen, printed) -> None:
    """``printed``: what ``desk.output.files.print_doc`` returned."""
    saved = _("Saved for printing: {path}", path=str(printed.text))
    if printed.pdf is not None:
        screen.notify(saved + "\n" + _("PDF: {path}", path=str(printed.pdf)), timeout=10)
    else:
        screen.notify(saved, timeout=10)
        screen.notify(printed.problem or _("The PDF could not be made"), severity="warning", timeout=15)
    if printed.printer and printed.print_problem:
        screen.notify(printed.print_problem, severity="warning", timeout=15)
    elif printed.printer:
        screen.notify(_("Sent to the printer {printer}", printer=printed.printer), timeout=10)
