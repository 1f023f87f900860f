"""The estimate: line drafts and changes parsed once, what may change when, the
customer's authorisation, and the frozen estimate the customer signed.

* :class:`LineDraft` is a new line, parsed once from the form's text
  (:meth:`LineDraft.parse`) or from typed values (:meth:`LineDraft.of`); a service
  stores it as it is. :class:`LinePatch` is a change of some of a line's fields.
* :func:`check_change` / :func:`check_add` / :func:`check_remove` say what the
  visit's stage allows: before the signature everything; after it only the
  availability and the arrival date of a part; in repair a new line is added work
  pending the customer's approval (REP-03/04).
* :class:`AuthorisationDraft` is the customer's signature (EST-07): channel,
  signer, the reference a phone approval needs, an amount at least the total.
* :class:`SignedEstimate` is what the customer signed: each line with the tax
  rate applied, the member discount applied, the totals. Built by :func:`sign`
  from the lines, the tax table and the member discount at that moment, kept as
  a JSON-safe dict, and never recomputed from later settings: the authorised
  amount of the delivery comparison (DLV-02) is ``rules.authorised_amount``, the
  signed totals of the estimate and of the approved added work.

Pure domain code: no UI or database imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from desk.domain import fields, money, process
from desk.domain.entities import Approval, Availability, Channel, EstimateLine, LineKind
from desk.domain.errors import InvalidInput
from desk.domain.money import PricedLine, TaxRule, TaxTable, Totals
from desk.domain.process import Stage
from desk.i18n import N_

# ----------------------------------------------------------------------------- what may change when

#: Stages in which the estimate itself may still be edited (before the signature):
#: the life cycle's own set.
EDITABLE = process.EDITABLE
#: A line's fields that may change after the signature (a part's stock and arrival).
LATE_FIELDS = frozenset({"availability", "eta"})
#: The fields of a line a change may touch.
LINE_FIELDS = (
    "description",
    "qty",
    "unit_cents",
    "discount_pct",
    "tax_code",
    "warranty",
    "free",
    "availability",
    "eta",
)


@dataclass(frozen=True)
class Placement:
    """Where a new line goes: into the estimate, or added work pending approval."""

    added_in_repair: bool
    approval: Approval


def check_add(stage: Stage | str) -> Placement:
    """A line added before the signature joins the estimate; in repair it is added
    work and starts pending approval (REP-03); later no line is added."""
    stage = Stage(stage)
    if stage in EDITABLE:
        return Placement(False, Approval.APPROVED)
    if stage == Stage.IN_REPAIR:
        return Placement(True, Approval.PENDING)
    raise InvalidInput("line", "Lines can no longer be added at this stage")


def check_change(stage: Stage | str, patch: LinePatch) -> None:
    """After the signature only a part's availability and arrival date change."""
    if Stage(stage) not in EDITABLE and not patch.late_only:
        raise InvalidInput("line", "The customer signed this line: add a new line instead")


def check_remove(stage: Stage | str) -> None:
    if Stage(stage) not in EDITABLE:
        raise InvalidInput("line", "The customer signed this line: it cannot be removed")


def changes_estimate(stage: Stage | str, patch: LinePatch) -> bool:
    """The change makes a new estimate version (an earlier signature no longer covers it)."""
    return Stage(stage) in EDITABLE and not patch.late_only


# ----------------------------------------------------------------------------- line drafts


def default_availability(kind: LineKind) -> Availability:
    """Labour and fees are always "in stock"; a part's stock is checked (EST-01)."""
    return Availability.UNKNOWN if kind == LineKind.PART else Availability.IN_STOCK


def _check_eta(availability: Availability, eta: dt.date | None) -> None:
    if eta is not None and availability != Availability.BACK_ORDER:
        raise InvalidInput("eta", N_("Only a back-ordered part has an arrival date"))


