"""Unexpected errors (a bug, not a refusal): written to a log file in the data
folder under a short reference, so the screen shows one sentence naming it and
support finds the traceback by that reference."""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import datetime
from pathlib import Path

from desk.locations import data_dir

LOG_NAME = "desk-errors.log"


def log_path() -> Path:
    return data_dir() / LOG_NAME


def record(exc: BaseException) -> str:
    """Append ``exc`` with its traceback to the error log; return its reference
    (8 characters). Never raises: a log that cannot be written still gives a
    reference for the sentence."""
    ref = uuid.uuid4().hex[:8]
    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        with path.open("a", encoding="utf-8") as out:
            out.write(f"--- {ref} {datetime.now().isoformat(timespec='seconds')}\n{text}\n")
    except OSError:
        logging.getLogger("desk").exception("error %s not logged", ref)
    return ref
