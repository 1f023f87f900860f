"""Where printouts go: the printouts folder of the data directory, a text file
for any printer and the PDF for signature beside it (F6 on the estimate,
delivery and walkaround screens; called in a worker)."""

from __future__ import annotations

from pathlib import Path

from desk.domain.errors import DeskError
from desk.i18n import _
from desk.locations import data_dir
from desk.output import pdf
from desk.output.text import Doc, estimate_text, invoice_text


def printouts_folder() -> Path:
    folder = data_dir() / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_text(name: str, text: str) -> Path:
    path = printouts_folder() / name
    path.write_text(text, encoding="utf-8")
    return path


def write_estimate(view, settings) -> Path:
    visit = view.visit
    return _write_text(f"{visit.number}-estimate-v{visit.estimate_version}.txt", estimate_text(view, settings))


def write_invoice(view, settings, next_due) -> Path:
    return _write_text(f"{view.visit.number}-invoice.txt", invoice_text(view, settings, next_due))


def write_doc_text(doc: Doc) -> Path:
    """``doc`` as a text file in the printouts folder (beside its PDF)."""
    return _write_text(f"{doc.filename or doc.kind}.txt", doc.text())


def print_both(text_path: Path | None, make_doc):
    """Write the PDF beside the text file. Returns (text path, PDF path or None,
    why the PDF could not be made or None)."""
    try:
        doc = make_doc()
        return text_path, pdf.write(doc, text_path.parent if text_path else printouts_folder()), None
    except DeskError as exc:
        return text_path, None, str(exc)
    except OSError as exc:
        return text_path, None, _("Cannot write the PDF: {detail}", detail=exc.strerror or str(exc))
    except Exception as exc:  # noqa: BLE001 - the text printout is made; the PDF problem is named
        return text_path, None, _("Cannot write the PDF: {detail}", detail=exc.__class__.__name__)
