"""Clauses, designations and the policy: one version of one city's rating rules (SPEC 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self, overload

from pydantic import Field, model_validator

from utilcredit.customers.model import Utility
from utilcredit.policies.model.base import Frozen
from utilcredit.policies.model.conditions import REPORT_TEST_TYPES, AllOfTest, AnyOfTest, ClauseTest
from utilcredit.policies.model.credit_application import CreditApplicationRules, EligibilityTest
from utilcredit.policies.model.dishonesty import DishonestyRules
from utilcredit.policies.model.levels import LEVELS_WORST_FIRST, Level, level_of_clause_id
from utilcredit.policies.model.measures import Measure
from utilcredit.policies.model.notices import NoticeRules


@overload
def iter_tests(test: ClauseTest) -> list[ClauseTest]: ...
@overload
def iter_tests(test: EligibilityTest) -> list[EligibilityTest]: ...
def iter_tests(test: EligibilityTest) -> list[Any]:
    """The test and, for and/or combinations, all nested parts (depth first)."""
    found: list[Any] = [test]
    if isinstance(test, AnyOfTest | AllOfTest):
        for part in test.tests:
            found.extend(iter_tests(part))
    return found


class Clause(Frozen):
    """One numbered criterion of the seed (e.g. ``R3``) with its published text and its test."""

    id: str = Field(pattern=r"^[GBYRK][1-9][0-9]*$")
    text: str = Field(min_length=1, description="Chinese text exactly as published in the seed")
    seed_ref: str | None = Field(default=None, description="where the text comes from")
    interpretation: str | None = Field(default=None, description="how the engine reads the text")
    test: ClauseTest

    @property
    def level(self) -> Level:
        return level_of_clause_id(self.id)


class Requirement(Frozen):
    """One condition of a designation (all must hold)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    text: str = Field(min_length=1)
    interpretation: str | None = None
    test: ClauseTest


class Designation(Frozen):
    """A named status beside the colour levels, e.g. 守信主体 (trustworthy subject, SPEC 2.6).

    Holds when all requirements hold. ``not_encoded`` lists conditions of the seed that need data
    the credit file does not carry (e.g. a signed commitment); they are shown, never guessed.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    seed_ref: str | None = None
    interpretation: str | None = None
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    not_encoded: tuple[str, ...] = ()


class Policy(Frozen):
    """One version of one city's rating rules (SPEC 3)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]*$")
    effective_from: dt.date
    utility: Utility
    issuer: str | None = Field(default=None, description="issuing body and document number")
    seed: str | None = Field(default=None, description="seed document the rules come from")
    report_sources: tuple[str, ...] = Field(
        default=(), description="public credit report sources trusted by report clauses"
    )
    fallback_level: Level
    levels: tuple[Level, ...] = Field(min_length=1)
    notes: tuple[str, ...] = Field(default=(), description="policy-wide interpretations")
    clauses: tuple[Clause, ...] = Field(min_length=1)
    designations: tuple[Designation, ...] = ()
    dishonesty: DishonestyRules | None = None
    credit_application: CreditApplicationRules | None = None
    measures: tuple[Measure, ...] = ()
    notices: NoticeRules | None = None

    @model_validator(mode="after")
    def _measures_name_known_statuses(self) -> Self:
        keys = {d.key for d in self.designations}
        for measure in self.measures:
            for level in measure.levels:
                if level not in self.levels:
                    raise ValueError(f"measure {measure.key}: level {level} is not listed")
            for key in measure.designations:
                if key not in keys:
                    raise ValueError(f"measure {measure.key}: no designation {key}")
        if len({m.key for m in self.measures}) != len(self.measures):
            raise ValueError("a measure key is used twice")
        return self

    @model_validator(mode="after")
    def _levels_consistent(self) -> Self:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("levels are listed twice")
        if self.fallback_level not in self.levels:
            raise ValueError(f"fallback level {self.fallback_level} is not one of the levels")
        for clause in self.clauses:
            if clause.level not in self.levels:
                raise ValueError(f"clause {clause.id} belongs to level {clause.level}, not listed")
        return self

    @model_validator(mode="after")
    def _clause_ids_unique(self) -> Self:
        seen: set[str] = set()
        for clause in self.clauses:
            if clause.id in seen:
                raise ValueError(f"clause id {clause.id} is used twice")
            seen.add(clause.id)
        return self

    @model_validator(mode="after")
    def _report_sources_given(self) -> Self:
        tests: list[EligibilityTest] = [t for c in self.clauses for t in iter_tests(c.test)]
        tests += [t for d in self.designations for r in d.requirements for t in iter_tests(r.test)]
        if self.credit_application is not None:
            tests += [t for r in self.credit_application.requirements for t in iter_tests(r.test)]
        if (
            any(t.type in REPORT_TEST_TYPES | {"report_recent"} for t in tests)
            and not self.report_sources
        ):
            raise ValueError("report clauses need report_sources (which reports are trusted)")
        return self

    @property
    def levels_worst_first(self) -> tuple[Level, ...]:
        return tuple(level for level in LEVELS_WORST_FIRST if level in self.levels)

    def clauses_of(self, level: Level) -> tuple[Clause, ...]:
        return tuple(clause for clause in self.clauses if clause.level == level)

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)