def chase_supplier(line) -> bool:
    """A part on back order whose supplier has given no arrival date yet: it may
    be noted so (the advisor need not wait for the date to write the order
    down), EST-02 stays open until the date is given (``backorders_have_eta``),
    and the visit and the progress board say to chase the supplier."""
    return line.kind == LineKind.PART and line.availability == Availability.BACK_ORDER and line.eta is None


def parts_to_chase(lines: Iterable) -> list:
    """The lines of ``lines`` whose supplier is to be chased for a date."""
    return [
        ln for ln in lines if chase_supplier(ln) and getattr(ln, "approval", Approval.APPROVED) != Approval.DECLINED
    ]


def promise_conflict(at: dt.datetime | None, lines: Iterable):
    """The part whose arrival the promise ``at`` comes before, or None: the one
    rule of the promise (EST-04), checked when the promise is set, at the
    signature and whenever an ETA changes. A promise is never on a day before
    an open back-ordered part's ETA (a part arriving that day may still be
    fitted by the evening); of several, the last to arrive. A part without a
    date cannot be checked: it is chased (:func:`chase_supplier`). Declined
    lines need no part, and a part that has arrived is no longer open."""
    if at is None:
        return None
    late = [
        ln
        for ln in lines
        if ln.kind == LineKind.PART
        and ln.availability == Availability.BACK_ORDER
        and ln.eta is not None
        and getattr(ln, "approval", Approval.APPROVED) != Approval.DECLINED
        and at.date() < ln.eta
    ]
    return max(late, key=lambda ln: ln.eta) if late else None


def promise_conflict_words(at: dt.datetime, part) -> tuple[str, dict]:
    """The message id and values that name a promise's conflict with ``part``."""
    return (
        N_("Promised {at} is before {part} arrives ({eta}): promise a time from {eta} on"),
        {"at": f"{at:%Y-%m-%d %H:%M}", "part": part.description, "eta": f"{part.eta:%Y-%m-%d}"},
    )


def check_promised(at: dt.datetime, lines: Iterable) -> None:
    """Refuse a promise that :func:`promise_conflict` finds before a part's ETA,
    naming the part and its ETA."""
    part = promise_conflict(at, lines)
    if part is not None:
        msg, values = promise_conflict_words(at, part)
        raise InvalidInput("promised", msg, values)


def promise_needs_approval(signed_promise: dt.datetime | None, current: dt.datetime | None, at: dt.datetime) -> bool:
    """After the signature (``signed_promise`` set) a later promise is a change of
    what the customer signed for: like added work it needs the customer's recorded
    approval (REP-04). An earlier (or the same) time does not."""
    if signed_promise is None:
        return False
    return at > (current or signed_promise)


def check_promise_change(
    signed_promise: dt.datetime | None, current: dt.datetime | None, at: dt.datetime, approval: Signature | None
) -> None:
    """Refuse a later promise after the signature that has no customer's approval."""
    if approval is None and promise_needs_approval(signed_promise, current, at):
        raise InvalidInput(
            "approval",
            N_("The customer signed for {signed}: a later promise needs the customer's approval (who and how)"),
            {"signed": f"{signed_promise:%Y-%m-%d %H:%M}"},
        )


#: The fields of the line form, in order (the ETA only on a part's form).
LINE_FORM: tuple[fields.Spec, ...] = (
    fields.DESCRIPTION,
    fields.QTY,
    fields.UNIT_PRICE,
    fields.DISCOUNT,
    fields.WARRANTY,
    fields.FREE,
)
PART_FORM: tuple[fields.Spec, ...] = (*LINE_FORM, fields.PART_ETA)


@dataclass(frozen=True)
class LineTerms:
    """What a line costs: the fields a draft, a signed line and a price share."""

    kind: LineKind
    description: str
    qty: Decimal
    unit_cents: int
    discount_pct: Decimal
    tax_code: str
    warranty: bool
    free: bool

    @property
    def chargeable(self) -> bool:
        return not (self.warranty or self.free)

    def priced(self) -> PricedLine:
        return money.priced(self)


