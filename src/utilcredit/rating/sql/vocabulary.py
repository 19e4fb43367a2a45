"""What the compiled query needs to know about the store before it is compiled.

:class:`Vocabulary` holds the distinct values of the store that the policy's filters are decided
on in Python, so that the query needs no regular expressions or Unicode case folding, which SQLite
lacks: the distinct asset classes of incidents (classified with
:func:`~utilcredit.policies.model.conditions.parse_asset_class`) and the distinct credit report
sources (matched against the policy's trusted sources with ``casefold``). :func:`vocabulary_queries` are
the cheap queries that answer it, :func:`read_vocabulary` runs them through any engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from utilcredit.customers.tables import CreditReportRow, IncidentRow
from utilcredit.policies.model.conditions import REPORT_TEST_TYPES, ClauseTest, IncidentCountTest
from utilcredit.policies.model.policy import Policy, iter_tests

_I = IncidentRow.__table__
_R = CreditReportRow.__table__


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Distinct values of the store that the policy's filters are decided on in Python."""

    asset_classes: frozenset[str] = frozenset()
    report_sources: frozenset[str] = frozenset()


def rated_tests(policy: Policy) -> list[ClauseTest]:
    """Every test a batch run decides: those of the clauses and of the designations'
    requirements, composites and their parts."""
    tops = [clause.test for clause in policy.clauses]
    tops += [r.test for designation in policy.designations for r in designation.requirements]
    return [test for top in tops for test in iter_tests(top)]


def _asset_kinds(policy: Policy) -> set[str]:
    return {
        kind.value
        for test in rated_tests(policy)
        if isinstance(test, IncidentCountTest) and test.asset_class is not None
        for kind in test.kinds
    }


def _uses_reports(policy: Policy) -> bool:
    return any(test.type in REPORT_TEST_TYPES for test in rated_tests(policy))


def vocabulary_queries(policy: Policy) -> dict[str, Select[Any]]:
    """The (cheap) queries whose answers make the :class:`Vocabulary` for ``policy``."""
    queries: dict[str, Select[Any]] = {}
    kinds = _asset_kinds(policy)
    if kinds:
        queries["asset_classes"] = (
            select(_I.c.asset_class)
            .where(_I.c.kind.in_(sorted(kinds)), _I.c.asset_class.is_not(None))
            .distinct()
        )
    if _uses_reports(policy):
        queries["report_sources"] = select(_R.c.source).distinct()
    return queries


def read_vocabulary(
    policy: Policy, run: Callable[[Select[Any]], Iterable[Sequence[Any]]]
) -> Vocabulary:
    """Run :func:`vocabulary_queries` through ``run`` (any engine's executor)."""
    answers = {
        name: frozenset(str(row[0]) for row in run(query))
        for name, query in vocabulary_queries(policy).items()
    }
    return Vocabulary(
        answers.get("asset_classes", frozenset()), answers.get("report_sources", frozenset())
    )
