"""Where printouts go: the printouts folder of the data directory, a text file
for any printer and the PDF for signature beside it (F6 on the estimate,
delivery and walkaround screens; called in a worker)."""

from __future__ import annotations

from pathlib import Path

from desk.domain.errors import DeskError
from desk.i18n import _
from desk.locations import data_dir
from desk.output import pdf
from desk.output.text import Doc


def printouts_folder() -> Path:
    folder = data_dir() / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_doc_text(doc: Doc) -> Path:
    """``doc`` as a text file in the printouts folder (beside its PDF)."""
    path = printouts_folder() / f"{doc.filename or doc.kind}.txt"
    path.write_text(doc.text(), encoding="utf-8")
    return path


def print_doc(doc: Doc) -> tuple[Path, Path | None, str | None]:
    """The text file, then the PDF beside it. Returns (text path, PDF path or None,
    why the PDF could not be made or None): the text printout stands when the PDF
    cannot be made."""
    text_path = write_doc_text(doc)
    try:
        return text_path, pdf.write(doc, text_path.parent), None
    except DeskError as exc:
        return text_path, None, str(exc)
    except OSError as exc:
        return text_path, None, _("Cannot write the PDF: {detail}", detail=exc.strerror or str(exc))
    except Exception as exc:  # noqa: BLE001 - the text printout is made; the PDF problem is named
        return text_path, None, _("Cannot write the PDF: {detail}", detail=exc.__class__.__name__)