@dataclass(frozen=True)
class LineDraft(LineTerms):
    """A new estimate line, every field checked (construct it with :meth:`parse`
    or :meth:`of`; the plain constructor trusts its arguments)."""

    availability: Availability = Availability.IN_STOCK
    eta: dt.date | None = None

    @classmethod
    def parse(cls, form: Mapping[str, str], *, kind: LineKind | str, taxes: TaxTable, today: dt.date) -> LineDraft:
        """From the line form's text. On a part's form an arrival date means the
        part is on back order, none that it is in stock. ``tax_code`` (optional)
        is checked against ``taxes``; empty is the table's first code."""
        kind = fields.KIND.check(kind)
        specs = PART_FORM if kind == LineKind.PART else LINE_FORM
        v = fields.parse_form((*specs, fields.TAX_CODE), form, today=today, taxes=taxes)
        return cls.from_form(v, kind=kind, taxes=taxes, today=today)

    @classmethod
    def from_form(
        cls, values: Mapping[str, Any], *, kind: LineKind | str, taxes: TaxTable, today: dt.date
    ) -> LineDraft:
        """From the line form's values, each already read by its spec (a form
        dialog's fields are the specs of :data:`LINE_FORM`/:data:`PART_FORM`): on a
        part's form an arrival date means back order, none in stock."""
        kind = fields.KIND.check(kind)
        v = dict(values)
        eta = v.pop("eta", None)
        availability = (
            (Availability.BACK_ORDER if eta else Availability.IN_STOCK)
            if kind == LineKind.PART
            else Availability.IN_STOCK
        )
        if eta is fields.NO_DATE_YET:  # on back order, the supplier has not said when
            eta = None
        return cls.of(kind=kind, availability=availability, eta=eta, taxes=taxes, today=today, **v)

    @classmethod
    def of(
        cls,
        *,
        kind: LineKind | str,
        description: str,
        qty: Decimal | str | int,
        unit_cents: int,
        discount_pct: Decimal | str | int = Decimal(0),
        tax_code: str | None = None,
        warranty: bool = False,
        free: bool = False,
        availability: Availability | str | None = None,
        eta: dt.date | None = None,
        taxes: TaxTable,
        today: dt.date,
    ) -> LineDraft:
        """From typed values (a service call, a canned job, a script)."""
        kind = fields.KIND.check(kind)
        avail = fields.AVAILABILITY.check(availability) if availability else default_availability(kind)
        eta = fields.ETA.check(eta, today=today)
        _check_eta(avail, eta)
        return cls(
            kind=kind,
            description=fields.DESCRIPTION.check(description),
            qty=fields.QTY.check(qty),
            unit_cents=fields.UNIT_PRICE.check(unit_cents),
            discount_pct=fields.DISCOUNT.check(discount_pct),
            tax_code=fields.TAX_CODE.check(tax_code, taxes=taxes),
            warranty=bool(fields.WARRANTY.check(warranty)),
            free=bool(fields.FREE.check(free)),
            availability=avail,
            eta=eta,
        )

    def line(self, placement: Placement | None = None) -> EstimateLine:
        """The line as the rules see it (not saved: no id)."""
        placement = placement or Placement(False, Approval.APPROVED)
        return EstimateLine(
            kind=self.kind,
            description=self.description,
            qty=self.qty,
            unit_cents=self.unit_cents,
            discount_pct=self.discount_pct,
            tax_code=self.tax_code,
            warranty=self.warranty,
            free=self.free,
            availability=self.availability,
            eta=self.eta,
            approval=placement.approval,
            added_in_repair=placement.added_in_repair,
        )


_PATCH_SPECS: dict[str, fields.Spec] = {
    "description": fields.DESCRIPTION,
    "qty": fields.QTY,
    "unit_cents": fields.UNIT_PRICE,
    "discount_pct": fields.DISCOUNT,
    "tax_code": fields.TAX_CODE,
    "warranty": fields.WARRANTY,
    "free": fields.FREE,
    "availability": fields.AVAILABILITY,
    "eta": fields.ETA,
}


