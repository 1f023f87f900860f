"""Optional parts of desk, installed as pip extras (``pip install 'mot-service-desk[serve]'``: the
distribution's name is :data:`desk.DISTRIBUTION`).

A command that needs one which is not installed says so in a sentence, instead
of an ``ImportError`` traceback.
"""

from __future__ import annotations

import importlib.util

from desk import DISTRIBUTION
from desk.domain.errors import DeskError
from desk.i18n import N_, _


class ExtraMissing(DeskError):
    """``module`` is not installed: the ``extra`` of desk brings it."""

    reason = N_("This needs the {extra} part of desk: pip install '{dist}[{extra}]'")

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(extra, module)
        self.extra = extra
        self.module = module

    def __str__(self) -> str:
        return _(self.reason, extra=self.extra, dist=DISTRIBUTION)


def require(module: str, extra: str) -> None:
    """Raise :class:`ExtraMissing` unless ``module`` can be imported."""
    if importlib.util.find_spec(module) is None:
        raise ExtraMissing(extra, module)
