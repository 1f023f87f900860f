"""The walkaround sheet and the invoice at hand-back both carry the damage map:
the walkaround's, what was noted at delivery, the acknowledgements."""

from __future__ import annotations

import os
from datetime import datetime

from desk.config import Settings
from desk.output import pdf
from desk.output import text as printout
from tests.unit.test_handback_service import ready_with_a_scratch

PRINTED = datetime(2026, 11, 23, 15, 0)


def test_both_printouts_carry_the_map_and_the_acknowledgements(shop, clock):
    d = shop.desk
    vid = ready_with_a_scratch(shop, clock)
    d.handback.note_delivery_damage(
        shop.sa, d.lifecycle.ref(vid), d.handback.draft("door_front_left", "dent", "handle")
    )
    d.handback.acknowledge(shop.sa, d.lifecycle.ref(vid), "out", "李伟")
    view = d.lifecycle.visit_view(vid)
    settings = Settings()
    sheet = printout.walkaround_doc(view, settings, printed_at=PRINTED)
    assert sheet.diagram and sheet.damaged == {"front_bumper"}
    assert "Map signed in: 李伟" in " ".join(sheet.text().split())
    invoice = printout.invoice_doc(view, settings, d.lifecycle.next_service_due(vid), printed_at=PRINTED)
    assert invoice.diagram and invoice.damaged == {"front_bumper"} and invoice.new_damage == {"door_front_left"}
    body = invoice.text()
    assert "Damage at the walkaround:\n  - front bumper: scratch" in body
    assert "Damage noted at delivery:\n  - front left door: dent (handle)" in body
    assert "Map signed out: 李伟" in " ".join(body.split()) and "The car handed back as the damage above shows." in body
    out = os.environ.get("DESK_HANDBACK_PDF")  # set it to look at the page (pdftoppm -png)
    data = pdf.render(invoice)
    assert data[:5] == b"%PDF-"
    if out:
        with open(out, "wb") as fh:
            fh.write(data)
