"""F6 on the estimate, delivery and walkaround screens: what was printed, said in
a notification. The files themselves are written by ``desk.output.files``."""

from __future__ import annotations

from desk.i18n import _


def show_printed(screen, paths) -> None:
    """``paths``: what ``desk.output.files.print_both`` returned."""
    text_path, pdf_path, problem = paths
    if pdf_path is not None:
        if text_path is not None:
            screen.notify(_("Saved for printing: {path}", path=str(text_path)) + "\n"
                          + _("PDF: {path}", path=str(pdf_path)), timeout=10)
        else:
            screen.notify(_("PDF: {path}", path=str(pdf_path)), timeout=10)
    else:
        if text_path is not None:
            screen.notify(_("Saved for printing: {path}", path=str(text_path)), timeout=10)
        screen.notify(problem or _("The PDF could not be made"), severity="warning", timeout=15)
