"""Where printouts go: the shop's own printouts folder (beside its SQLite file, or
named by its database), a text file for any printer and the PDF for signature
beside it, and, when the set-up names a printer, the PDF (else the text) sent to
it through the system's print service, ``lp`` (F6 on the estimate, delivery and
walkaround screens; called in a worker).

Two shops on one machine never share a folder: a shop's file ``garage.db`` keeps
its printouts in ``garage-printouts/`` beside it; a shop on a database server in
the data folder's ``printouts/<host>-<port>-<database>/``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import make_url

from desk.domain.errors import DeskError
from desk.i18n import _
from desk.locations import data_dir
from desk.output import pdf
from desk.output.text import Doc

#: How long ``lp`` may take to hand a file to the print service.
LP_TIMEOUT_S = 20


class Printed(NamedTuple):
    text: Path
    pdf: Path | None
    #: why the PDF could not be made, or None
    problem: str | None
    #: the printer the document was sent to (None: not sent), and why sending failed
    printer: str | None = None
    print_problem: str | None = None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "shop"


def printouts_folder(db_url) -> Path:
    """The shop's printouts folder, made when missing: ``<stem>-printouts`` beside
    a SQLite file; for a server database (or a SQLite file in a folder nobody may
    write to) a folder named by the database in the data folder."""
    url = make_url(str(db_url)) if not hasattr(db_url, "drivername") else db_url
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        db = Path(url.database.removeprefix("file:")).expanduser().resolve()
        folder = db.parent / f"{db.stem}-printouts"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        except OSError:
            name = f"{db.stem}-{_safe(str(db.parent))}"
    else:
        name = "-".join(str(x) for x in (url.host or "local", url.port or "", url.database or "") if x != "")
    folder = data_dir() / "printouts" / _safe(name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_doc_text(doc: Doc, folder: Path) -> Path:
    """``doc`` as a text file in ``folder`` (beside its PDF)."""
    path = folder / f"{doc.filename or doc.kind}.txt"
    path.write_text(doc.text(), encoding="utf-8")
    return path


def send_to_printer(path: Path, printer: str, title: str) -> str | None:
    """``path`` to ``printer`` through ``lp``; None when it was handed over, else
    why not (in words: no print service, the printer refused it)."""
    lp = shutil.which("lp")
    if lp is None:
        return _("Not printed: no print service (lp) on this computer")
    try:
        done = subprocess.run(
            [lp, "-d", printer, "-t", title, "--", str(path)],
            capture_output=True,
            text=True,
            timeout=LP_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _("Not printed on {printer}: {detail}", printer=printer, detail=str(exc))
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        return _(
            "Not printed on {printer}: {detail}",
            printer=printer,
            detail=detail[-1] if detail else f"lp exit {done.returncode}",
        )
    return None


def print_doc(doc: Doc, folder: Path, printer: str = "") -> Printed:
    """The text file, then the PDF beside it, then (with ``printer``) the PDF, or
    the text when there is no PDF, sent to the printer. The text printout stands
    when the PDF cannot be made or the printer cannot be reached."""
    text_path = write_doc_text(doc, folder)
    try:
        pdf_path, problem = pdf.write(doc, text_path.parent), None
    except DeskError as exc:
        pdf_path, problem = None, str(exc)
    except OSError as exc:
        pdf_path, problem = None, _("Cannot write the PDF: {detail}", detail=exc.strerror or str(exc))
    except Exception as exc:  # noqa: BLE001 - the text printout is made; the PDF problem is named
        pdf_path, problem = None, _("Cannot write the PDF: {detail}", detail=exc.__class__.__name__)
    if not printer:
        return Printed(text_path, pdf_path, problem)
    sent = send_to_printer(pdf_path or text_path, printer, f"{doc.title} {doc.number}")
    return Printed(text_path, pdf_path, problem, printer, sent)
