"""The clause-boundary corpus (``clauses.yaml``) as case records, and the check of one outcome.

Every entry of the YAML file names a clause and two small credit files: ``fires``, the smallest
history on which the clause fires (a green or blue requirement: fails), and ``boundary``, a
history just past its boundary on which it does not (the trigger stays clear, the requirement
holds). An entry may name a designation's ``requirement`` instead (by its id): ``fires`` makes it
fail, ``boundary`` makes it hold; the SQL engines, which rate clauses only, rate it as a green
clause of :func:`requirement_probe`'s policy. An entry without a clause states only the level of
one ``file``. Each entry applies to the policies of its section; it expands into one
:class:`CorpusCase` per policy and side.

A credit file in the YAML lists only what its rule is about. It starts clean (see
:meth:`tests.unit.rating.rating_histories.History.clean`): one prepaid account ``ACC-1`` opened
2015-01-01 and a clean report from the policy's first trusted source issued 2026-01-01. Giving
``accounts`` or ``reports`` replaces these defaults; ``unpaid`` lists due dates of bills of
100.00 never paid, ``late`` due dates of bills of 100.00 paid in full the day after (one late
payment each, no arrears); ``bills`` and ``incidents`` spell records out (an incident's ``dated``
is one date or a list, one incident each; ``set_aside: true`` marks a record set aside by the
dishonesty-record register, record id 1); a report may carry a ``grade`` (A/B/C/D); ``commitments``
lists credit commitments to the utility (``made`` date, ``valid_until``, ``status`` with its
``status_on``, ``type``).

The expectations are written from the seed texts by hand, not derived from the policy files, so a
policy file that drifts from the published rule fails against every engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tests.unit.rating.rating_histories import ACCOUNT, OPENED, History
from utilcredit.customers.model import (
    CommitmentStatus,
    CreditFile,
    IncidentKind,
    PaymentMode,
    Severity,
)
from utilcredit.policies.loader import list_policies
from utilcredit.policies.model.levels import Level, level_of_clause_id
from utilcredit.policies.model.policy import Clause, Policy
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.results import ClauseStatus

CORPUS_FILE = Path(__file__).with_name("clauses.yaml")
Side = Literal["fires", "boundary", "file"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountSpec(_Strict):
    number: str = ACCOUNT
    mode: PaymentMode = PaymentMode.PREPAID
    opened: dt.date = OPENED


class BillSpec(_Strict):
    due: dt.date
    amount: Decimal = Decimal("100.00")
    paid: dict[dt.date, Decimal] = Field(default_factory=dict)  # payment date → amount
    account: str = ACCOUNT
    set_aside: bool = False


class IncidentSpec(_Strict):
    kind: IncidentKind
    # one incident per date (not ``on``: YAML 1.1 reads that key as the boolean true)
    dated: tuple[dt.date, ...] = Field(min_length=1)
    amount: Decimal | None = None
    asset_class: str | None = None
    severity: Severity | None = None
    account: str = ACCOUNT
    set_aside: bool = False

    @field_validator("dated", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, dt.date) else value


class ReportSpec(_Strict):
    issued: dt.date
    source: str | None = None  # None: the policy's first trusted source
    dishonest: bool = False
    serious: bool = False
    grade: str | None = None


class CommitmentSpec(_Strict):
    made: dt.date
    valid_until: dt.date | None = None
    status: CommitmentStatus = CommitmentStatus.IN_FORCE
    status_on: dt.date | None = None  # None: the made day
    type: str = "approval_substitute"


class FileSpec(_Strict):
    """One small credit file and, optionally, the level it must get."""

    level: Level | None = None
    accounts: tuple[AccountSpec, ...] | None = None  # None: the clean account
    reports: tuple[ReportSpec, ...] | None = None  # None: the clean trusted report
    bills: tuple[BillSpec, ...] = ()
    unpaid: tuple[dt.date, ...] = ()
    late: tuple[dt.date, ...] = ()
    incidents: tuple[IncidentSpec, ...] = ()
    commitments: tuple[CommitmentSpec, ...] = ()

    def credit_file(self, policy: Policy) -> CreditFile:
        source = policy.report_sources[0] if policy.report_sources else None
        history = History.clean(policy.utility, source)
        if self.accounts is not None:
            history.accounts = []
            for account in self.accounts:
                history.account(number=account.number, mode=account.mode, opened=account.opened)
        if self.reports is not None:
            history.without_reports()
            for report in self.reports:
                report_source = report.source or source
                assert report_source is not None, f"{policy.key} trusts no report source"
                history.report(
                    report_source,
                    report.issued,
                    dishonest=report.dishonest,
                    serious_list=report.serious,
                    rating=report.grade,
                )
        for bill in self.bills:
            history.bill(
                due=bill.due,
                amount=str(bill.amount),
                paid={day: str(amount) for day, amount in bill.paid.items()},
                account=bill.account,
                set_aside_by=SET_ASIDE_BY if bill.set_aside else None,
            )
        for due in self.unpaid:
            history.unpaid(due)
        history.late(*self.late)
        for incident in self.incidents:
            history.incident(
                incident.kind,
                *incident.dated,
                amount=None if incident.amount is None else str(incident.amount),
                asset_class=incident.asset_class,
                severity=incident.severity,
                account=incident.account,
                set_aside_by=SET_ASIDE_BY if incident.set_aside else None,
            )
        for commitment in self.commitments:
            history.commitment(
                commitment.made,
                valid_until=commitment.valid_until,
                status=commitment.status,
                status_on=commitment.status_on,
                commitment_type=commitment.type,
            )
        return history.build()


class Entry(_Strict):
    """A clause (or a designation's requirement) with its ``fires`` and ``boundary`` files, or a
    named ``file`` with its level."""

    clause: str | None = Field(default=None, pattern=r"^[GBYRK][1-9][0-9]*$")
    requirement: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    variant: str = Field(default="", pattern=r"^[a-z0-9-]*$")
    name: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    note: str | None = None
    as_of: dt.date | None = None
    fires: FileSpec | None = None
    boundary: FileSpec | None = None
    file: FileSpec | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if self.clause is not None and self.requirement is not None:
            raise ValueError(f"clause {self.clause}: a clause or a requirement, not both")
        if self.requirement is not None:
            if self.fires is None or self.boundary is None or self.file or self.name:
                raise ValueError(f"{self.requirement}: give fires and boundary (no file/name)")
        elif self.clause is not None:
            if self.fires is None or self.boundary is None or self.file or self.name:
                raise ValueError(f"clause {self.clause}: give fires and boundary (no file/name)")
            if self.fires.level is None:
                raise ValueError(f"clause {self.clause}: fires needs the level it leads to")
        elif self.name is None or self.file is None or self.file.level is None:
            raise ValueError("an entry without a clause needs a name and a file with a level")
        elif self.fires or self.boundary or self.variant:
            raise ValueError(f"{self.name}: fires, boundary and variant belong to clause entries")
        return self


class Section(_Strict):
    title: str
    policies: tuple[str, ...] = Field(min_length=1)
    as_of: dt.date | None = None
    cases: tuple[Entry, ...] = Field(min_length=1)


class CorpusFile(_Strict):
    as_of: dt.date
    sections: tuple[Section, ...] = Field(min_length=1)


@dataclass(frozen=True)
class CorpusCase:
    """One credit file rated under one policy at one date, and what must come out."""

    id: str  # e.g. ``lianshui-water-R3-under-limit-fires``
    policy_key: str
    clause_id: str | None  # of the policy, or of its requirement probe for a requirement case
    variant: str  # "" for the clause's main case
    side: Side
    as_of: dt.date
    credit_file: CreditFile
    status: ClauseStatus | None  # of ``clause_id``
    level: Level | None
    note: str | None = None
    requirement: str | None = None  # a designation requirement's id (rated through the probe)

    def policy(self) -> Policy:
        """The policy the case is rated under: the shipped one, or its requirement probe."""
        shipped = shipped_policies()[self.policy_key]
        return shipped if self.requirement is None else requirement_probe(shipped)


SET_ASIDE_BY = 1  # the dishonesty record that sets a corpus record aside
PROBE_FIRST = 901  # requirement probe clauses are G901, G902, …


def requirement_probe(policy: Policy) -> Policy:
    """``policy`` with its designations' requirements as its only clauses, green ``G901``, …
    in order: how the engines that rate clauses only (the SQL ones) rate a requirement."""
    requirements = [r for d in policy.designations for r in d.requirements]
    clauses = tuple(
        Clause(id=f"G{PROBE_FIRST + i}", text=r.text, test=r.test)
        for i, r in enumerate(requirements)
    )
    return policy.model_copy(
        update={"key": f"{policy.key}-requirements", "clauses": clauses, "designations": ()}
    )


def probe_clause_id(policy: Policy, requirement_id: str) -> str:
    """The probe clause of the designation requirement ``requirement_id`` (unique per policy)."""
    ids = [r.id for d in policy.designations for r in d.requirements]
    assert ids.count(requirement_id) == 1, f"{policy.key}: requirement {requirement_id} not unique"
    return f"G{PROBE_FIRST + ids.index(requirement_id)}"


def _expected_status(clause_id: str, side: Side) -> ClauseStatus:
    trigger = level_of_clause_id(clause_id).is_trigger  # requirements: as a green clause
    if side == "fires":
        return ClauseStatus.FIRED if trigger else ClauseStatus.FAILED
    return ClauseStatus.CLEAR if trigger else ClauseStatus.HELD


def _expand(corpus: CorpusFile, policies: dict[str, Policy]) -> list[CorpusCase]:
    cases: list[CorpusCase] = []
    for section in corpus.sections:
        for key in section.policies:
            policy = policies[key]  # a KeyError names a policy that is not shipped
            for entry in section.cases:
                as_of = entry.as_of or section.as_of or corpus.as_of
                clause_id = entry.clause
                if entry.requirement is not None:
                    clause_id = probe_clause_id(policy, entry.requirement)
                if clause_id is None:
                    assert entry.file is not None and entry.name is not None
                    sides: list[tuple[Side, FileSpec]] = [("file", entry.file)]
                    stem = f"{key}-{entry.name}"
                else:
                    assert entry.fires is not None and entry.boundary is not None
                    sides = [("fires", entry.fires), ("boundary", entry.boundary)]
                    stem = f"{key}-{entry.requirement or entry.clause}" + (
                        f"-{entry.variant}" if entry.variant else ""
                    )
                for side, spec in sides:
                    cases.append(
                        CorpusCase(
                            id=stem if side == "file" else f"{stem}-{side}",
                            policy_key=key,
                            clause_id=clause_id,
                            variant=entry.variant,
                            side=side,
                            as_of=as_of,
                            credit_file=spec.credit_file(policy),
                            status=None if clause_id is None else _expected_status(clause_id, side),
                            level=spec.level,
                            note=entry.note,
                            requirement=entry.requirement,
                        )
                    )
    return cases


@cache
def shipped_policies() -> dict[str, Policy]:
    return {loaded.key: loaded.policy for loaded in list_policies()}


@cache
def load_corpus(path: Path = CORPUS_FILE) -> tuple[CorpusCase, ...]:
    corpus = CorpusFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    cases = _expand(corpus, shipped_policies())
    ids = [case.id for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"case ids used twice in {path.name}: {duplicates}"
    return tuple(cases)


def unmet(case: CorpusCase, rating: SubjectRating) -> list[str]:
    """What of the case's expectations ``rating`` (any engine's) does not meet; empty if all."""
    problems: list[str] = []
    if case.level is not None and rating.level != case.level:
        problems.append(f"level {rating.level.value}, expected {case.level.value}")
    if case.clause_id is not None:
        found = [c for c in rating.clauses if c.clause_id == case.clause_id]
        if not found:
            return [*problems, f"no clause {case.clause_id} in the rating"]
        clause = found[0]
        if clause.status != case.status:
            expected = case.status.value if case.status else "?"
            problems.append(f"{case.clause_id} {clause.status.value}, expected {expected}")
        if clause.status == ClauseStatus.FIRED and not clause.evidence:
            problems.append(f"{case.clause_id} fired without evidence")
    return problems
