"""Queries and row <-> domain mapping, by table group. Plain functions taking
``session=`` (or ``connection=``); none of them commits: the service layer owns
the transaction. ``from desk.store import repo`` gives every function."""

from desk.store.repo.carryover import *  # noqa: F403
from desk.store.repo.clocking import *  # noqa: F403
from desk.store.repo.followup import *  # noqa: F403
from desk.store.repo.integrity import *  # noqa: F403
from desk.store.repo.kpi import *  # noqa: F403
from desk.store.repo.kpi_counts import *  # noqa: F403
from desk.store.repo.lines import *  # noqa: F403
from desk.store.repo.mapping import *  # noqa: F403
from desk.store.repo.payments import *  # noqa: F403
from desk.store.repo.people import *  # noqa: F403
from desk.store.repo.setup import *  # noqa: F403
from desk.store.repo.timeline import *  # noqa: F403
from desk.store.repo.visits import *  # noqa: F403
