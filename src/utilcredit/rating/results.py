"""What an evaluation returns: the level, every clause's result, and the evidence behind it.

Plain frozen dataclasses (no I/O, no policy text) so a batch runner can store them and an
explanation can be rebuilt from them with the policy. Evidence keeps the date each record counts
at, so the date of the next level change can be computed later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from utilcredit.policies.model.levels import Level


class ClauseStatus(StrEnum):
    """Requirements (green, blue) hold or fail; triggers (yellow, red, black) fire or stay clear.

    ``unknown``: the data needed is missing (e.g. no credit report on file). An unknown
    requirement does not hold; an unknown trigger does not fire. The explanation says why.
    """

    HELD = "held"
    FAILED = "failed"
    FIRED = "fired"
    CLEAR = "clear"
    UNKNOWN = "unknown"


class EvidenceKind(StrEnum):
    BILL = "bill"
    INCIDENT = "incident"
    REPORT = "report"
    ACCOUNT = "account"
    COMMITMENT = "commitment"
    APPLICATION = "application"  # a fact of a credit-based application (address, zone)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One record behind a result; ``ref`` is a bill_no, incident_no, report source or account."""

    kind: EvidenceKind
    ref: str
    # The date the record counts at: due date, occurred_on, issued_on or opened_on.
    on: dt.date | None
    detail: str = ""  # short facts shown to people, e.g. "窃水 金额 9999.99"


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """Result of one (possibly composite) test: truth is None when it cannot be decided."""

    test_type: str
    truth: bool | None
    value: int | None = None  # the measure: a count, or arrears months
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None  # why unknown, or a note on the measure (Chinese)
    parts: tuple[TestOutcome, ...] = ()  # of any_of / all_of


@dataclass(frozen=True, slots=True)
class ClauseResult:
    clause_id: str
    level: Level
    status: ClauseStatus
    outcome: TestOutcome

    @property
    def value(self) -> int | None:
        return self.outcome.value

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return self.outcome.evidence


@dataclass(frozen=True, slots=True)
class RequirementResult:
    requirement_id: str
    status: ClauseStatus
    outcome: TestOutcome


@dataclass(frozen=True, slots=True)
class DesignationResult:
    """Whether a named status (e.g. 守信主体) holds; unknown when a requirement is unknown."""

    key: str
    status: ClauseStatus
    requirements: tuple[RequirementResult, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    subject_code: str
    policy_key: str
    policy_version: str
    as_of: dt.date
    level: Level
    decided_by: tuple[str, ...]  # clause ids that decided the level
    via_fallback: bool  # nothing fired and the trustworthy criteria failed
    clauses: tuple[ClauseResult, ...]
    designations: tuple[DesignationResult, ...] = ()

    def _ids_with(self, status: ClauseStatus) -> tuple[str, ...]:
        return tuple(result.clause_id for result in self.clauses if result.status == status)

    @property
    def fired(self) -> tuple[str, ...]:
        return self._ids_with(ClauseStatus.FIRED)

    @property
    def failed(self) -> tuple[str, ...]:
        return self._ids_with(ClauseStatus.FAILED)

    @property
    def unknown(self) -> tuple[str, ...]:
        return self._ids_with(ClauseStatus.UNKNOWN)

    def result(self, clause_id: str) -> ClauseResult:
        for result in self.clauses:
            if result.clause_id == clause_id:
                return result
        raise KeyError(clause_id)
