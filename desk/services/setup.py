"""Use cases of the shop set-up: shared settings, checklist templates, canned jobs,
the daily opening checklist, users and roles.

The effective settings are desk.toml (``desk.config.Settings``) overridden by the
shop's values in the database. Only a manager changes set-up; every change is
audited with its old and new value.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from desk.domain import fields, money, staff
from desk.domain import setup as rules
from desk.domain.checklist import MotItem, Templates
from desk.domain.drafts import CannedJobDraft, CannedLineDraft
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput, NotAllowed
from desk.domain.schedule import Schedule
from desk.i18n import N_
from desk.services.context import Pricing, Service, ServiceContext, stale_edit
from desk.services.estimate import load_canned_jobs
from desk.services.people import PeopleService
from desk.store import repo
from desk.store.models import (
    CannedJobRow,
    ChecklistOverrideRow,
    OpeningCheckRow,
    ShopSettingRow,
    UserRow,
)

#: Settings that are prices (in ``ServiceContext.pricing``), not ``Settings`` fields.
PRICING_KEYS = rules.PRICING_KEYS


@dataclass(frozen=True)
class SettingView:
    key: str
    label: str
    value: object
    #: "shop" (stored in the database) or "desk.toml" (the terminal's default)
    source: str
    version: int


@dataclass(frozen=True)
class TemplateItemView:
    item: MotItem
    #: required by the MOT standard: cannot be deleted or made optional
    protected: bool
    own: bool
    changed: bool


@dataclass(frozen=True)
class OpeningItemView:
    item_id: str
    label: str
    by: str = ""
    at: object = None

    @property
    def ticked(self) -> bool:
        return bool(self.by)


def _override(row: ChecklistOverrideRow) -> rules.ItemOverride:
    return rules.ItemOverride(row.item_id, row.stage, row.en, row.zh, row.required, row.role, row.own, row.deleted)


class SetupService(Service):
    """Shop set-up; ``configure`` applies the effective settings to the context.
    Needs the people area (a new user)."""

    def __init__(self, ctx: ServiceContext, *, people: PeopleService) -> None:
        super().__init__(ctx)
        self.people = people

    # ------------------------------------------------------------------ effective set-up

    def configure(self, settings) -> None:
        """Remember ``settings`` (desk.toml) as the defaults and apply the shop's
        stored values over them (at start-up and after every set-up change)."""
        ctx = self.ctx
        ctx.base_settings = settings
        if ctx.base_templates is None:
            ctx.base_templates = ctx.templates
            ctx.base_pricing = ctx.pricing
        self.refresh_setup()

    def _base(self):
        from desk.config import Settings

        return self.ctx.base_settings or Settings()

    def _values(self, stored: dict[str, str]) -> dict:
        base = self._base()
        values = {s.key: getattr(base, s.key, None) for s in rules.SETTINGS}
        values["member_discount_pct"] = self._base_pricing().member_discount_pct
        values["labour_rate_cents"] = self._base_pricing().labour_rate_cents or 0
        for code, rule in self._base_pricing().taxes.rules.items():
            if code != "NONE":
                values[rules.TAX_PREFIX + code] = (rule.rate * 100).normalize()
        for key, text in stored.items():
            if key in values:
                values[key] = rules.from_text(key, text)
        return values

    def _taxes(self, values: dict) -> money.TaxTable:
        base = self._base_pricing().taxes
        out = {}
        for code, rule in base.rules.items():
            pct = values.get(rules.TAX_PREFIX + code)
            if pct is None or pct == rule.rate * 100:
                out[code] = rule
            else:
                out[code] = money.TaxRule(
                    code, pct / 100, rules.tax_label(rule.label_en, pct), rules.tax_label(rule.label_zh, pct)
                )
        return money.TaxTable(out, base.prices_include_tax)

    def _base_pricing(self) -> Pricing:
        return self.ctx.base_pricing or self.ctx.pricing

    def _base_templates(self) -> Templates:
        return self.ctx.base_templates or self.ctx.templates

    def _stored(self, session: Session) -> dict[str, ShopSettingRow]:
        return repo.setting_rows(session=session)

    def refresh_setup(self) -> None:
        """Re-read the shop's settings and checklist changes and apply them."""

        def run(session: Session):
            stored = {k: r.value for k, r in self._stored(session).items()}
            overrides = [_override(r) for r in repo.override_rows(session=session).values()]
            return stored, overrides

        stored, overrides = self._read(run)
        values = self._values(stored)
        ctx = self.ctx
        ctx.settings = s = rules.settings_over(self._base(), stored)
        ctx.policy = dataclasses.replace(
            ctx.policy,
            comeback_window_days=s.comeback_window_days,
            tolerance_pct=s.amount_tolerance_pct,
            tolerance_abs_cents=s.amount_tolerance_abs_cents,
            followup_window_hours=s.followup_window_hours,
            followup_max_attempts=s.followup_max_attempts,
            late_after_minutes=s.late_after_minutes,
            greet_within_seconds=s.greet_within_seconds,
            reminder_day_hours=s.reminder_day_hours,
            reminder_hour_minutes=s.reminder_hour_minutes,
        )
        ctx.schedule = Schedule(
            slot_minutes=s.slot_minutes, capacity=s.advisors_per_slot, opening=s.opening_time, closing=s.closing_time
        )
        ctx.pricing = dataclasses.replace(
            self._base_pricing(),
            member_discount_pct=values["member_discount_pct"],
            labour_rate_cents=values["labour_rate_cents"] or None,
            taxes=self._taxes(values),
        )
        ctx.templates = rules.apply_overrides(self._base_templates(), overrides)

    def _require_manager(self, actor: User | None, action: str) -> None:
        staff.may_change_setup(actor, action).check()

    # ------------------------------------------------------------------ settings

    def shop_settings(self) -> list[SettingView]:
        def run(session: Session) -> list[SettingView]:
            stored = self._stored(session)
            values = self._values({k: r.value for k, r in stored.items()})
            keys = [s.key for s in rules.SETTINGS] + sorted(k for k in values if k.startswith(rules.TAX_PREFIX))
            return [
                SettingView(
                    key,
                    rules.spec(key).label,
                    values[key],
                    "shop" if key in stored else "desk.toml",
                    stored[key].version if key in stored else 0,
                )
                for key in keys
            ]

        return self._read(run)

    def set_setting(self, actor: User, key: str, text: str, version: int) -> object:
        """Store the shop's value of ``key`` (typed text), checked against the other
        settings; ``version`` (:attr:`SettingView.version` of :meth:`shop_settings`, 0 for
        a key the shop never set) refuses a stale edit."""
        self._require_manager(actor, N_("change the shop set-up"))
        tax_codes = frozenset(self._base_pricing().taxes.rules)

        def run(session: Session):
            stored = self._stored(session)
            values = self._values({k: r.value for k, r in stored.items()})
            row = stored.get(key)
            current = row.version if row else 0
            if version != current:
                raise stale_edit(
                    f"setting {key} changed on another terminal",
                    repo.latest_setting_event(session=session, key=key),
                    current=current,
                )
            if key not in values:
                raise InvalidInput("key", N_("No such setting: {key}"), {"key": key})
            value = rules.change(values, key, text, tax_codes=tax_codes)
            before = rules.to_text(key, values[key]) if values[key] is not None else None
            after = rules.to_text(key, value)
            if row is None:
                row = ShopSettingRow(key=key, value=after, updated_at=self.now(), updated_by=actor.id)
            else:
                row.value, row.updated_at, row.updated_by = after, self.now(), actor.id
            session.add(row)
            session.flush()
            self._audit(session, actor, "setup.setting", "shop_setting", None, before={key: before}, after={key: after})
            return value

        value = self._write(run)
        self.refresh_setup()
        return value

    # ------------------------------------------------------------------ checklist templates

    def _overrides(self, session: Session) -> dict[str, ChecklistOverrideRow]:
        return repo.override_rows(session=session)

    def template_items(self) -> list[TemplateItemView]:
        base = self._base_templates()

        def run(session: Session) -> list[TemplateItemView]:
            rows = self._overrides(session)
            effective = rules.apply_overrides(base, [_override(r) for r in rows.values()])
            return [
                TemplateItemView(
                    item,
                    rules.spec_required(base, item.id),
                    bool(rows.get(item.id) and rows[item.id].own),
                    item.id in rows,
                )
                for item in effective.items
            ]

        return self._read(run)

    def add_template_item(
        self, actor: User, *, stage: str, en: str, zh: str = "", required: bool = False, role: str = Role.ADVISOR.value
    ) -> str:
        self._require_manager(actor, N_("change the shop set-up"))
        en, zh = fields.ITEM_TEXT_EN.check(en), fields.ITEM_TEXT_ZH.check(zh)

        def run(session: Session) -> str:
            rows = self._overrides(session)
            item = rules.own_item(
                self._base_templates(),
                [_override(r) for r in rows.values()],
                stage=stage,
                en=en,
                zh=zh,
                required=required,
                role=role,
            )
            session.add(ChecklistOverrideRow(**dataclasses.asdict(item)))
            session.flush()
            self._audit(session, actor, "setup.item_add", "checklist_item", None, after=dataclasses.asdict(item))
            return item.item_id

        item_id = self._write(run)
        self.refresh_setup()
        return item_id

    def _effective_item(self, session: Session, base, item_id: str):
        """The shop's override rows and the item as the shop has it now."""
        rows = self._overrides(session)
        effective = rules.apply_overrides(base, [_override(r) for r in rows.values()])
        try:
            return rows, effective.get(item_id)
        except KeyError:
            raise InvalidInput("item", N_("No such checklist item: {item}"), {"item": item_id}) from None

    def set_item_required(self, actor: User, item_id: str, required: bool) -> None:
        """Make a recommended item required (or a shop's choice optional again);
        the standard's required items stay required."""
        self._require_manager(actor, N_("change the shop set-up"))
        base = self._base_templates()

        def run(session: Session) -> None:
            rows, item = self._effective_item(session, base, item_id)
            rules.check_required_change(base, item_id, required)
            row = rows.get(item_id) or ChecklistOverrideRow(
                item_id=item_id, stage=item.stage, en=item.en, zh=item.zh, role=item.role.value
            )
            row.required = required
            session.add(row)
            session.flush()
            self._audit(
                session,
                actor,
                "setup.item_required",
                "checklist_item",
                None,
                before={"item": item_id, "required": item.required},
                after={"item": item_id, "required": required},
            )

        self._write(run)
        self.refresh_setup()

    def delete_template_item(self, actor: User, item_id: str) -> None:
        """Remove a shop's own item, or hide an item the standard only recommends
        (``staff.may_hide_item``; audited, and listed by the KPI report)."""
        staff.may_hide_item(actor).check()
        base = self._base_templates()

        def run(session: Session) -> None:
            rows, item = self._effective_item(session, base, item_id)
            rules.check_delete(base, item_id)
            row = rows.get(item_id) or ChecklistOverrideRow(
                item_id=item_id, stage=item.stage, en=item.en, zh=item.zh, role=item.role.value, required=item.required
            )
            row.deleted = True
            session.add(row)
            session.flush()
            self._audit(
                session,
                actor,
                "setup.item_delete",
                "checklist_item",
                None,
                before={"item": item_id, "en": item.en, "required": item.required},
                after={"item": item_id, "hidden": not row.own},
            )

        self._write(run)
        self.refresh_setup()

    # ------------------------------------------------------------------ canned jobs

    def _job_row(self, session: Session, job_id: str) -> CannedJobRow:
        row = session.get(CannedJobRow, job_id)
        if row is None:
            job = next((j for j in load_canned_jobs() if j.id == job_id), None)
            if job is None:
                raise InvalidInput("job", N_("No such canned job"))
            row = CannedJobRow(job_id=job.id, en=job.en, zh=job.zh, lines=json.dumps(list(job.lines)))
        elif row.deleted:
            raise InvalidInput("job", N_("No such canned job"))
        return row

    def add_canned_job_def(self, actor: User, job: CannedJobDraft) -> str:
        """A new canned job (its lines are added one by one)."""
        self._require_manager(actor, N_("change the shop set-up"))
        job_id, en, zh = job.job_id, job.en, job.zh

        def run(session: Session) -> str:
            existing = session.get(CannedJobRow, job_id)
            shipped = any(j.id == job_id for j in load_canned_jobs())
            if (existing is not None and not existing.deleted) or (existing is None and shipped):
                raise InvalidInput("job", N_("The job code {job} is taken"), {"job": job_id})
            row = existing or CannedJobRow(job_id=job_id, en=en, zh=zh)
            row.en, row.zh, row.lines, row.deleted = en, zh, "[]", False
            session.add(row)
            session.flush()
            self._audit(session, actor, "setup.job_add", "canned_job", None, after={"job": job_id, "en": en, "zh": zh})
            return job_id

        return self._write(run)

    def add_canned_line(self, actor: User, job_id: str, line: CannedLineDraft) -> None:
        """Add a line (labour hours or parts, as the domain parsed it) to a canned job."""
        self._require_manager(actor, N_("change the shop set-up"))
        line = line.to_dict()

        def run(session: Session) -> None:
            row = self._job_row(session, job_id)
            lines = json.loads(row.lines)
            before = list(lines)
            lines.append(line)
            row.lines = json.dumps(lines, ensure_ascii=False)
            session.add(row)
            session.flush()
            self._audit(
                session,
                actor,
                "setup.job_line",
                "canned_job",
                None,
                before={"job": job_id, "lines": before},
                after={"job": job_id, "lines": lines},
            )

        self._write(run)

    def delete_canned_job(self, actor: User, job_id: str) -> None:
        self._require_manager(actor, N_("change the shop set-up"))

        def run(session: Session) -> None:
            row = self._job_row(session, job_id)
            row.deleted = True
            session.add(row)
            session.flush()
            self._audit(
                session,
                actor,
                "setup.job_delete",
                "canned_job",
                None,
                before={"job": job_id, "en": row.en, "lines": json.loads(row.lines)},
            )

        self._write(run)

    @staticmethod
    def job_total_cents(job) -> int:
        """The net of a job's lines (free lines count nothing), exact."""
        total = 0
        for ln in job.lines:
            if ln.get("free"):
                continue
            total += money.round_half_up(Decimal(str(ln["qty"])) * int(ln["unit_cents"]))
        return total

    # ------------------------------------------------------------------ opening checklist

    def opening_checklist(self, day: date | None = None) -> list[OpeningItemView]:
        day = day or self.now().date()

        def run(session: Session) -> list[OpeningItemView]:
            ticks = repo.opening_ticks(session=session, day=day)
            names = {u.id: u.name for u in repo.users(session=session)}
            return [
                OpeningItemView(i, label, names.get(ticks[i].by_user, "?"), ticks[i].at)
                if i in ticks
                else OpeningItemView(i, label)
                for i, label in rules.OPENING_ITEMS
            ]

        return self._read(run)

    def opening_open_items(self, day: date | None = None) -> list[str]:
        """The facility items not yet ticked on ``day`` (today by default)."""
        day = day or self.now().date()
        ticked = self._read(lambda s: set(repo.opening_ticks(session=s, day=day)))
        return rules.opening_missing(ticked)

    def tick_opening(self, actor: User, item_id: str) -> None:
        """Tick one facility standard for today (any signed-in user, once a day)."""
        if actor is None:
            raise NotAllowed(N_("tick"), "")
        day = self.now().date()

        def run(session: Session) -> None:
            ticked = set(repo.opening_ticks(session=session, day=day))
            rules.check_opening_tick(item_id, ticked)
            session.add(OpeningCheckRow(day=day, item_id=item_id, by_user=actor.id, at=self.now()))
            session.flush()
            self._audit(
                session, actor, "setup.opening_tick", "opening_check", None, after={"day": day, "item": item_id}
            )

        self._write(run)

    # ------------------------------------------------------------------ users and roles

    def add_user(self, actor: User, name: str, role: str) -> int:
        """A new user: ``name`` as ``fields.NAME`` parsed it (the set-up form)."""
        self._require_manager(actor, N_("add a user"))
        try:
            role_ = Role(role)
        except ValueError:
            raise InvalidInput("role", N_("No such role: {role}"), {"role": role}) from None
        return self.people.create_user(actor, name, [role_])

    def set_user_role(self, actor: User, user_id: int, role: str, seen: frozenset[Role] | None = None) -> None:
        """The user's role. ``seen``: the roles the picker showed when it opened; a
        change made meanwhile on another terminal is refused (``StaleEdit``, naming
        it), never overwritten unseen."""
        self._require_manager(actor, N_("change a role"))
        try:
            roles = frozenset({Role(role)})
        except ValueError:
            raise InvalidInput("role", N_("No such role: {role}"), {"role": role}) from None

        def run(session: Session) -> None:
            rules.check_user_change(repo.users(session=session), actor, user_id, roles=roles)
            row = session.get(UserRow, user_id)
            now = frozenset(Role(r) for r in row.roles.split(",") if r)
            if seen is not None and now != frozenset(seen):
                raise stale_edit(
                    f"user {user_id} changed on another terminal",
                    repo.latest_event(session=session, entity="user", entity_id=user_id),
                )
            before = row.roles
            row.roles = ",".join(sorted(r.value for r in roles))
            session.add(row)
            self._audit(
                session,
                actor,
                "user.roles",
                "user",
                user_id,
                before={"user": row.name, "roles": before},
                after={"user": row.name, "roles": row.roles},
            )

        self._write(run)

    def set_user_active(self, actor: User, user_id: int, active: bool) -> None:
        self._require_manager(actor, N_("deactivate a user"))

        def run(session: Session) -> None:
            rules.check_user_change(repo.users(session=session), actor, user_id, active=active)
            row = session.get(UserRow, user_id)
            before = row.active
            row.active = active
            session.add(row)
            self._audit(
                session,
                actor,
                "user.active",
                "user",
                user_id,
                before={"user": row.name, "active": before},
                after={"user": row.name, "active": active},
            )

        self._write(run)
