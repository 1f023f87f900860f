"""A dealer group: its sites, and which data is head office's standard.

A group is one head-office database and a database per store (README, "A dealer
group"). Each table has one writer. Head office writes the standard: the MOT
checklist changes (``checklist_override``), the canned jobs (``canned_job``), the
list of sites (``site``) and the settings that are time standards or pricing
rules (:func:`is_standard_setting`); every store receives them and may not change
them. A store's own settings (its name, hours, bays, language ...) stay its own.

Pure: the site's fields are parsed here (the one place their limits live), the
store turns :data:`STANDARD_TABLES` and :data:`STANDARD_SETTING_PREFIXES` into
publications, subscriptions and triggers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from desk.domain import fields
from desk.domain.errors import InvalidInput
from desk.i18n import N_

#: Whole tables head office writes and every store only reads.
STANDARD_TABLES: tuple[str, ...] = ("site", "checklist_override", "canned_job")

#: ``shop_setting`` keys of the standard: the stage stopwatch's time standards,
#: the honest-checklist limits, and the pricing rules (tax rates and the default
#: code, labour rate, member discount, the amount tolerance).
STANDARD_SETTING_PREFIXES: tuple[str, ...] = ("std_", "integrity_", "tax.")
STANDARD_SETTING_KEYS: tuple[str, ...] = (
    "tax_code_default",
    "labour_rate_cents",
    "member_discount_pct",
    "amount_tolerance_pct",
    "amount_tolerance_abs_cents",
)

#: The text a store's refusal starts with (``<tag>:<table>``), read by the store's
#: one translation of database errors into sentences.
REFUSAL_TAG = "desk-standard-read-only"
#: The sentence for a store's write to each table of the standard.
REFUSALS = {
    "site": N_("Head office keeps the group's list of sites: this store cannot change it; nothing was saved"),
    "checklist_override": N_(
        "Head office sets the checklist templates for the whole group: this store cannot change them; nothing was saved"
    ),
    "canned_job": N_(
        "Head office sets the canned jobs for the whole group: this store cannot change them; nothing was saved"
    ),
    "shop_setting": N_(
        "Head office sets the time standards and pricing rules for the whole group: this store "
        "cannot change them; nothing was saved"
    ),
}

HQ_ROLE = "hq"
STORE_ROLE = "store"


def is_standard_setting(key: str) -> bool:
    """Whether the shop setting ``key`` is part of head office's standard."""
    return key in STANDARD_SETTING_KEYS or key.startswith(STANDARD_SETTING_PREFIXES)


# ----------------------------------------------------------------------------- a site's fields

_CODE = re.compile(r"[A-Z][A-Z0-9]{0,9}")


def _site_code(text: str) -> str:
    code = str(text or "").strip().upper()
    if not code:
        raise InvalidInput("code", N_("A site code is required"))
    if not _CODE.fullmatch(code):
        raise InvalidInput("code", N_("A site code is 1 to 10 letters and digits, starting with a letter"))
    return code


def _zone(text: str) -> str:
    name = str(text or "").strip()
    if not name:
        raise InvalidInput("zone", N_("A time zone is required, such as Asia/Shanghai or Europe/Berlin"))
    # an IANA name, e.g. Asia/Shanghai; "CST" or "+08:00" would be a guess
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "zone", N_("{zone} is not a time zone name such as Asia/Shanghai or Europe/Berlin"), {"zone": name}
        ) from None
    if name not in available_timezones() and name != "UTC":
        raise InvalidInput(
            "zone", N_("{zone} is not a time zone name such as Asia/Shanghai or Europe/Berlin"), {"zone": name}
        )
    return name


SITE_CODE = fields.Parsed("code", label="site code", fn=_site_code, max_len=10)
SITE_NAME = fields.Text("name", label="site name", max_len=120, required=True)
SITE_ADDRESS = fields.Text("address", max_len=200)
TAX_NUMBER = fields.Text("tax_number", label="tax number", max_len=40)
ZONE = fields.Parsed("zone", label="time zone", fn=_zone, max_len=64)


@dataclass(frozen=True)
class Site:
    """One site of the group, as parsed from what was typed."""

    code: str
    name: str
    address: str
    tax_number: str
    zone: str
    role: str = STORE_ROLE


def parse_site(
    *, code: str, name: str, address: str = "", tax_number: str = "", zone: str, role: str = STORE_ROLE
) -> Site:
    """A :class:`Site` from typed text, or :class:`InvalidInput` for the first bad field."""
    return Site(
        code=SITE_CODE.parse(code),
        name=SITE_NAME.parse(name),
        address=SITE_ADDRESS.parse(address),
        tax_number=TAX_NUMBER.parse(tax_number),
        zone=ZONE.parse(zone),
        role=role,
    )


def link_name(code: str, shop_id: str) -> str:
    """The name of a store's subscription to the standard, and of its replication
    slot at head office: unique per store database (a store re-made from scratch
    under the same code gets a new one), at most 63 characters, lower case."""
    return f"desk_std_{code.lower()}_{shop_id.replace('-', '')[:8]}"