@dataclass(frozen=True)
class LinePatch:
    """A change of some fields of a line, each checked as a new line's would be.
    ``changes`` holds (field, value) pairs in :data:`LINE_FIELDS` order."""

    changes: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, *, taxes: TaxTable, today: dt.date, **changes) -> LinePatch:
        """From typed values: ``LinePatch.of(discount_pct="25", taxes=…, today=…)``."""
        for key in changes:
            if key not in _PATCH_SPECS:
                raise InvalidInput(key, "This field cannot be changed")
        if not changes:
            raise InvalidInput("line", N_("Nothing to change"))
        out = []
        for key in LINE_FIELDS:
            if key not in changes:
                continue
            value = changes[key]
            if key == "availability":
                value = fields.AVAILABILITY.check(value)
            elif key in ("warranty", "free"):
                value = bool(_PATCH_SPECS[key].check(value))
            else:
                value = _PATCH_SPECS[key].check(value, taxes=taxes, today=today)
            out.append((key, value))
        patch = cls(tuple(out))
        if "availability" in patch.fields:
            _check_eta(patch.get("availability"), patch.get("eta"))
        return patch

    @classmethod
    def parse(cls, form: Mapping[str, str], *, taxes: TaxTable, today: dt.date) -> LinePatch:
        """From a form's text: only the fields the form has."""
        for key in form:
            if key not in _PATCH_SPECS:
                raise InvalidInput(key, "This field cannot be changed")
        specs = [_PATCH_SPECS[k] for k in LINE_FIELDS if k in form]
        return cls.of(taxes=taxes, today=today, **fields.parse_form(specs, form, taxes=taxes, today=today))

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(k for k, _v in self.changes)

    def get(self, key: str, default=None):
        return next((v for k, v in self.changes if k == key), default)

    @property
    def late_only(self) -> bool:
        """Only what may change after the signature (availability, arrival date)."""
        return self.fields <= LATE_FIELDS

    @property
    def touches_price(self) -> bool:
        """The change may make the line a price override (``staff.may_price``)."""
        return bool(self.fields & {"qty", "unit_cents", "discount_pct", "tax_code", "free", "warranty"})

    def apply(self, line: EstimateLine) -> EstimateLine:
        """``line`` as it is after the change. A part taken off back order loses its
        arrival date unless the change gives one (then it is refused). Labour and
        fees are always "in stock": only a part is ordered."""
        new = replace(line, **dict(self.changes))
        if "availability" in self.fields and new.kind != LineKind.PART and new.availability != line.availability:
            raise InvalidInput("availability", N_("Only a part is ordered, not {line}"), {"line": line.description})
        if new.availability != Availability.BACK_ORDER:
            if "eta" in self.fields:
                _check_eta(new.availability, new.eta)
            elif "availability" in self.fields:
                new = replace(new, eta=None)
        return new


# ----------------------------------------------------------------------------- authorisation


@dataclass(frozen=True)
class Signature:
    """Who approved and how: in person (a paper RO number may be the reference) or
    by phone (then the number the customer approved from is required)."""

    channel: Channel
    signer: str
    reference: str = ""

    FORM = (fields.CHANNEL, fields.SIGNER, fields.REFERENCE)

    @classmethod
    def of(cls, *, channel: Channel | str, signer: str, reference: str = "") -> Signature:
        channel = fields.CHANNEL.check(channel)
        signer = fields.SIGNER.check(signer)
        reference = fields.REFERENCE.check(reference)
        if channel == Channel.PHONE and not reference:
            raise InvalidInput("reference", "Give the phone number the customer approved from")
        return cls(channel, signer, reference)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> Signature:
        return cls.of(**fields.parse_form(cls.FORM, form))


