"""A dealer group: make a database head office, join a store to it, and say how
each replication link is doing (README, "A dealer group"; ``desk.store.group``).

Each write is one transaction with its audit event, on the database it changes:
head office's site list and publication together; a store's identity, the
removal of its own standard rows and the guard trigger together. The store's
subscription comes last, on its own (PostgreSQL cannot create one inside a
transaction): if it fails, ``desk group join`` run again creates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from desk.domain import group
from desk.i18n import N_
from desk.services.context import Service, ServiceContext
from desk.store import audit
from desk.store import group as store_group
from desk.store.db import current_revision

#: who a group command's audit event names (no one signs in to a command)
ACTOR = "desk group"


@dataclass(frozen=True)
class Joined:
    link: str
    #: the store's own rows of the standard that head office's replaced
    replaced: int


@dataclass(frozen=True)
class GroupStatus:
    role: str  # "hq", "store" or "" (not in a group)
    site: str
    links: list[store_group.Link] = field(default_factory=list)


class GroupService(Service):
    """The group use cases on this database (head office's or a store's)."""

    def _audited(self, action: str, after: dict, work) -> None:
        """``work(connection)`` and its audit event, one transaction on this database."""

        def run(session) -> None:
            work(session.connection())
            audit.record(
                session,
                at=self.now(),
                user_id=None,
                user_name=ACTOR,
                action=action,
                entity="site",
                entity_id=None,
                after=after,
            )

        self._write(run)

    def _instant(self) -> datetime:
        return self.now().astimezone(UTC)

    def role(self) -> tuple[str, str]:
        """(role, site code) of this database; ("", "") outside a group."""
        if self.ctx.engine.dialect.name != "postgresql":
            return "", ""
        with self.ctx.engine.connect() as conn:
            return store_group.meta(conn, "group_role") or "", store_group.meta(conn, "group_site") or ""

    def _same_schema(self, hq: ServiceContext) -> None:
        """Refuse to link databases at different schema versions: a join opens
        head office without migrating it (the README's order: stores first)."""
        ours, theirs = current_revision(self.ctx.engine), current_revision(hq.engine)
        if ours != theirs:
            raise store_group.GroupRefused(
                N_(
                    "Head office's database is at schema {hq}, this store's at {store}: bring them to the same "
                    "version first (every store, then head office: desk db upgrade)"
                ),
                {"hq": theirs or "-", "store": ours or "-"},
            )

    def init_head_office(self, site: group.Site) -> None:
        """Make this database the group's head office, publishing the standard.
        Run again after a migration that changed the standard's tables."""
        store_group.check_node(self.ctx.engine)
        role, code = self.role()
        if role == group.STORE_ROLE:
            raise store_group.GroupRefused(
                N_("This database is store {code} of a group: it cannot be head office"), {"code": code}
            )
        if role == group.HQ_ROLE and code != site.code:
            raise store_group.GroupRefused(N_("This database is already head office {code}"), {"code": code})
        hq = group.Site(site.code, site.name, site.address, site.tax_number, site.zone, role=group.HQ_ROLE)

        def work(conn) -> None:
            store_group.save_site(conn, hq, link="", at=self._instant())
            store_group.set_meta(conn, "group_role", group.HQ_ROLE)
            store_group.set_meta(conn, "group_site", hq.code)
            store_group.publish_standard(conn)

        self._audited("group.init", {"site": hq.code, "zone": hq.zone}, work)

    def join(self, site: group.Site, hq: ServiceContext, *, hq_url: str, replace_standard: bool = False) -> Joined:
        """Join this store to the group whose head office is ``hq`` (its
        database's context) at ``hq_url`` (as this store's server reaches it)."""
        store_group.check_node(self.ctx.engine)
        store_group.check_node(hq.engine)
        self._same_schema(hq)
        hq_role, _hq_code = GroupService(hq).role()
        if hq_role != group.HQ_ROLE:
            raise store_group.GroupRefused(
                N_("{url} is not a group's head office: run desk group init there first"),
                {"url": store_group.shown_url(hq_url)},
            )
        role, code = self.role()
        if role == group.HQ_ROLE:
            raise store_group.GroupRefused(
                N_("This database is head office {code}: a store joins from its own database"), {"code": code}
            )
        if role == group.STORE_ROLE and code != site.code:
            raise store_group.GroupRefused(N_("This database already joined the group as store {code}"), {"code": code})
        with self.ctx.engine.connect() as conn:
            link = group.link_name(site.code, store_group.meta(conn, "shop_id") or "")
            own = 0 if role else store_group.local_standard_rows(conn)
        with hq.engine.connect() as conn:
            taken = store_group.site_row(conn, site.code)
        if taken is not None and taken["link"] != link:
            raise store_group.GroupRefused(
                N_("The site code {code} is already {name} in the group"), {"code": site.code, "name": taken["name"]}
            )
        if own and not replace_standard:
            raise store_group.GroupRefused(
                N_(
                    "This store has {count} rows of its own in the standard (checklist changes, canned jobs, time "
                    "standards, pricing rules); head office's standard would replace them. Run again with "
                    "--replace-standard to go on"
                ),
                {"count": own},
            )
        after = {"site": site.code, "zone": site.zone, "link": link}
        GroupService(hq)._audited(
            "group.join", after, lambda conn: store_group.save_site(conn, site, link=link, at=self._instant())
        )

        def work(conn) -> None:
            if not role:  # before the guard: the last writes of the store's own standard
                store_group.drop_local_standard(conn)
            store_group.set_meta(conn, "group_role", group.STORE_ROLE)
            store_group.set_meta(conn, "group_site", site.code)
            store_group.set_meta(conn, "group_hq", store_group.shown_url(hq_url))
            store_group.guard_standard(conn)

        self._audited("group.join", {**after, "replaced": own}, work)
        store_group.subscribe(self.ctx.engine, link, hq_url)
        return Joined(link=link, replaced=own)

    def reseed(self, hq: ServiceContext, *, hq_url: str) -> str:
        """Copy the standard into this store afresh: after head office lost its
        slot (the store was away longer than ``max_slot_wal_keep_size`` allows),
        or whenever the store's copy is in doubt. The standard is head office's
        alone, so nothing of the store's is lost. Returns the link's name."""
        store_group.check_node(self.ctx.engine)
        store_group.check_node(hq.engine)
        self._same_schema(hq)
        role, code = self.role()
        if role != group.STORE_ROLE:
            raise store_group.GroupRefused(N_("Only a store of a group is re-seeded: this database is not one"))
        with self.ctx.engine.connect() as conn:
            link = group.link_name(code, store_group.meta(conn, "shop_id") or "")
        store_group.unsubscribe(self.ctx.engine, link)
        store_group.drop_slot(hq.engine, link)
        self._audited(
            "group.reseed",
            {"site": code, "link": link},
            lambda conn: store_group.drop_local_standard(conn, guarded=True),
        )
        store_group.subscribe(self.ctx.engine, link, hq_url)
        return link

    def status(self) -> GroupStatus:
        role, code = self.role()
        if not role:
            return GroupStatus("", "")
        with self.ctx.engine.connect() as conn:
            links = store_group.hq_links(conn) if role == group.HQ_ROLE else store_group.store_links(conn, code)
        return GroupStatus(role, code, links)
