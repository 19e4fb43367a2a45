"""Lists as a reader sees them: the customer list with saved levels (filters, sorting, count,
export), the red/black list, a rating run's subjects and the comparison of two runs.

The level shown is the subject's level in the current (latest complete) run of each policy of
the utilities the reader sees — the saved rating, not a live one, and without manual overrides:
the only level a list can filter and sort on in the database. The credit file shows the live
level with its overrides. Tenancy and masking are applied here: a reader sees subjects, runs
and levels of their own utilities only, and natural persons' ID numbers and names masked.
Each takes the caller's ``Connection``; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.creditfile.service import audit_personal_number_search
from utilcredit.customers import pages
from utilcredit.customers.model import Utility
from utilcredit.customers.pages import SubjectHit
from utilcredit.errors import NotFoundError
from utilcredit.identifiers import MaskingRule, mask_id_number, mask_name
from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs import reads as runs
from utilcredit.rating.runs.model import CurrentDesignation, RunHeader, RunStatus, Transitions
from utilcredit.rating.runs.repository import listing, run_headers
from utilcredit.rating.runs.repository.listing import (
    ListedSubject,
    RunSubject,
    SortKey,
    SubjectFilter,
)

__all__ = ["ListedSubject", "RunSubject", "SortKey"]

Shown = TypeVar("Shown", ListedSubject, RunSubject)
RED_BLACK = frozenset({Level.RED.value, Level.BLACK.value})


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the reader asked for: a text (code, name, account number) and filters."""

    text: str = ""
    levels: frozenset[str] = frozenset()
    area: str | None = None
    utility: Utility | None = None
    kind: str | None = None
    sort: SortKey = SortKey.CODE


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a list and how many there are in all."""

    items: list[ListedSubject]
    total: int
    offset: int
    limit: int
    runs: list[RunHeader] = field(default_factory=list)  # whose levels the list shows
    # per subject id, its designations (held or unknown) in those runs
    designations: dict[int, list[CurrentDesignation]] = field(default_factory=dict)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def _utilities(principal: Principal, wanted: Utility | None) -> set[str]:
    """The utilities the list covers: the reader's, or the one asked for if it is one of
    them (another utility's subjects are never listed, whatever the address says)."""
    readable = {u.value for u in principal.readable_utilities}
    return readable if wanted is None else readable & {wanted.value}


def _scope(
    connection: Connection, principal: Principal, query: ListQuery
) -> tuple[set[str], list[RunHeader], SubjectFilter]:
    require(principal, Permission.READ, entity="subject")
    utilities = _utilities(principal, query.utility)
    current = runs_current(connection, utilities)
    match = pages.subject_text_match(
        query.text,
        {Utility(u) for u in utilities},
        personal_partial=principal.can(Permission.VIEW_UNMASKED),
    )
    return utilities, current, SubjectFilter(match, query.levels, query.area, query.kind)


def runs_current(connection: Connection, utilities: set[str]) -> list[RunHeader]:
    """The current run of every policy of ``utilities``, by policy key."""
    return run_headers.current_runs(connection, utilities) if utilities else []


def list_subjects(
    connection: Connection,
    principal: Principal,
    query: ListQuery,
    *,
    offset: int,
    limit: int,
    rule: MaskingRule,
) -> Listing:
    utilities, current, chosen = _scope(connection, principal, query)
    if not utilities:
        return Listing([], 0, offset, limit)
    found, total = listing.list_subjects(
        connection, current, utilities, chosen, query.sort, offset=offset, limit=limit
    )
    if query.text.strip() and not principal.can(Permission.VIEW_UNMASKED):
        hits = [SubjectHit(s.id, s.code, s.kind, s.name, s.area, s.utilities) for s in found]
        audit_personal_number_search(connection, principal, query.text.strip(), hits, rule)
    designations = runs.current_designations(connection, [s.id for s in found], utilities)
    return Listing([mask(s, rule) for s in found], total, offset, limit, current, designations)


def export_subjects(
    connection: Connection, principal: Principal, query: ListQuery, *, rule: MaskingRule
) -> tuple[list[RunHeader], Iterator[ListedSubject]]:
    """Every subject of the list (masked as the public site masks them), read as it is
    written; with the runs whose levels it shows."""
    utilities, current, chosen = _scope(connection, principal, query)
    if not utilities:
        return [], iter(())
    rows = listing.iter_subjects(connection, current, utilities, chosen, query.sort)
    return current, (mask(s, rule) for s in rows)


def red_black(query: ListQuery) -> ListQuery:
    """The red/black list's query: red and black only (one of them if the reader chose it)."""
    levels = query.levels & RED_BLACK or RED_BLACK
    return replace(query, levels=levels)


def area_choices(connection: Connection, principal: Principal) -> list[str]:
    require(principal, Permission.READ, entity="subject")
    return listing.list_areas(connection, {u.value for u in principal.readable_utilities})


def mask(subject: Shown, rule: MaskingRule) -> Shown:
    """A natural person's ID number and name masked (SPEC 3.6); an organisation as it is."""
    if subject.kind != "natural":
        return subject
    return replace(subject, code=mask_id_number(subject.code, rule), name=mask_name(subject.name))


# ---- rating runs ---------------------------------------------------------------------------


def visible_run(connection: Connection, principal: Principal, run_id: int) -> RunHeader:
    """The run, if it is of a utility the reader sees; another utility's run is "not found"
    (audited), as in the API."""
    require(principal, Permission.READ, entity="rating_run")
    message = f"没有该评级运行：{run_id} / no rating run {run_id}"
    try:
        header = runs.get_run(connection, run_id)
    except NotFoundError:
        raise NotFoundError(message) from None
    if not principal.may_read_utility(Utility(header.utility)):
        raise NotVisibleError(message, entity="rating_run", entity_key=str(run_id))
    return header


def run_subjects(
    connection: Connection,
    principal: Principal,
    run_id: int,
    level: str | None,
    *,
    offset: int,
    limit: int,
    rule: MaskingRule,
) -> tuple[RunHeader, list[RunSubject], int]:
    header = visible_run(connection, principal, run_id)
    found, total = listing.run_subjects(connection, run_id, level, offset=offset, limit=limit)
    return header, [mask(s, rule) for s in found], total


def compare_runs(
    connection: Connection, principal: Principal, run_a: int, run_b: int
) -> tuple[RunHeader, RunHeader, Transitions]:
    """The two runs and their from-level × to-level counts."""
    first = visible_run(connection, principal, run_a)
    second = visible_run(connection, principal, run_b)
    return first, second, runs.transitions(connection, run_a, run_b)


def moved_subjects(
    connection: Connection,
    principal: Principal,
    run_a: int,
    run_b: int,
    before: str | None,
    after: str | None,
    *,
    offset: int,
    limit: int,
    rule: MaskingRule,
) -> tuple[list[RunSubject], int]:
    visible_run(connection, principal, run_a)
    visible_run(connection, principal, run_b)
    found, total = listing.moved_subjects(
        connection, run_a, run_b, before, after, offset=offset, limit=limit
    )
    return [mask(s, rule) for s in found], total


def previous_run(connection: Connection, header: RunHeader) -> RunHeader | None:
    """What a run is compared with by default: its base run, else the latest earlier complete
    run of its policy."""
    if header.base_run_id is not None:
        return run_headers.get_run(connection, header.base_run_id)
    earlier = [
        h
        for h in run_headers.list_runs(connection, header.policy_key, limit=50)
        if h.id < header.id and h.status == RunStatus.COMPLETE
    ]
    return earlier[0] if earlier else None