@dataclass(frozen=True)
class AuthorisationDraft:
    """The customer's signature of the estimate and the amount they authorised."""

    signature: Signature
    amount_cents: int

    FORM = (*Signature.FORM, fields.AMOUNT)

    @classmethod
    def of(
        cls,
        *,
        channel: Channel | str,
        signer: str,
        reference: str = "",
        amount_cents: int,
        total_cents: int | None = None,
    ) -> AuthorisationDraft:
        """``total_cents``: the total the form showed, to refuse a short amount at
        once; the service checks again with :meth:`covers` on the signed total."""
        draft = cls(
            Signature.of(channel=channel, signer=signer, reference=reference), fields.AMOUNT.check(amount_cents)
        )
        if total_cents is not None:
            draft.covers(total_cents)
        return draft

    @classmethod
    def parse(cls, form: Mapping[str, str], *, total_cents: int | None = None) -> AuthorisationDraft:
        return cls.of(**fields.parse_form(cls.FORM, form), total_cents=total_cents)

    def covers(self, total_cents: int) -> None:
        """The amount authorised is at least the estimate's total."""
        if self.amount_cents < total_cents:
            raise InvalidInput(
                "amount_cents",
                "The amount authorised is less than the estimate total {total}",
                {"total": money.format_money(total_cents)},
            )

    @property
    def channel(self) -> Channel:
        return self.signature.channel

    @property
    def signer(self) -> str:
        return self.signature.signer

    @property
    def reference(self) -> str:
        return self.signature.reference


# ----------------------------------------------------------------------------- the signed estimate

#: The version of :meth:`SignedEstimate.to_dict`'s layout.
SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class SignedLine(LineTerms):
    """One line as the customer signed it, with the tax rate that applied."""

    tax_rate: Decimal


