"""The one door through which the API and the console read rating runs and level history.

Rating runs, level history and next-change dates are built in ``utilcredit.rating.runs``
(another work package). Until it lands this adapter answers with empty lists and ``None``, so
the pages and endpoints work and say "no runs yet". To connect it, implement
:class:`RunsSource` over that package and return it from :func:`runs_source` (one place).
"""

from __future__ import annotations

import datetime as dt
import importlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from sqlalchemy import Connection, Engine, inspect

from utilcredit.customers.model import Utility


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    policy_key: str
    policy_version: str
    as_of: dt.date
    started_at: dt.datetime | None
    status: str
    subjects: int
    utility: str
    level_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AreaCount:
    area: str | None
    level: str
    count: int


@dataclass(frozen=True, slots=True)
class Transition:
    from_level: str | None
    to_level: str
    count: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    run_id: int
    policy_key: str
    as_of: dt.date
    level: str
    fired: tuple[str, ...] = ()


class RunsSource(Protocol):
    def list_runs(
        self, connection: Connection, utilities: frozenset[Utility], offset: int, limit: int
    ) -> list[RunSummary]: ...

    def get_run(self, connection: Connection, run_id: int) -> RunSummary | None: ...

    def area_counts(self, connection: Connection, run_id: int) -> list[AreaCount]: ...

    def transitions(self, connection: Connection, run_id: int) -> list[Transition]:
        """Level changes from the previous run of the same policy to this one."""
        ...

    def history(
        self, connection: Connection, subject_code: str, policy_key: str, limit: int
    ) -> list[HistoryEntry]: ...

    def next_change(
        self, connection: Connection, subject_code: str, policy_key: str, as_of: dt.date
    ) -> dt.date | None: ...


class NoRuns:
    """Used while the rating-runs package (or its tables) is absent."""

    def list_runs(
        self, connection: Connection, utilities: frozenset[Utility], offset: int, limit: int
    ) -> list[RunSummary]:
        return []

    def get_run(self, connection: Connection, run_id: int) -> RunSummary | None:
        return None

    def area_counts(self, connection: Connection, run_id: int) -> list[AreaCount]:
        return []

    def transitions(self, connection: Connection, run_id: int) -> list[Transition]:
        return []

    def history(
        self, connection: Connection, subject_code: str, policy_key: str, limit: int
    ) -> list[HistoryEntry]:
        return []

    def next_change(
        self, connection: Connection, subject_code: str, policy_key: str, as_of: dt.date
    ) -> dt.date | None:
        return None


RUNS_MODULE = "utilcredit.api.runs_connected"  # imports utilcredit.rating.runs
RUNS_TABLE = "rating_runs"


@cache
def _factory() -> Callable[[], RunsSource] | None:
    """The package's ``console_source`` (looked up once per process: failed imports are slow)."""
    try:
        module = importlib.import_module(RUNS_MODULE)
    except ImportError:
        return None
    factory: Callable[[], RunsSource] | None = getattr(module, "console_source", None)
    return factory


def runs_source(connection: Connection) -> RunsSource:
    """The rating-runs package's source when it and its tables exist, else :class:`NoRuns`.

    :mod:`utilcredit.api.runs_connected` maps that package's repository to :class:`RunsSource`;
    if it cannot be imported (package absent or changed) or the tables are not migrated, the
    empty source is used.
    """
    factory = _factory()
    if factory is None or not _has_runs_table(connection):
        return NoRuns()
    source: RunsSource = factory()
    return source


# Stores known to have the runs tables: once migrated they stay, so the check (a catalogue
# query) runs once per engine instead of on every rating request.
_migrated: weakref.WeakSet[Engine] = weakref.WeakSet()


def _has_runs_table(connection: Connection) -> bool:
    if connection.engine in _migrated:
        return True
    if not inspect(connection).has_table(RUNS_TABLE):
        return False
    _migrated.add(connection.engine)
    return True
