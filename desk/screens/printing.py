"""F6 on the estimate, delivery and walkaround screens: the text printout (any
printer) and the PDF (A4, for signature), both in the printouts folder."""

from __future__ import annotations

from desk.i18n import _


def print_both(text_path, make_doc):
    """Write the PDF beside the text file (in a worker). Returns (text path, PDF
    path or None, why the PDF could not be made or None)."""
    from desk import pdf
    from desk.domain.errors import DeskError

    try:
        return text_path, pdf.write(make_doc(), text_path.parent if text_path else None), None
    except DeskError as exc:
        return text_path, None, str(exc)
    except OSError as exc:
        return text_path, None, _("Cannot write the PDF: {detail}", detail=exc.strerror or str(exc))
    except Exception as exc:  # noqa: BLE001 - the text printout is made; the PDF problem is named
        return text_path, None, _("Cannot write the PDF: {detail}", detail=exc.__class__.__name__)


def show_printed(screen, paths) -> None:
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
