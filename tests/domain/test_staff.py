"""Who may act: every rule of authority, decided in the domain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.domain import checklist as ck
from desk.domain import staff
from desk.domain.checklist import MarkKind
from desk.domain.entities import Role, Severity, User
from desk.domain.errors import NotAllowed

ADVISOR = User(1, "Wang", frozenset({Role.ADVISOR}))
TECH = User(2, "Zhang", frozenset({Role.TECHNICIAN}))
QC = User(3, "Chen", frozenset({Role.QC}))
MANAGER = User(4, "Zhou", frozenset({Role.MANAGER}))
FOREMAN = User(5, "Li", frozenset({Role.FOREMAN}))
CSR = User(6, "Sun", frozenset({Role.CSR}))
LIMIT = Decimal(10)

QC03 = ck.MotItem("QC-03", "QC", "a", "b", True, Role.QC, who=staff.NOT_TECHNICIAN)
WLK03 = ck.MotItem("WLK-03", "WALKAROUND", "a", "b", True, Role.ADVISOR)
RCP03 = ck.MotItem("RCP-03", "RECEPTION", "a", "b", False, Role.ADVISOR)


def refusal(verdict: staff.Verdict) -> tuple[str, str]:
    assert not verdict
    with pytest.raises(NotAllowed) as err:
        verdict.check()
    return err.value.action, err.value.reason


def test_a_verdict_is_true_when_allowed_and_raises_its_refusal():
    assert staff.ALLOWED and staff.ALLOWED.check() is None
    assert refusal(staff.refuse("tick", "qc")) == ("tick", "qc")


# ----------------------------------------------------------------------------- MOT items


def test_tick_needs_the_items_role_or_a_manager_or_foreman():
    # the role's name, not its id: "Not allowed: tick needs a QC inspector"
    assert refusal(staff.may_tick(ADVISOR, QC03)) == ("tick", "QC inspector")
    assert staff.may_tick(QC, QC03) and staff.may_tick(MANAGER, QC03) and staff.may_tick(FOREMAN, QC03)
    assert staff.may_tick(ADVISOR, WLK03)
    assert not staff.may_tick(TECH, WLK03)


def test_the_inspector_is_not_the_technician_where_the_shop_has_another():
    both = User(9, "Sole", frozenset({Role.QC, Role.TECHNICIAN}))
    assert refusal(staff.may_tick(both, QC03, technician_ids={9})) == ("tick", "an inspector other than the technician")
    assert staff.may_tick(both, QC03, technician_ids={9}, shop_has_other_inspector=False)
    assert staff.may_tick(both, QC03, technician_ids={7})  # someone else did the work
    rep07 = ck.MotItem("REP-07", "IN_REPAIR", "a", "b", True, Role.TECHNICIAN)
    assert staff.may_tick(TECH, rep07, technician_ids={TECH.id})  # no who-constraint on the item


def test_the_self_inspection_is_ticked_by_a_technician_who_worked_on_the_car():
    """QC-01 offered and took any technician (breaking test of issue 25)."""
    qc01 = ck.MotItem("QC-01", "QC", "a", "b", True, Role.TECHNICIAN, who=staff.OWN_WORK)
    other = User(7, "Liu", frozenset({Role.TECHNICIAN}))
    assert staff.may_tick(TECH, qc01, technician_ids={TECH.id})
    assert refusal(staff.may_tick(other, qc01, technician_ids={TECH.id})) == (
        "tick",
        "a technician who worked on this car",
    )
    assert staff.may_tick(FOREMAN, qc01, technician_ids={TECH.id})  # the foreman may still
    assert staff.may_tick(other, qc01)  # nobody recorded as working on it: any technician
    offered = staff.who_may_mark(qc01, "done", [TECH, other, ADVISOR], {2, 7, 1}, technician_ids={TECH.id})
    assert offered == [TECH]
    shipped = ck.load_templates().get("QC-01")
    assert shipped.who == staff.OWN_WORK


def test_who_else_may_inspect_is_decided_from_the_users_and_the_technicians():
    both = User(9, "Sole", frozenset({Role.QC, Role.TECHNICIAN}))
    away = User(10, "Away", frozenset({Role.QC}), active=False)
    assert not staff.shop_has_other_inspector(QC03, [both, TECH, ADVISOR, away], {9})
    assert staff.shop_has_other_inspector(QC03, [both, QC], {9})
    assert staff.shop_has_other_inspector(QC03, [both, FOREMAN], {9})
    # a manager who also worked on the car does not count as the other inspector
    assert not staff.shop_has_other_inspector(QC03, [both, MANAGER], {9, MANAGER.id})
    assert staff.visit_technicians(2, [None, 7, 2]) == frozenset({2, 7})
    assert staff.visit_technicians(None, []) == frozenset()


def test_act_as_offers_the_users_with_a_pin_whom_the_marks_rule_allows():
    wlk09 = ck.MotItem("WLK-09", "WALKAROUND", "a", "b", True, Role.TECHNICIAN)
    tech2 = User(7, "Ross", frozenset({Role.TECHNICIAN}))
    away = User(8, "Away", frozenset({Role.TECHNICIAN}), active=False)
    everyone = [ADVISOR, TECH, QC, MANAGER, CSR, tech2, away]
    pins = {u.id for u in everyone} - {tech2.id}
    offered = staff.who_may_mark(wlk09, "done", everyone, pins)
    assert offered == [TECH, MANAGER]  # no PIN (Ross), inactive, other roles: not offered
    assert staff.who_may_mark(wlk09, "done", everyone, set()) == []
    # QC-03: not the technician who worked on the car, while the shop has another inspector
    assert staff.who_may_mark(QC03, "done", everyone, pins, technician_ids={TECH.id}) == [QC, MANAGER]
    both = User(9, "Sole", frozenset({Role.QC, Role.TECHNICIAN}))
    assert staff.who_may_mark(QC03, "done", [both, QC], {9, QC.id}, technician_ids={9}) == [QC]
    # n.a. on a required item is a waiver: managers and foremen
    assert staff.who_may_mark(wlk09, "na", everyone + [FOREMAN], pins | {FOREMAN.id}) == [MANAGER, FOREMAN]


def test_na_on_a_required_item_and_a_waiver_need_a_manager_or_foreman():
    assert refusal(staff.may_mark_na(ADVISOR, WLK03)) == ("waive", "a manager or foreman")
    assert staff.may_mark_na(ADVISOR, RCP03)
    assert refusal(staff.may_waive(ADVISOR)) == ("waive", "a manager or foreman")
    assert staff.may_waive(MANAGER) and staff.may_waive(FOREMAN)
    assert not staff.may_mark(ADVISOR, RCP03, MarkKind.WAIVED)
    assert staff.may_mark(ADVISOR, RCP03, MarkKind.NA)
    assert not staff.may_mark(ADVISOR, QC03, MarkKind.DONE)
    with pytest.raises(ValueError):
        staff.may_mark(ADVISOR, RCP03, "maybe")


def test_the_checklist_asks_staff(monkeypatch):
    calls = []
    monkeypatch.setattr(staff, "may_mark", lambda *a, **kw: calls.append((a, kw)) or staff.ALLOWED)
    ck.check_mark(QC03, MarkKind.DONE, ADVISOR, "", technician_ids={1})
    assert calls and calls[0][0][:3] == (ADVISOR, QC03, MarkKind.DONE)
    assert calls[0][1] == {"technician_ids": {1}, "shop_has_other_inspector": True}


# ----------------------------------------------------------------------------- prices


@pytest.mark.parametrize(
    ("discount", "free", "warranty", "expected"),
    [
        ("0", False, False, False),
        ("10", False, False, False),
        ("10.01", False, False, True),
        ("0", True, False, True),
        ("0", False, True, True),
        ("0", True, True, True),
        ("100", True, True, True),
    ],
)
def test_price_override_rule(discount, free, warranty, expected):
    facts = staff.PriceFacts(Decimal(discount), free, warranty)
    assert staff.price_override(facts, limit_pct=LIMIT) is expected


def test_free_and_warranty_by_an_advisor_needs_an_override():
    both = staff.PriceFacts(free=True, warranty=True)
    assert refusal(staff.may_price(ADVISOR, both, limit_pct=LIMIT)) == ("override a price", "a manager or foreman")
    assert staff.may_price(MANAGER, both, limit_pct=LIMIT)
    assert staff.may_price(FOREMAN, both, limit_pct=LIMIT)


def test_a_unit_price_below_the_catalogue_price_beyond_the_limit_needs_an_override():
    def may(user, unit, discount="0", catalogue=40000):
        return staff.may_price(
            user, staff.PriceFacts(Decimal(discount), unit_cents=unit), limit_pct=LIMIT, list_cents=catalogue
        )

    assert not may(ADVISOR, 1)  # typing 0.01 as the price
    assert may(MANAGER, 1)
    assert may(ADVISOR, 36000)  # exactly the advisor's 10 %
    assert not may(ADVISOR, 35999)  # one cent more
    assert may(ADVISOR, 50000)  # above the catalogue is no discount
    assert not may(ADVISOR, 37000, "5")  # 7.5 % lower plus 5 % discount: 12.1 % in all
    assert may(ADVISOR, 40000, "10")
    assert may(ADVISOR, 1, catalogue=None)  # no catalogue price: only the discount counts


def test_the_price_rule_reads_a_draft_or_a_line():
    from desk.domain.entities import EstimateLine, LineKind

    line = EstimateLine(LineKind.PART, "Pads", Decimal(1), 1, free=False)
    assert not staff.may_price(ADVISOR, line, limit_pct=LIMIT, list_cents=40000)
    assert staff.may_price(ADVISOR, line, limit_pct=LIMIT)


VAT13, VAT6, NO_TAX = Decimal("0.13"), Decimal("0.06"), Decimal(0)


def lowers(
    unit=42000,
    qty="1",
    discount="0",
    rate=VAT13,
    *,
    free=False,
    warranty=False,
    list_cents=42000,
    list_qty="1",
    standard=VAT13,
) -> bool:
    """The one price rule over a catalogue part of ¥420 × 1 at VAT 13 %."""
    facts = staff.PriceFacts(Decimal(discount), free, warranty, unit, Decimal(qty))
    return staff.price_override(
        facts,
        limit_pct=LIMIT,
        list_cents=list_cents,
        list_qty=None if list_qty is None else Decimal(list_qty),
        tax_rate=rate,
        list_tax_rate=standard,
    )


@pytest.mark.parametrize(
    ("field", "changed", "expected"),
    [
        # the unit price below the catalogue's
        ("unit", {"unit": 37800}, False),
        ("unit", {"unit": 37799}, True),
        ("unit", {"unit": 1}, True),
        # the quantity (or hours) below the canned job's: 0.001 bills ¥420 as ¥0.42
        ("qty", {"qty": "0.9"}, False),
        ("qty", {"qty": "0.899"}, True),
        ("qty", {"qty": "0.001"}, True),
        # the discount beyond the advisor's limit
        ("discount", {"discount": "10"}, False),
        ("discount", {"discount": "10.01"}, True),
        # free and warranty cost the customer nothing
        ("free", {"free": True}, True),
        ("warranty", {"warranty": True}, True),
        # the tax code below the standard one: NONE takes 11.5 % off a VAT13 price, VAT6 6.2 %
        ("tax", {"rate": NO_TAX}, True),
        ("tax", {"rate": VAT6}, False),
        # together: 6.2 % by the tax code and 5 % discount come to 10.9 %
        ("tax+discount", {"rate": VAT6, "discount": "5"}, True),
        # half the quantity at twice the price is the same money
        ("qty+unit", {"qty": "0.5", "unit": 84000}, False),
        # above the book is no discount
        ("qty up", {"qty": "2"}, False),
        # more pieces at a cut price are a cut price (the total above the book's one piece)
        ("qty up, unit down", {"qty": "5", "unit": 10500}, True),
        ("qty up, unit at the limit", {"qty": "5", "unit": 37800}, False),
    ],
)
def test_every_field_that_lowers_a_price_is_one_rule(field, changed, expected):
    assert not lowers()  # the catalogue line itself
    assert lowers(**changed) is expected, field


def test_without_a_book_figure_the_lines_own_is_the_reference():
    # a part typed by hand: no catalogue price or quantity; its tax code still counts
    assert not lowers(unit=1, qty="0.001", list_cents=None, list_qty=None)
    assert lowers(unit=1, qty="0.001", rate=NO_TAX, list_cents=None, list_qty=None)
    # where prices include the tax the service passes no rates: the code changes nothing
    assert not lowers(rate=None, standard=None)
    # typed labour: the labour rate is the book's price, the hours are the advisor's
    assert lowers(unit=100, qty="3", list_cents=20000, list_qty=None)
    assert not lowers(unit=20000, qty="0.1", list_cents=20000, list_qty=None)


def test_a_manager_or_foreman_may_lower_a_price_an_advisor_may_not():
    facts = staff.PriceFacts(unit_cents=42000, qty=Decimal("0.001"))
    kw = {"limit_pct": LIMIT, "list_cents": 42000, "list_qty": Decimal(1)}
    assert refusal(staff.may_price(ADVISOR, facts, **kw)) == ("override a price", "a manager or foreman")
    assert staff.may_price(MANAGER, facts, **kw) and staff.may_price(FOREMAN, facts, **kw)
    untaxed = staff.PriceFacts(unit_cents=42000)
    assert not staff.may_price(ADVISOR, untaxed, limit_pct=LIMIT, tax_rate=NO_TAX, list_tax_rate=VAT13)
    assert staff.may_price(MANAGER, untaxed, limit_pct=LIMIT, tax_rate=NO_TAX, list_tax_rate=VAT13)


def test_a_change_that_does_not_lower_the_price_keeps_the_line_as_allowed():
    kw = {
        "limit_pct": LIMIT,
        "list_cents": 42000,
        "list_qty": Decimal(1),
        "rate_before": VAT13,
        "rate_after": VAT13,
        "list_tax_rate": VAT13,
    }
    granted = staff.PriceFacts(Decimal(30), unit_cents=42000)  # a manager's 30 %
    more = staff.PriceFacts(Decimal(30), unit_cents=42000, qty=Decimal(2))
    less = staff.PriceFacts(Decimal(30), unit_cents=42000, qty=Decimal("0.5"))
    assert staff.may_change_price(ADVISOR, granted, more, **kw)  # more pieces: the override stands
    assert not staff.may_change_price(ADVISOR, granted, less, **kw)  # lower still: a manager again
    assert staff.may_change_price(MANAGER, granted, less, **kw)
    plain = staff.PriceFacts(unit_cents=42000)
    assert not staff.may_change_price(ADVISOR, plain, staff.PriceFacts(unit_cents=42000, free=True), **kw)
    # more pieces at a quarter of the catalogue's price: a cut price, whatever the total
    # (the breaking test: the quantity raised on one terminal, the price cut on the other)
    above, cut = staff.PriceFacts(unit_cents=50000, qty=Decimal(5)), staff.PriceFacts(unit_cents=10500, qty=Decimal(5))
    assert not staff.may_change_price(ADVISOR, above, cut, **kw)
    assert not staff.may_change_price(ADVISOR, staff.PriceFacts(unit_cents=50000), cut, **kw)  # the total rose
    assert staff.may_change_price(MANAGER, above, cut, **kw)
    assert staff.may_change_price(ADVISOR, plain, staff.PriceFacts(unit_cents=42000, qty=Decimal(5)), **kw)
    assert staff.may_change_price(ADVISOR, above, staff.PriceFacts(unit_cents=42000, qty=Decimal(5)), **kw)
    untaxed = {**kw, "rate_after": NO_TAX}
    assert not staff.may_change_price(ADVISOR, plain, plain, **untaxed)  # VAT13 -> NONE


def test_a_line_is_started_or_finished_in_a_technicians_name_by_him_only():
    other = User(8, "Liu", frozenset({Role.TECHNICIAN}))
    assert staff.may_work_as(TECH, TECH.id)
    for user in (ADVISOR, MANAGER, FOREMAN, other):  # picking his name is no longer enough
        assert refusal(staff.may_work_as(user, TECH.id)) == (
            "record a line's work in a technician's name",
            "that technician, with their PIN",
        )
    assert not staff.may_work_as(ADVISOR, None) and not staff.may_work_as(None, TECH.id)
    gone = User(9, "Gone", frozenset({Role.TECHNICIAN}), active=False)
    assert staff.who_may_work([ADVISOR, TECH, other, gone], {TECH.id, gone.id, ADVISOR.id}) == [TECH]


def test_the_customers_decision_is_recorded_by_an_advisor_not_by_who_found_the_work():
    assert staff.may_record_decision(ADVISOR, found_by={TECH.id})
    assert staff.may_record_decision(MANAGER, found_by={TECH.id})
    assert refusal(staff.may_record_decision(TECH, found_by={TECH.id}))[0] == "record the customer's decision"
    assert refusal(staff.may_record_decision(QC, found_by=set()))[0] == "record the customer's decision"
    assert refusal(staff.may_record_decision(ADVISOR, found_by={ADVISOR.id})) == (
        "record the customer's decision on work you found",
        "an advisor who did not find the work",
    )
    users = [ADVISOR, TECH, MANAGER, QC]
    assert staff.who_may_record_decision(users, {u.id for u in users}, {MANAGER.id}) == [ADVISOR]


# ----------------------------------------------------------------------------- approvers and the rest


def test_approvers_are_active_managers_or_foremen_with_a_pin():
    gone = User(7, "Gone", frozenset({Role.MANAGER}), active=False)
    users = [ADVISOR, MANAGER, FOREMAN, gone, QC]
    assert staff.approvers(users, {MANAGER.id, gone.id, ADVISOR.id}) == [MANAGER]
    assert staff.approvers(users, {MANAGER.id, FOREMAN.id}) == [MANAGER, FOREMAN]
    assert not staff.is_approver(MANAGER, has_pin=False)
    assert staff.may_approve(FOREMAN)
    assert refusal(staff.may_approve(ADVISOR)) == ("approve", "manager")


@pytest.mark.parametrize(
    ("rule", "action"),
    [
        (staff.may_overbook, "overbook"),
        (staff.may_correct_odometer, "correct odometer"),
    ],
)
def test_manager_or_foreman_actions(rule, action):
    assert rule(MANAGER) and rule(FOREMAN)
    assert refusal(rule(ADVISOR)) == (action, "manager")
    assert not rule(QC)


def test_closing_a_major_complaint_is_the_managers():
    assert staff.may_close_complaint(CSR, Severity.ORDINARY)
    assert refusal(staff.may_close_complaint(CSR, "major")) == ("close major complaint", "manager")
    assert staff.may_close_complaint(MANAGER, Severity.MAJOR)


def test_shop_setup_is_a_managers_alone():
    assert staff.may_change_setup(MANAGER)
    assert refusal(staff.may_change_setup(FOREMAN)) == ("change the shop set-up", "manager")
    assert refusal(staff.may_change_setup(None, "add a user")) == ("add a user", "manager")


def test_pins_and_imports():
    assert staff.may_set_pin(ADVISOR, ADVISOR.id) and staff.may_set_pin(MANAGER, ADVISOR.id)
    assert refusal(staff.may_set_pin(ADVISOR, MANAGER.id)) == ("set a PIN", "manager")
    assert not staff.may_set_pin(None, 1)
    assert staff.may_clear_pin(MANAGER) and not staff.may_clear_pin(FOREMAN)
    assert staff.may_import(ADVISOR) and staff.may_import(FOREMAN)
    assert refusal(staff.may_import(TECH)) == ("import customers", "advisor")


def test_keys_grey_out_by_the_same_rules():
    for act in staff.Act:
        assert not staff.can(None, act)
    assert staff.can(MANAGER, staff.Act.CHANGE_SETUP) and not staff.can(FOREMAN, staff.Act.CHANGE_SETUP)
    assert staff.can(FOREMAN, "overbook") and not staff.can(ADVISOR, staff.Act.OVERBOOK)
    assert staff.can(ADVISOR, staff.Act.IMPORT) and not staff.can(TECH, staff.Act.IMPORT)
    assert staff.can(FOREMAN, staff.Act.WAIVE) is bool(staff.may_waive(FOREMAN))
    assert staff.can(ADVISOR, staff.Act.CORRECT_ODOMETER) is bool(staff.may_correct_odometer(ADVISOR))


def test_only_a_manager_hides_a_recommended_item():
    assert staff.may_hide_item(User(1, "m", frozenset({Role.MANAGER})))
    assert not staff.may_hide_item(User(2, "f", frozenset({Role.FOREMAN})))
    assert not staff.may_hide_item(User(3, "a", frozenset({Role.ADVISOR})))
    assert not staff.may_hide_item(None)
