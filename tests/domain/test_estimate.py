"""Estimate lines parsed once, what may change when, the authorisation, and the
frozen estimate the customer signed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.domain import estimate, rules, staff
from desk.domain.entities import (
    Approval,
    Authorisation,
    Availability,
    Channel,
    Customer,
    EstimateLine,
    LineKind,
    Role,
    User,
)
from desk.domain.errors import InvalidInput
from desk.domain.estimate import AuthorisationDraft, LineDraft, LinePatch, SignedEstimate
from desk.domain.money import TaxTable
from desk.domain.process import Stage

D = Decimal
TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 10, 0)
TAXES = TaxTable.from_mapping({"VAT13": {"rate": "0.13"}, "VAT6": {"rate": "0.06"}})
ADVISOR = User(1, "Wang", frozenset({Role.ADVISOR}))


def draft(**kw) -> LineDraft:
    values = dict(kind="labour", description="Brake pads", qty="1", unit_cents=40000)
    return LineDraft.of(**(values | kw), taxes=TAXES, today=TODAY)


def patch(**kw) -> LinePatch:
    return LinePatch.of(**kw, taxes=TAXES, today=TODAY)


def refused(fn, *args, **kw) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        fn(*args, **kw)
    return err.value


# ----------------------------------------------------------------------------- drafts


def test_a_line_from_the_form():
    form = {
        "description": " Brake  pads ",
        "qty": "2",
        "unit_cents": "¥400",
        "discount_pct": "5",
        "warranty": "n",
        "free": "",
        "eta": "+2",
    }
    line = LineDraft.parse(form, kind="part", taxes=TAXES, today=TODAY)
    assert line == LineDraft(
        LineKind.PART,
        "Brake pads",
        D(2),
        40000,
        D(5),
        "VAT13",
        False,
        False,
        Availability.BACK_ORDER,
        TODAY + dt.timedelta(days=2),
    )
    in_stock = LineDraft.parse({**form, "eta": ""}, kind="part", taxes=TAXES, today=TODAY)
    assert in_stock.availability == Availability.IN_STOCK and in_stock.eta is None
    labour = LineDraft.parse({**form, "tax_code": "vat6"}, kind="l", taxes=TAXES, today=TODAY)
    assert labour.kind == LineKind.LABOUR and labour.eta is None and labour.tax_code == "VAT6"


def test_a_line_from_typed_values():
    line = draft(discount_pct="10", tax_code="VAT6", warranty=True)
    assert (line.discount_pct, line.tax_code, line.warranty, line.chargeable) == (D(10), "VAT6", True, False)
    assert line.availability == Availability.IN_STOCK
    assert draft(kind="part").availability == Availability.UNKNOWN  # stock to be checked (EST-01)
    assert line.line().description == "Brake pads" and line.priced().unit_cents == 40000


def test_a_150_percent_discount_is_refused_by_the_draft_and_the_patch():
    assert refused(draft, discount_pct="150").reason == "Discount is 0 to 100 %"
    assert refused(draft, discount_pct=D(150)).field == "discount_pct"
    assert refused(patch, discount_pct="150").reason == "Discount is 0 to 100 %"
    assert (
        refused(
            LineDraft.parse,
            {"description": "x", "qty": "1", "unit_cents": "1", "discount_pct": "150"},
            kind="fee",
            taxes=TAXES,
            today=TODAY,
        ).field
        == "discount_pct"
    )


def test_an_unknown_tax_code_is_refused_by_the_draft_and_the_patch():
    err = refused(draft, tax_code="VAT99")
    assert (err.field, err.reason, err.params) == ("tax_code", "Unknown tax code {code}", {"code": "VAT99"})
    assert refused(patch, tax_code="GST").params == {"code": "GST"}
    assert patch(tax_code="vat6").get("tax_code") == "VAT6"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"unit_cents": -5}, "unit_cents"),
        ({"qty": "abc"}, "qty"),
        ({"qty": "0"}, "qty"),
        ({"description": "  "}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"kind": "tyre"}, "kind"),
        ({"availability": "soon"}, "availability"),
        ({"eta": TODAY - dt.timedelta(days=1), "availability": "back_order", "kind": "part"}, "eta"),
        ({"eta": TODAY, "availability": "in_stock", "kind": "part"}, "eta"),
    ],
)
def test_bad_line_values_are_named(kw, field):
    assert refused(draft, **kw).field == field


def test_a_back_order_may_have_no_eta_yet():
    line = draft(kind="part", availability="back_order")
    assert line.availability == Availability.BACK_ORDER and line.eta is None
    assert draft(kind="part", availability=Availability.BACK_ORDER, eta=TODAY).eta == TODAY


def test_float_money_is_a_bug_not_input():
    with pytest.raises(TypeError):
        draft(qty=1.5)
    with pytest.raises(TypeError):
        draft(unit_cents=400.0)


def test_free_and_warranty_by_an_advisor_and_a_cent_price_need_an_override():
    assert not staff.may_price(ADVISOR, draft(free=True, warranty=True), limit_pct=D(10))
    cent = LineDraft.parse(
        {"description": "Pads", "qty": "1", "unit_cents": "0.01"}, kind="part", taxes=TAXES, today=TODAY
    )
    assert not staff.may_price(ADVISOR, cent, limit_pct=D(10), list_cents=40000)
    assert staff.may_price(ADVISOR, draft(), limit_pct=D(10), list_cents=40000)


# ----------------------------------------------------------------------------- patches


def saved(**kw) -> EstimateLine:
    return dataclasses.replace(draft(**kw).line(), id=7)


def test_a_patch_holds_only_checked_changes():
    p = patch(qty="2", discount_pct="5")
    assert p.fields == {"qty", "discount_pct"} and p.touches_price and not p.late_only
    new = p.apply(saved())
    assert (new.qty, new.discount_pct, new.id, new.description) == (D(2), D(5), 7, "Brake pads")
    assert refused(patch, colour="red").reason == "This field cannot be changed"
    assert refused(patch).reason == "Nothing to change"


def test_a_patch_from_a_form():
    p = LinePatch.parse({"discount_pct": "12.5", "free": "y"}, taxes=TAXES, today=TODAY)
    assert p.changes == (("discount_pct", D("12.5")), ("free", True))
    assert refused(LinePatch.parse, {"discount_pct": "150"}, taxes=TAXES, today=TODAY).field == "discount_pct"


def test_availability_changes_after_signing_and_the_eta_follows():
    back = saved(kind="part", availability="back_order", eta=TODAY)
    p = patch(availability="in_stock")
    assert p.late_only and not p.touches_price
    assert p.apply(back).eta is None  # in stock: no arrival date to keep
    p2 = patch(availability="back_order", eta=TODAY + dt.timedelta(days=3))
    assert p2.apply(saved(kind="part")).eta == TODAY + dt.timedelta(days=3)
    assert refused(patch, availability="in_stock", eta=TODAY).field == "eta"
    assert refused(patch(eta=TODAY).apply, saved(kind="part", availability="in_stock")).field == "eta"
    assert patch(eta=TODAY).apply(back).eta == TODAY


def test_what_may_change_when():
    for stage in (Stage.BOOKED, Stage.RECEPTION, Stage.WALKAROUND, Stage.ESTIMATE):
        assert estimate.check_add(stage) == estimate.Placement(False, Approval.APPROVED)
        estimate.check_change(stage, patch(qty="2"))
        estimate.check_remove(stage)
        assert estimate.changes_estimate(stage, patch(qty="2"))
    assert estimate.check_add("IN_REPAIR") == estimate.Placement(True, Approval.PENDING)
    assert refused(estimate.check_add, Stage.QC).reason == "Lines can no longer be added at this stage"
    signed = "IN_REPAIR"
    estimate.check_change(signed, patch(availability="arrived"))
    assert not estimate.changes_estimate(signed, patch(availability="arrived"))
    assert refused(estimate.check_change, signed, patch(discount_pct="1")).reason == (
        "The customer signed this line: add a new line instead"
    )
    assert refused(estimate.check_remove, signed).reason == "The customer signed this line: it cannot be removed"


# ----------------------------------------------------------------------------- authorisation


def test_a_phone_authorisation_names_the_number():
    err = refused(AuthorisationDraft.of, channel="phone", signer="Li Lei", amount_cents=100)
    assert (err.field, err.reason) == ("reference", "Give the phone number the customer approved from")
    ok = AuthorisationDraft.of(channel=Channel.PHONE, signer=" Li  Lei ", reference="13812345678", amount_cents=100)
    assert (ok.channel, ok.signer, ok.reference, ok.amount_cents) == (Channel.PHONE, "Li Lei", "13812345678", 100)
    assert AuthorisationDraft.of(channel="in_person", signer="Li", amount_cents=0).reference == ""


def test_the_amount_authorised_covers_the_total():
    err = refused(
        AuthorisationDraft.parse, {"channel": "1", "signer": "Li", "amount_cents": "617.25"}, total_cents=61726
    )
    assert (err.field, err.params) == ("amount_cents", {"total": "617.26"})
    draft_ = AuthorisationDraft.parse({"channel": "1", "signer": "Li", "amount_cents": "617.26"}, total_cents=61726)
    draft_.covers(61726)
    with pytest.raises(InvalidInput):
        draft_.covers(61727)  # the service checks against the total it signs
    assert refused(AuthorisationDraft.of, channel="1", signer="Li", amount_cents=-1).field == "amount_cents"
    assert refused(estimate.Signature.parse, {"channel": "9", "signer": "Li"}).field == "channel"


# ----------------------------------------------------------------------------- the signed estimate

MEMBER_LINES = [
    draft(description="Brake pads (labour)", qty="1.5", unit_cents=30000).line(),
    draft(kind="part", description="Brake pads", qty="1", unit_cents=42000, discount_pct="5").line(),
    draft(kind="fee", description="Disposal", unit_cents=1500, tax_code="VAT6").line(),
    draft(description="Free 21-point check", qty="0.3", unit_cents=18000, free=True).line(),
]


def test_a_signed_estimate_keeps_its_totals_when_the_settings_change():
    signed = estimate.sign(MEMBER_LINES, TAXES, D(5))
    before = signed.to_dict()
    assert signed.total == signed.totals.total > 0 and signed.member_discount_pct == 5
    # set-up changes later: the member discount goes to 0, VAT 13 % becomes 9 %
    now_taxes = TaxTable.from_mapping({"VAT13": {"rate": "0.09"}, "VAT6": {"rate": "0.06"}})
    repriced = estimate.sign(MEMBER_LINES, now_taxes, D(0))
    assert repriced.total != signed.total  # today's settings would give another total …
    assert signed.to_dict() == before  # … the signed one is what it was
    assert SignedEstimate.from_dict(before).total == signed.total
    assert [ln.tax_rate for ln in signed.lines] == [D("0.13"), D("0.13"), D("0.06"), D("0.13")]
    assert signed.recomputed() == signed.totals


def test_the_snapshot_is_json_safe_integers_and_strings():
    data = estimate.sign(MEMBER_LINES, TAXES, D(5)).to_dict()

    def leaves(x):
        if isinstance(x, dict):
            assert all(isinstance(k, str) for k in x)
            for v in x.values():
                yield from leaves(v)
        elif isinstance(x, list):
            for v in x:
                yield from leaves(v)
        else:
            yield x

    assert all(type(v) in (int, str) for v in leaves(data))
    assert SignedEstimate.from_dict(json.loads(json.dumps(data))) == estimate.sign(MEMBER_LINES, TAXES, D(5))


def test_the_snapshot_fingerprint_is_the_signed_lines():
    signed = estimate.sign(MEMBER_LINES, TAXES, D(5))
    assert rules.lines_hash(signed.as_lines()) == rules.lines_hash(MEMBER_LINES)


def test_signing_an_unknown_tax_code_is_refused():
    bad = dataclasses.replace(MEMBER_LINES[0], tax_code="VAT99")
    assert refused(estimate.sign, [bad], TAXES).reason == "Unknown tax code {code}"


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(format=2),
        lambda d: d.pop("lines"),
        lambda d: d["lines"][0].update(qty=1.5),
        lambda d: d["lines"][0].update(qty="NaN"),
        lambda d: d["lines"][0].update(kind="tyre"),
        lambda d: d["lines"][0].update(warranty=2),
        lambda d: d["totals"].update(total="61726"),
        lambda d: d["totals"].pop("tax_by_code"),
        lambda d: d.update(member_discount_pct="five"),
        lambda d: d["lines"][0].update(unit_cents=True),
    ],
)
def test_a_damaged_snapshot_is_a_value_error(damage):
    data = json.loads(json.dumps(estimate.sign(MEMBER_LINES, TAXES, D(5)).to_dict()))
    damage(data)
    with pytest.raises(ValueError):
        SignedEstimate.from_dict(data)


_line = st.builds(
    lambda kind, qty, unit, disc, code, warranty, free: EstimateLine(
        kind, "x", qty, unit, disc, code, warranty=warranty, free=free
    ),
    st.sampled_from(list(LineKind)),
    st.decimals(min_value=D("0.001"), max_value=1000, places=3),
    st.integers(min_value=0, max_value=10**8),
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from(["VAT13", "VAT6", "NONE"]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_line, max_size=6), st.decimals(min_value=0, max_value=100, places=2), st.booleans())
def test_any_signed_estimate_round_trips(lines, member, inclusive):
    taxes = TaxTable(TAXES.rules | {"NONE": TAXES["NONE"]}, prices_include_tax=inclusive)
    signed = estimate.sign(lines, taxes, member)
    again = SignedEstimate.from_dict(json.loads(json.dumps(signed.to_dict())))
    assert again == signed and again.recomputed() == signed.totals


# ----------------------------------------------------------------------------- the delivery comparison (DLV-02)


def _auth(signed: SignedEstimate | None, *, amount: int, added: bool = False, version: int = 3) -> Authorisation:
    lines = MEMBER_LINES
    return Authorisation(
        Channel.IN_PERSON, "Li", "", amount, version, rules.lines_hash(lines), NOW, for_added_work=added, signed=signed
    )


def test_the_authorised_amount_is_what_was_signed_not_todays_total():
    signed = estimate.sign(MEMBER_LINES, TAXES, D(5))
    added = estimate.sign([draft(description="Wiper", unit_cents=16800).line()], TAXES, D(5))
    facts = rules.VisitFacts(
        now=NOW,
        customer=Customer(1, "Li", member=True),
        lines=list(MEMBER_LINES),
        estimate_version=3,
        # today's settings (no member discount any more) make the estimate dearer
        estimate_total_cents=estimate.sign(MEMBER_LINES, TAXES, D(0)).total,
        authorisations=[_auth(signed, amount=signed.total), _auth(added, amount=added.total, added=True)],
    )
    assert facts.estimate_total_cents > signed.total
    assert rules.valid_authorisation(facts) is facts.authorisations[0]  # the signature still stands
    assert rules.authorised_amount(facts) == signed.total + added.total


def test_an_authorisation_without_a_snapshot_is_compared_as_before():
    total = estimate.sign(MEMBER_LINES, TAXES, D(5)).total
    facts = rules.VisitFacts(
        now=NOW,
        lines=list(MEMBER_LINES),
        estimate_version=3,
        estimate_total_cents=total + 1,
        authorisations=[_auth(None, amount=total)],
    )
    assert rules.valid_authorisation(facts) is None
    facts.estimate_total_cents = total
    assert rules.authorised_amount(facts) == total
    assert rules.signed_amount(_auth(None, amount=70000)) == 70000


# ----------------------------------------------------------------------------- back orders and the promise


def part(availability=Availability.BACK_ORDER, eta=None, **kw) -> EstimateLine:
    return EstimateLine(
        kind=LineKind.PART,
        description="Rear brake disc pair",
        qty=D(1),
        unit_cents=68000,
        availability=availability,
        eta=eta,
        **kw,
    )


def test_a_back_order_without_a_date_is_noted_and_the_supplier_chased_until_it_has_one():
    undated = part()
    assert estimate.chase_supplier(undated)
    assert estimate.parts_to_chase([undated, part(eta=TODAY)]) == [undated]
    assert not estimate.chase_supplier(part(eta=TODAY))
    assert not estimate.chase_supplier(part(availability=Availability.IN_STOCK))
    # a declined added part is not chased
    assert estimate.parts_to_chase([part(approval=Approval.DECLINED)]) == []
    # the patch that notes it: back order, no date
    patched = LinePatch.of(availability=Availability.BACK_ORDER, eta=None, taxes=TAXES, today=TODAY).apply(
        part(availability=Availability.UNKNOWN)
    )
    assert patched.availability == Availability.BACK_ORDER and patched.eta is None
    # EST-02 stays open until the date is given
    assert not rules.CHECKS["backorders_have_eta"].fn(_facts([patched]))
    assert rules.CHECKS["backorders_have_eta"].fn(_facts([dataclasses.replace(patched, eta=TODAY)]))


def _facts(lines):
    from desk.domain.rules import VisitFacts

    return VisitFacts(now=NOW, lines=lines)


def test_labour_and_fees_are_not_put_on_back_order():
    labour = EstimateLine(
        kind=LineKind.LABOUR, description="Oil change", qty=D(1), unit_cents=9000, availability=Availability.IN_STOCK
    )
    with pytest.raises(InvalidInput) as exc:
        LinePatch.of(availability=Availability.BACK_ORDER, taxes=TAXES, today=TODAY).apply(labour)
    assert exc.value.params["line"] == "Oil change"


def test_a_promise_before_a_parts_eta_is_refused_naming_the_part_and_its_eta():
    eta = TODAY + dt.timedelta(days=3)
    lines = [part(eta=eta), part(availability=Availability.IN_STOCK)]
    with pytest.raises(InvalidInput) as exc:
        estimate.check_promised(dt.datetime.combine(eta - dt.timedelta(days=1), dt.time(17, 30)), lines)
    assert exc.value.field == "promised"
    assert exc.value.params == {
        "at": f"{eta - dt.timedelta(days=1):%Y-%m-%d} 17:30",
        "part": "Rear brake disc pair",
        "eta": f"{eta:%Y-%m-%d}",
    }
    # the day the part arrives, or later: accepted; a part with no date cannot be checked
    estimate.check_promised(dt.datetime.combine(eta, dt.time(17, 30)), lines)
    estimate.check_promised(NOW, [part()])
    # a declined part holds nothing up
    estimate.check_promised(NOW, [part(eta=eta, approval=Approval.DECLINED)])


def test_the_part_form_takes_a_question_mark_for_a_back_order_without_a_date():
    for typed in ("?", "back order", "缺货", "待定"):
        line = LineDraft.parse(
            {
                "description": "Rear brake disc pair",
                "qty": "1",
                "unit_cents": "680",
                "discount_pct": "0",
                "warranty": "n",
                "free": "n",
                "eta": typed,
            },
            kind="part",
            taxes=TAXES,
            today=TODAY,
        )
        assert line.availability == Availability.BACK_ORDER and line.eta is None, typed
    dated = LineDraft.parse(
        {"description": "Rear brake disc pair", "qty": "1", "unit_cents": "680", "eta": "+2"},
        kind="part",
        taxes=TAXES,
        today=TODAY,
    )
    assert dated.availability == Availability.BACK_ORDER and dated.eta == TODAY + dt.timedelta(days=2)
    with pytest.raises(InvalidInput):
        LineDraft.parse(
            {"description": "x", "qty": "1", "unit_cents": "1", "eta": "soon"}, kind="part", taxes=TAXES, today=TODAY
        )
