"""The compiled policy: its query, and the decoder of the query's rows into ratings.

:class:`CompiledPolicy` holds the statement :func:`~utilcredit.rating.sql.compiler.compile_policy`
builds and turns each result row (``subject_id, level, statuses, measures, evidence,
designations, code``) into a :class:`~utilcredit.rating.batch.SubjectRating` or a stored row.
The query builds the stored columns itself (a status letter per clause, the measures comma
separated, the designation letters), so a row without evidence (most of them) is stored as the
query gives it, without a Python object of its own. The clause summaries are decoded once per
distinct ``statuses, measures``; the evidence column (per leaf test under a fired clause, its
truth and unordered items, separated by :data:`FIELD`, :data:`ITEM`, :data:`PART` and
:data:`ENTRY`; NULL where there is none) is parsed, its items ordered and merged as the reference
evaluator shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from utilcredit.policies.model.conditions import (
    AllAccountsPrepaidTest,
    AllOfTest,
    AnyOfTest,
    ArrearsMonthsTest,
    ClauseTest,
    CommitmentGivenTest,
    IncidentCountTest,
    LatePaymentCountTest,
    LeafTest,
    NoArrearsTest,
    NoOverdueInWindowTest,
    NotOnSeriousListTest,
    ReportNoDishonestyTest,
    ReportRatingTest,
)
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import (
    STATUS_LETTER,
    ClauseSummary,
    DesignationSummary,
    StoredRow,
    SubjectRating,
    evidence_text,
)
from utilcredit.rating.results import ClauseStatus
from utilcredit.rating.sql.plan import Plan

# Separators inside the evidence column: references never contain these control characters.
FIELD = "\x1f"  # between the fields of one item
ITEM = "\x1e"  # between the items of one leaf
PART = "\x1d"  # between leaf number, truth and items
ENTRY = "\x1c"  # between leaves

STORED_COLUMNS = 6  # the leading columns of a result row that a run stores as they are

_LEVEL_BY_VALUE = {level.value: level for level in Level}
_STATUS_BY_LETTER = {letter: status for status, letter in STATUS_LETTER.items()}


@dataclass
class CompiledPolicy:
    """The query for one policy and date, and the decoder of its rows into :class:`SubjectRating`."""

    policy: Policy
    as_of: dt.date
    statement: Select[Any]
    _plan: Plan
    _cache: dict[str, tuple[ClauseSummary, ...]] = field(default_factory=dict)
    _fired: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _designations: dict[str | None, tuple[DesignationSummary, ...]] = field(default_factory=dict)

    def statement_for(self, *, stored: bool) -> Select[Any]:
        """The statement whose rows :meth:`converted` takes; ``stored``: without its last
        column (the subject's code), rows as a run stores them before the evidence is turned
        into JSON (:meth:`stored_rows`)."""
        if not stored:
            return self.statement
        return self.statement.with_only_columns(*self.statement.selected_columns[:STORED_COLUMNS])

    def converted(self, rows: list[Any], *, stored: bool) -> list[Any]:
        """Rows of :meth:`statement_for` as stored rows or as ratings."""
        return self.stored_rows(rows) if stored else [self.decode(row) for row in rows]

    def decode(self, row: Sequence[Any]) -> SubjectRating:
        """One result row (``subject_id, level, statuses, measures, evidence, designations,
        code``) as a rating."""
        subject_id, level, _, _, _, designations, code = row[:7]
        return SubjectRating(
            code,
            _LEVEL_BY_VALUE[level],
            self._summaries(row),
            self._designation_summaries(designations),
            subject_id,
        )

    def stored(self, row: Sequence[Any]) -> StoredRow:
        """One result row as a run stores it: equal to ``encode(decode(row))`` with the id."""
        subject_id, level, statuses, measures, evidence, designations = row[:STORED_COLUMNS]
        if evidence is None:
            return (subject_id, level, statuses, measures, None, designations)
        shown = {
            self.policy.clauses[index].id: refs
            for index, refs in self._fired_evidence(statuses, evidence)
            if refs
        }
        return (subject_id, level, statuses, measures, evidence_text(shown), designations)

    def stored_rows(self, rows: list[tuple[Any, ...]]) -> list[StoredRow]:
        """Rows of ``statement_for(stored=True)`` as a run stores them: those without evidence (most)
        as they are, the others with their evidence as JSON."""
        return [row if row[4] is None else self.stored(row) for row in rows]

    def _summaries(self, row: Sequence[Any]) -> tuple[ClauseSummary, ...]:
        """The clause summaries of a row, with the evidence refs of fired clauses."""
        summaries = self._clauses(row[2], row[3])
        if row[4] is None:
            return summaries
        result = list(summaries)
        for index, refs in self._fired_evidence(row[2], row[4]):
            summary = result[index]
            result[index] = ClauseSummary(
                summary.clause_id, summary.level, summary.status, summary.value, tuple(refs)
            )
        return tuple(result)

    def _designation_summaries(self, letters: str | None) -> tuple[DesignationSummary, ...]:
        """The designations' summaries of their letters (few distinct values: cached)."""
        found = self._designations.get(letters)
        if found is None:
            found = tuple(
                DesignationSummary(designation.key, _STATUS_BY_LETTER[letter])
                for designation, letter in zip(self.policy.designations, letters or "", strict=True)
            )
            self._designations[letters] = found
        return found

    def _clauses(self, statuses: str, measures: str) -> tuple[ClauseSummary, ...]:
        """The clause summaries (without evidence) of a row, cached (the statuses have a letter
        per clause, so ``statuses + measures`` is unambiguous)."""
        key = statuses + measures
        cached = self._cache.get(key)
        if cached is None:
            cached = tuple(
                ClauseSummary(
                    clause.id,
                    clause.level,
                    _STATUS_BY_LETTER[letter],
                    int(value) if value else None,
                )
                for clause, letter, value in zip(
                    self.policy.clauses, statuses, measures.split(","), strict=True
                )
            )
            if len(self._cache) < 200_000:
                self._cache[key] = cached
        return cached

    def _fired_clauses(self, statuses: str) -> tuple[int, ...]:
        """The indexes of the fired clauses (those that carry evidence), cached."""
        found = self._fired.get(statuses)
        if found is None:
            letter = STATUS_LETTER[ClauseStatus.FIRED]
            found = tuple(i for i, status in enumerate(statuses) if status == letter)
            self._fired[statuses] = found
        return found

    def _fired_evidence(self, statuses: str, evidence: str) -> Iterator[tuple[int, list[str]]]:
        """``(clause index, evidence refs)`` of each fired clause, the refs in the reference
        evaluator's order."""
        leaves = _parse_evidence(evidence)
        for index in self._fired_clauses(statuses):
            test = self.policy.clauses[index].test
            yield index, [ref for _, ref in _clause_evidence(test, self._plan, leaves)]


def _parse_evidence(text: str) -> dict[int, tuple[str, list[str]]]:
    """``{leaf number: (truth, raw items)}`` from the evidence column."""
    parsed: dict[int, tuple[str, list[str]]] = {}
    for entry in text.split(ENTRY):
        if not entry:
            continue
        number, truth, items = entry.split(PART)
        parsed[int(number)] = (truth, [item for item in items.split(ITEM) if item])
    return parsed


Keyed = list[tuple[tuple[str, str], str]]  # ((dedupe tag, ref), ref)


def _leaf_evidence(test: LeafTest, items: list[str]) -> Keyed:
    """A leaf's evidence refs in the reference evaluator's order, each with its identity key."""
    fields = [item.split(FIELD) for item in items]
    match test:
        case IncidentCountTest():
            # matched first, then undecided; each in (occurred_on, id) order
            fields.sort(key=lambda f: (f[0], f[1], int(f[2])))
            return [(("I", f[3]), f[3]) for f in fields]
        case LatePaymentCountTest():
            # sorted by (date, account no); bills and reported incidents never tie on both
            fields.sort(key=lambda f: (f[0], f[1], f[2], int(f[3])))
            return [(("L" + f[2], f[4]), f[4]) for f in fields]
        case ArrearsMonthsTest() | NoArrearsTest():
            fields.sort(key=lambda f: (f[0], f[1]))
            return [(("U", f[1]), f[1]) for f in fields]
        case NoOverdueInWindowTest():
            return []  # true only when nothing counts: a true leaf has no evidence
        case AllAccountsPrepaidTest():
            fields.sort(key=lambda f: int(f[0]))
            postpaid = [f for f in fields if f[1] == "1"]
            return [(("A", f[2]), f[2]) for f in (postpaid or fields)]
        case ReportNoDishonestyTest() | NotOnSeriousListTest() | ReportRatingTest():
            fields.sort(key=lambda f: int(f[0]))
            return [((test.type, f[1]), f[1]) for f in fields]
        case CommitmentGivenTest():
            # made_on, then id: the order the repository loads them in
            fields.sort(key=lambda f: (f[0], int(f[1])))
            return [(("C", f[2]), f[2]) for f in fields]


def _truth(test: ClauseTest, plan: Plan, leaves: dict[int, tuple[str, list[str]]]) -> str:
    if isinstance(test, AnyOfTest | AllOfTest):
        truths = [_truth(part, plan, leaves) for part in test.tests]
        if isinstance(test, AnyOfTest):
            return "1" if "1" in truths else ("?" if "?" in truths else "0")
        return "0" if "0" in truths else ("?" if "?" in truths else "1")
    return leaves[plan.of(test).number][0]


def _clause_evidence(
    test: ClauseTest, plan: Plan, leaves: dict[int, tuple[str, list[str]]]
) -> Keyed:
    """Evidence of a true test, as the evaluator shows it (any_of: its true parts; all_of: all)."""
    if isinstance(test, AnyOfTest | AllOfTest):
        shown = [
            part
            for part in test.tests
            if isinstance(test, AllOfTest) or _truth(part, plan, leaves) == "1"
        ]
        merged: dict[tuple[str, str], str] = {}
        for part in shown:
            for key, ref in _clause_evidence(part, plan, leaves):
                merged.setdefault(key, ref)
        return list(merged.items())
    leaf = plan.of(test)
    return _leaf_evidence(leaf.test, leaves[leaf.number][1])
