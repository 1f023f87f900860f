"""Turning typed errors into messages a service advisor can act on."""

from __future__ import annotations

from desk.domain import stale
from desk.domain.entities import ROLE_LABELS, Role
from desk.domain.errors import (
    AlreadyOnFile,
    DeskError,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    StaleEdit,
    StandardRefused,
    StoreUnavailable,
)
from desk.i18n import N_, _, _n

#: Who a refusal names when the domain gives a role (its id or its label): "tick
#: needs a QC inspector", with its article, not "needs qc".
_WHO_OF_ROLE = {
    Role.ADVISOR: N_("an advisor"),
    Role.TECHNICIAN: N_("a technician"),
    Role.QC: N_("a QC inspector"),
    Role.CSR: N_("a follow-up caller"),
    Role.FOREMAN: N_("a foreman"),
    Role.MANAGER: N_("a manager"),
}
ROLE_WHO = {key: who for role, who in _WHO_OF_ROLE.items() for key in (role.value, ROLE_LABELS[role])}

#: Open items named in a refusal; the rest are counted.
NAMED_ITEMS = 3


def open_items_named(items) -> str:
    """The open items as the advisor knows them: id and text ("WLK-03 Check the
    tyres …"), the first few, then how many more."""
    named = "; ".join(f"{s.item.id} {s.item.text}" for s in items[:NAMED_ITEMS])
    if len(items) > NAMED_ITEMS:
        named += " " + _n("and {n} more", "and {n} more", len(items) - NAMED_ITEMS)
    return named


def other_change(change) -> str:
    """The other terminal's change (``desk.domain.stale.OtherChange``) in words:
    "Tom Becker set the promised time to 16:30 at 17:50"."""
    msgid, params = stale.sentence(change)
    params = {k: _(v, **params) if k in stale.TRANSLATED else v for k, v in params.items()}
    return _(msgid, **params)


def other_changes(exc: StaleEdit) -> str:
    """Every change the refused form had not seen, oldest first, in words."""
    return "; ".join(dict.fromkeys(other_change(c) for c in exc.changes))


def on_file_named(exc: AlreadyOnFile) -> str:
    """Whose the phone and plate typed are: "Phone 138… is on file for 李伟; …"."""
    from desk.domain.validate import show_phone

    said = []
    for m in exc.matches:
        if m.field == "phone":
            said.append(_("Phone {phone} is on file for {name}", phone=show_phone(m.value), name=m.customer_name))
        else:
            said.append(_("Plate {plate} is on file for {name}", plate=m.value, name=m.customer_name))
    return "; ".join(dict.fromkeys(said))


def describe_error(exc: BaseException) -> str:
    """One translated sentence for ``exc``; never a traceback."""
    if isinstance(exc, AlreadyOnFile):
        return _("{matches}: nothing was saved", matches=on_file_named(exc))
    if isinstance(exc, GuardFailed):
        return _("Cannot move on: still open {items}", items=open_items_named(exc.items))
    if isinstance(exc, InvalidInput):
        return _(exc.reason, **exc.params)
    if isinstance(exc, NotAllowed):
        who = ROLE_WHO.get(exc.reason, exc.reason)  # a role's id ("qc") in words, with its article
        return _("Not allowed: {action} needs {who}", action=_(exc.action), who=_(who) if who else "-")
    if isinstance(exc, InvalidTransition):
        return _("That step is not possible from {stage}", stage=exc.stage)
    if isinstance(exc, StaleEdit):
        if exc.changes:
            return _("Changed on another terminal: {change}", change=other_changes(exc))
        return _("Changed on another terminal: reload and try again")
    if isinstance(exc, StandardRefused):
        return _(exc.reason, **exc.params)
    if isinstance(exc, StoreUnavailable):
        return _("Database error: {detail}", detail=_(exc.reason, **exc.params))
    if isinstance(exc, DeskError):
        return str(exc)
    return _("Unexpected error: {detail}", detail=exc.__class__.__name__)


def describe_fault(exc: BaseException) -> str:
    """Like :func:`describe_error`, but an unexpected error (not a refusal the
    domain or the store named) is first written to the error log in the data
    folder: the sentence gives its reference, never a traceback."""
    if isinstance(exc, DeskError):
        return describe_error(exc)
    from desk.faults import log_path, record

    ref = record(exc)
    return _("Something went wrong (reference {ref}); the details are in {path}", ref=ref, path=str(log_path()))
