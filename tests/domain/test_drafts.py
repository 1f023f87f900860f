"""Drafts of customers, vehicles, bookings, concerns, findings, readings, calls and
complaints: parsed once from a form or from typed values, through the field specs."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.domain import fields
from desk.domain.drafts import (
    BookingDraft,
    CannedJobDraft,
    CannedLineDraft,
    ComplaintClosing,
    ComplaintDraft,
    ConcernDraft,
    CustomerDraft,
    DecisionDraft,
    FindingDraft,
    FollowUpAgreement,
    FollowUpCallDraft,
    VehicleDraft,
)
from desk.domain.entities import CallOutcome, Channel, Grade, LineKind, Severity, Symptom
from desk.domain.errors import InvalidInput
from desk.domain.readings import OdometerCorrection, Readings

TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 10, 0)
FACTORS = ("initiation", "advisor", "facility", "pickup", "quality")


def refused(fn, *args, **kw) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        fn(*args, **kw)
    return err.value


def test_customer():
    c = CustomerDraft.parse(
        {"name": " 王 伟 ", "phone": "138-1234-5678", "email": "", "special_note": "a\nb"}, member=True
    )
    assert c == CustomerDraft("王 伟", "+8613812345678", "", "a\nb", True, False)
    assert CustomerDraft.of(name="Li", phone="13812345678").phone == "+8613812345678"
    assert refused(CustomerDraft.of, name="", phone="13812345678").field == "name"
    assert refused(CustomerDraft.parse, {"name": "Li", "phone": "12"}).field == "phone"
    assert refused(CustomerDraft.of, name="Li", phone="13812345678", special_note="x" * 501).field == "special_note"


def test_vehicle():
    v = VehicleDraft.parse(
        {
            "plate": "粤b·d12345",
            "vin": "",
            "make": "BYD",
            "model": "Han",
            "year": "2022年",
            "purchase_date": "2022-05-01",
            "odometer_km": "12,345",
        },
        today=TODAY,
    )
    assert (v.plate, v.year, v.purchase_date, v.odometer_km) == ("粤BD12345", 2022, dt.date(2022, 5, 1), 12345)
    assert VehicleDraft.of(plate="ab123", year=2027, today=TODAY).year == 2027
    assert refused(VehicleDraft.of, plate="ab123", year=2028, today=TODAY).reason == "Not a model year: {value}"
    assert refused(VehicleDraft.parse, {"plate": "ab123", "purchase_date": "tomorrow"}, today=TODAY).reason == (
        "Purchase date is in the future"
    )
    assert refused(VehicleDraft.of, plate="ab123", make="m" * 41, today=TODAY).field == "make"


def test_concerns_and_booking():
    c = ConcernDraft.parse({"concern": "Squeak when braking", "tags": "3 1"})
    assert c == ConcernDraft("Squeak when braking", (Symptom.BRAKE, Symptom.NOISE))
    assert ConcernDraft.many(["Oil change", ("Noise", ["noise"]), c])[1].tags == (Symptom.NOISE,)
    assert refused(ConcernDraft.of, "  ").field == "concern"
    b = BookingDraft.parse({"when": "tomorrow 9:30", "concern": "Service", "tags": ""}, now=NOW)
    assert b.at == dt.datetime(2026, 11, 23, 9, 30) and b.concerns == (ConcernDraft("Service"),)
    assert refused(BookingDraft.of, at=NOW, concerns=[], now=NOW).reason == "Record at least one customer concern"
    assert refused(BookingDraft.parse, {"when": "someday", "concern": "x"}, now=NOW).field == "when"


def test_finding():
    assert FindingDraft.parse({"finding": "Pads worn", "grade": "r"}) == FindingDraft("Pads worn", Grade.RED)
    assert FindingDraft.of("Leak", "yellow", during_repair=True).during_repair
    assert refused(FindingDraft.parse, {"finding": "x", "grade": "b"}).reason == "Grade is g, y or r"


def test_readings():
    r = Readings.parse(
        {"odometer_km": "12,500", "fuel_eighths": "4", "warning_lights": "", "tyres": "ok", "valuables": ""},
        last_km=12000,
    )
    assert r == Readings(12500, 4, "", "ok", "")
    assert refused(Readings.parse, {"odometer_km": "11000"}, last_km=12000).field == "odometer_km"
    assert refused(Readings.parse, {"fuel_eighths": "9"}).reason == "Fuel level is 0 to 8 eighths"
    typed = Readings.of(fuel_eighths=8, tyres=None)
    assert typed.given() == {"fuel_eighths": 8}
    r.check_odometer(12400)
    with pytest.raises(InvalidInput):  # another terminal recorded more since the form was filled
        r.check_odometer(13000)


def test_odometer_correction():
    c = OdometerCorrection.parse({"km": "9,000", "reason": "cluster replaced"})
    assert (c.km, c.reason) == (9000, "cluster replaced")
    assert refused(OdometerCorrection.of, km=9000, reason=" ").reason == "A reason is required"
    assert refused(OdometerCorrection.parse, {"km": "", "reason": "x"}).field == "km"


def test_followup_agreement():
    a = FollowUpAgreement.parse({"at": "tomorrow 10:00", "channel": "微信"}, now=NOW, window_hours=72)
    assert (a.at, a.channel) == (dt.datetime(2026, 11, 23, 10), "wechat")
    err = refused(FollowUpAgreement.of, at=NOW + dt.timedelta(hours=73), channel="phone", now=NOW, window_hours=72)
    assert err.params == {"hours": 72}
    assert refused(FollowUpAgreement.of, at=NOW, channel="fax", now=NOW, window_hours=72).field == "channel"


def test_followup_call():
    scores = dict.fromkeys(FACTORS, 4) | {"quality": 2}
    call = FollowUpCallDraft.of(
        outcome="reached", factors=FACTORS, scores=scores, nps="9", comment=" good ", next_service_stated=True
    )
    assert call.outcome == CallOutcome.REACHED and call.score_map == scores and call.nps == 9
    assert [f for f, _s in call.scores] == list(FACTORS) and call.comment == "good"
    assert refused(FollowUpCallDraft.of, outcome="reached", factors=FACTORS, scores={"advisor": 5}).reason == (
        "Score all five factors"
    )
    for bad in (0, 6, "5", True):
        assert (
            refused(FollowUpCallDraft.of, outcome="no_answer", factors=FACTORS, scores={"advisor": bad}).reason
            == "Scores are 1 to 5"
        )
    assert refused(FollowUpCallDraft.of, outcome="no_answer", factors=FACTORS, scores={"price": 3}).field == "score"
    assert refused(FollowUpCallDraft.of, outcome="no_answer", factors=FACTORS, nps=11).reason == "NPS is 0 to 10"
    assert FollowUpCallDraft.of(outcome=CallOutcome.NO_ANSWER, factors=FACTORS).scores == ()
    with pytest.raises(InvalidInput):
        FollowUpCallDraft.of(outcome="busy", factors=FACTORS)


def test_complaints():
    assert ComplaintDraft.of(severity="major", summary="Noise again").severity == Severity.MAJOR
    closing = ComplaintClosing.parse(
        {"root_cause": "Loose clip", "remedy": "Free check", "closing_report": "r" * 2000}, owner_id=4
    )
    assert closing.owner_id == 4 and len(closing.closing_report) == 2000
    err = refused(ComplaintClosing.parse, {"root_cause": "", "remedy": "x", "closing_report": "y"})
    assert (err.field, err.params) == ("root_cause", {"field": "root cause"})
    assert refused(ComplaintClosing.of, root_cause="a", remedy="b", closing_report="r" * 2001).field == (
        "closing_report"
    )


def test_every_draft_form_lists_known_specs():
    from desk.domain import drafts, estimate, readings

    for cls in (
        drafts.CustomerDraft,
        drafts.VehicleDraft,
        drafts.ConcernDraft,
        drafts.BookingDraft,
        drafts.FindingDraft,
        drafts.FollowUpAgreement,
        drafts.ComplaintDraft,
        drafts.ComplaintClosing,
        drafts.DecisionDraft,
        drafts.CannedJobDraft,
        drafts.CannedLineDraft,
        readings.Readings,
        readings.OdometerCorrection,
        estimate.Signature,
        estimate.AuthorisationDraft,
    ):
        names = [s.name for s in cls.FORM]
        assert len(names) == len(set(names)), cls
        assert all(isinstance(s, fields.Spec) for s in cls.FORM)


def test_a_form_dialogs_values_make_the_draft_the_form_stands_for():
    """A form built from a draft's FORM gives values each spec already read:
    ``from_form`` takes them as they are (the service checks nothing again)."""
    values, errors = fields.parse_all(
        BookingDraft.FORM, {"when": "tomorrow 9:30", "concern": " Brakes  squeal ", "tags": "3"}, now=NOW
    )
    assert not errors
    booking = BookingDraft.from_form(values)
    assert booking.at == dt.datetime(2026, 11, 23, 9, 30)
    assert booking.concerns == (ConcernDraft("Brakes squeal", (Symptom.BRAKE,)),)
    finding = FindingDraft.from_form({"finding": "Worn wiper", "grade": Grade.YELLOW}, during_repair=True)
    assert finding.during_repair and finding.grade == Grade.YELLOW


def test_decision_on_added_work():
    decision = DecisionDraft.of(channel="2", signer=" 李伟 ", reference="+8613812345678")
    assert (decision.channel, decision.signer) == (Channel.PHONE, "李伟")
    assert refused(DecisionDraft.of, channel="fax", signer="李伟").field == "channel"
    assert refused(DecisionDraft.parse, {"channel": "1", "signer": ""}).field == "signer"


def test_canned_job_and_line():
    job = CannedJobDraft.of(job_id="Wipers", en="Wiper blades")
    assert (job.job_id, job.zh) == ("wipers", "Wiper blades")  # no Chinese name: the English one
    assert refused(CannedJobDraft.of, job_id="oil", en="Dup", taken={"oil"}).field == "job"
    assert refused(CannedJobDraft.of, job_id="x", en=" ").field == "en"
    line = CannedLineDraft.of(kind="labour", description="Fit wipers", qty="0.2", unit_price="180")
    assert line.kind == LineKind.LABOUR and line.to_dict() == {
        "kind": "labour",
        "description": "Fit wipers",
        "qty": "0.2",
        "unit_cents": 18000,
    }
    assert refused(CannedLineDraft.of, kind="part", description="x", qty="1", unit_price="-3").field == "unit_cents"
    assert CannedLineDraft.of(kind="part", description="x", qty=1, unit_price=500).unit_cents == 500