@dataclass(frozen=True)
class SignedEstimate:
    """What the customer signed: lines, rates, member discount, totals; frozen."""

    lines: tuple[SignedLine, ...]
    member_discount_pct: Decimal
    prices_include_tax: bool
    totals: Totals

    @property
    def total(self) -> int:
        return self.totals.total

    def tax_table(self) -> TaxTable:
        """The rates as they were at signing (for printing or re-checking it)."""
        return TaxTable({ln.tax_code: TaxRule(ln.tax_code, ln.tax_rate) for ln in self.lines}, self.prices_include_tax)

    def terms(self, taxes: TaxTable) -> tuple[TaxTable, Decimal]:
        """The tax table and member discount the visit is billed with after this
        signature: the signed rates (labels from ``taxes``, today's table, where it
        has the code) and today's rates only for codes the signature had no line of
        (added work), and the member discount as signed."""
        rules = dict(taxes.rules)
        for ln in self.lines:
            old = rules.get(ln.tax_code)
            rules[ln.tax_code] = TaxRule(
                ln.tax_code,
                ln.tax_rate,
                *((old.label_en, old.label_zh) if old is not None else (ln.tax_code, ln.tax_code)),
            )
        return TaxTable(rules, self.prices_include_tax), self.member_discount_pct

    def recomputed(self) -> Totals:
        """The totals from the snapshot's own lines and rates (equal to ``totals``)."""
        return money.totals([ln.priced() for ln in self.lines], self.tax_table(), self.member_discount_pct)

    def as_lines(self) -> list[EstimateLine]:
        """The lines as the rules see them (e.g. for ``rules.lines_hash``)."""
        return [
            EstimateLine(
                kind=ln.kind,
                description=ln.description,
                qty=ln.qty,
                unit_cents=ln.unit_cents,
                discount_pct=ln.discount_pct,
                tax_code=ln.tax_code,
                warranty=ln.warranty,
                free=ln.free,
            )
            for ln in self.lines
        ]

    def to_dict(self) -> dict:
        """JSON-safe: integers and strings only (money in cents, rates and
        percentages and quantities as exact decimal strings, flags as 0/1)."""
        t = self.totals
        return {
            "format": SNAPSHOT_FORMAT,
            "member_discount_pct": fields.decimal_text(self.member_discount_pct),
            "prices_include_tax": int(self.prices_include_tax),
            "lines": [
                {
                    "kind": ln.kind.value,
                    "description": ln.description,
                    "qty": fields.decimal_text(ln.qty),
                    "unit_cents": ln.unit_cents,
                    "discount_pct": fields.decimal_text(ln.discount_pct),
                    "tax_code": ln.tax_code,
                    "tax_rate": fields.decimal_text(ln.tax_rate),
                    "warranty": int(ln.warranty),
                    "free": int(ln.free),
                }
                for ln in self.lines
            ],
            "totals": {
                "gross": t.gross,
                "discount": t.discount,
                "net": t.net,
                "tax": t.tax,
                "total": t.total,
                "not_charged": t.not_charged,
                "tax_by_code": dict(t.tax_by_code),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> SignedEstimate:
        """Back from :meth:`to_dict`. Anything malformed (a damaged record) is a
        ``ValueError``, never a half-read estimate."""
        if not isinstance(data, Mapping) or data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError("not a signed estimate of a known format")
        raw_lines = data.get("lines")
        if not isinstance(raw_lines, list):
            raise ValueError("signed estimate: lines missing")
        lines = []
        for raw in raw_lines:
            if not isinstance(raw, Mapping):
                raise ValueError("signed estimate: a line is not a mapping")
            try:
                kind = LineKind(_str(raw, "kind"))
            except ValueError:
                raise ValueError(f"signed estimate: unknown line kind {raw.get('kind')!r}") from None
            lines.append(
                SignedLine(
                    kind=kind,
                    description=_str(raw, "description"),
                    qty=_dec(raw, "qty"),
                    unit_cents=_int(raw, "unit_cents"),
                    discount_pct=_dec(raw, "discount_pct"),
                    tax_code=_str(raw, "tax_code"),
                    tax_rate=_dec(raw, "tax_rate"),
                    warranty=_flag(raw, "warranty"),
                    free=_flag(raw, "free"),
                )
            )
        raw_totals = data.get("totals")
        if not isinstance(raw_totals, Mapping) or not isinstance(raw_totals.get("tax_by_code"), Mapping):
            raise ValueError("signed estimate: totals missing")
        by_code = {str(k): _int(raw_totals["tax_by_code"], k) for k in raw_totals["tax_by_code"]}
        totals = Totals(
            *(_int(raw_totals, k) for k in ("gross", "discount", "net")),
            by_code,
            *(_int(raw_totals, k) for k in ("tax", "total", "not_charged")),
        )
        return cls(tuple(lines), _dec(data, "member_discount_pct"), _flag(data, "prices_include_tax"), totals)


def _str(data: Mapping, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"signed estimate: {key} is not text")
    return value


def _int(data: Mapping, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"signed estimate: {key} is not a whole number")
    return value


def _flag(data: Mapping, key: str) -> bool:
    value = _int(data, key)
    if value not in (0, 1):
        raise ValueError(f"signed estimate: {key} is not 0 or 1")
    return bool(value)


def _dec(data: Mapping, key: str) -> Decimal:
    text = _str(data, key)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"signed estimate: {key} is not a decimal") from None
    if not value.is_finite():
        raise ValueError(f"signed estimate: {key} is not a finite decimal")
    return value


def sign(lines: Iterable, taxes: TaxTable, member_discount_pct: Decimal = Decimal(0)) -> SignedEstimate:
    """Freeze the estimate as the customer signs it: ``lines`` (anything with the
    fields of an :class:`EstimateLine`), each with its code's rate now, the member
    discount now (0 for a non-member), and the totals they make. An unknown tax
    code is refused here, before anything is signed."""
    signed = []
    for ln in lines:
        p = money.priced(ln)  # exact types (never a float) and a discount of 0..100 %
        signed.append(
            SignedLine(
                kind=LineKind(ln.kind),
                description=ln.description,
                qty=p.qty,
                unit_cents=p.unit_cents,
                discount_pct=p.discount_pct,
                tax_code=p.tax_code,
                tax_rate=taxes.rate(p.tax_code),
                warranty=bool(ln.warranty),
                free=bool(ln.free),
            )
        )
    totals = money.totals([ln.priced() for ln in signed], taxes, member_discount_pct)
    return SignedEstimate(tuple(signed), Decimal(member_discount_pct), taxes.prices_include_tax, totals)
