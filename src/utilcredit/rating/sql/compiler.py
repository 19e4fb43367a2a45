"""Policy → one SQL query that rates a whole population (DESIGN "One semantics, two executions").

:func:`compile_policy` turns a :class:`~utilcredit.policies.model.policy.Policy` and an as-of date
into a SQLAlchemy Core ``SELECT`` that reads each credit-file table once, counts per subject with
filtered aggregates, and returns one row per subject in subject id order:

``subject_id, level, statuses, measures, evidence, designations, code``

* ``level``: the level, decided in SQL exactly as :func:`~utilcredit.rating.evaluator.decide_level`;
* ``statuses`` and ``measures``: per clause, its status letter (``F`` fired / ``C`` clear for a
  trigger, ``H`` held / ``X`` failed for a requirement, ``U`` unknown) and its measured value
  (comma separated, empty where a test has none) — the columns a run stores, built here so that
  a row without evidence is stored as the query gives it;
* ``evidence``: for every leaf test under a *fired* clause, its truth and its evidence items
  (unordered in SQL, since SQLite before 3.44 cannot order ``group_concat``; each item carries its
  sort key and :meth:`~utilcredit.rating.sql.decoder.CompiledPolicy.decode` orders them as the
  reference evaluator does); NULL where no clause fired;
* ``designations``: a status letter per designation of the policy (``H`` held, ``X`` failed,
  ``U`` unknown), decided from its requirements exactly as
  :func:`~utilcredit.rating.evaluator.evaluate_designation` does (NULL without designations).
  Requirements are leaf tests of the same plan as the clauses' (a test used by both is
  computed once); their evidence is not shown, so they add no evidence columns.

The semantics are those of :mod:`utilcredit.rating.evaluator`, reproduced clause type by clause
type (see the comments at each aggregate, in :mod:`~utilcredit.rating.sql.aggregates`): incidents and bills set aside by the dishonesty-record
register (``set_aside_by``) are in no aggregate, incidents count whatever their account's opening
date, bills only from it. Date arithmetic:

* the bounds of "within N years" windows and the as-of date's year, month and day are constants
  of the query, computed once in Python with :mod:`utilcredit.rating.dates` (the same code the
  reference evaluator runs);
* the one per-row calendar computation, whole months from the oldest unpaid due date to D, is
  ``(Y·12 + M) − (y·12 + m) − [d_due > d and d < last day of D's month]``: the exact closed form of
  :func:`~utilcredit.rating.dates.whole_months_elapsed` (clamping at month ends included), built
  from ``extract()``, which SQLAlchemy renders per dialect. Never ``date_diff('month')``.

Two facts of the store are read before compiling
(:class:`~utilcredit.rating.sql.vocabulary.Vocabulary`), so that the query needs no regular
expressions or Unicode case folding, which SQLite lacks: the distinct asset classes of incidents
(classified in Python with :func:`~utilcredit.policies.model.conditions.parse_asset_class`) and the
distinct credit report sources (matched against the policy's trusted sources with ``casefold``).

This module holds :func:`compile_policy` and the builder that joins the per-source aggregates
into one row per subject and decides, layer by layer, the leaves, the clauses, the designations
and the level. The rest of the compiler lives beside it:
:mod:`~utilcredit.rating.sql.aggregates` (one subquery per source table, with the column
helpers), :mod:`~utilcredit.rating.sql.vocabulary` (what is read before compiling),
:mod:`~utilcredit.rating.sql.plan` (the policy's leaf tests, numbered),
:mod:`~utilcredit.rating.sql.tri` (three-valued logic in SQL) and
:mod:`~utilcredit.rating.sql.decoder` (:class:`~utilcredit.rating.sql.decoder.CompiledPolicy`,
which decodes the rows).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from utilcredit.policies.model.conditions import (
    AllAccountsPrepaidTest,
    AllOfTest,
    AnyOfTest,
    ArrearsMonthsTest,
    ClauseTest,
    CommitmentGivenTest,
    IncidentCountTest,
    LatePaymentCountTest,
    NoArrearsTest,
    NoOverdueInWindowTest,
    NotOnSeriousListTest,
    ReportNoDishonestyTest,
    ReportRatingTest,
)
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Designation, Policy
from utilcredit.rating.sql.aggregates import SourceAggregates, as_text
from utilcredit.rating.sql.constructs import concat_text
from utilcredit.rating.sql.decoder import ENTRY, ITEM, PART, CompiledPolicy
from utilcredit.rating.sql.plan import Plan, leaves_of
from utilcredit.rating.sql.tri import Tri, tri_all, tri_any, tri_bounds, tri_contains
from utilcredit.rating.sql.vocabulary import Vocabulary


def _whole_months(oldest_due: ColumnElement[Any], as_of: dt.date) -> ColumnElement[int]:
    """Whole calendar months from ``oldest_due`` (< D) to D, clamped as ``dates.add_months``.

    add_months(due, n) for n = the raw month difference lands in D's month on day
    min(day(due), L) where L is D's month length; it overshoots D (so n − 1 months have elapsed)
    exactly when that day exceeds day(D), i.e. when day(due) > day(D) and day(D) < L.
    """
    raw = (as_of.year * 12 + as_of.month) - (
        cast(extract("year", oldest_due), Integer) * 12
        + cast(extract("month", oldest_due), Integer)
    )
    month_length = calendar.monthrange(as_of.year, as_of.month)[1]
    if as_of.day < month_length:
        raw = raw - case((cast(extract("day", oldest_due), Integer) > as_of.day, 1), else_=0)
    return case((oldest_due.is_(None), 0), (raw < 0, 0), else_=raw)


def compile_policy(
    policy: Policy,
    as_of: dt.date,
    vocabulary: Vocabulary,
    subject_ids: Sequence[int] | None = None,
    *,
    settled_bills: bool = False,
    subject_range: tuple[int, int] | None = None,
) -> CompiledPolicy:
    """The batch query for ``policy`` at ``as_of`` (see the module documentation), over the
    policy's population, or only its subjects among ``subject_ids``, or only those whose id is
    in ``subject_range`` (first, stop).

    ``settled_bills``: read the payment sums the bills of a columnar snapshot carry
    (:data:`~utilcredit.rating.sql.snapshot.SNAPSHOT_BILLS`) instead of grouping the payments.
    """
    plan = Plan()
    for clause in policy.clauses:
        for test in leaves_of(clause.test):
            plan.leaf(test, clause.level.is_trigger)
    for designation in policy.designations:
        for requirement in designation.requirements:
            for test in leaves_of(requirement.test):
                plan.leaf(test, False)  # requirements show no evidence in a run
    sources = SourceAggregates(
        policy, as_of, vocabulary, subject_ids, plan, settled_bills, subject_range
    )
    statement = _Builder(sources).build()
    return CompiledPolicy(policy, as_of, statement, plan)


class _Builder:
    """Joins the per-source aggregates into one row per subject, then decides on it each leaf
    test, each clause, the designations and the level, layer by layer."""

    def __init__(self, sources: SourceAggregates) -> None:
        self.sources = sources
        self.policy = sources.policy
        self.as_of = sources.as_of
        self.plan = sources.plan
        # leaf number → (truth, value) expressions over the joined per-subject row
        self.leaf_truth: dict[int, Tri] = {}
        self.leaf_value: dict[int, Tri] = {}
        self.leaf_evidence: dict[int, str] = {}  # leaf number → column name of its items

    # -- leaves over the joined row --------------------------------------------------------

    def leaf_expressions(self, joined: Any) -> None:
        def zero(name: str) -> Tri:
            return func.coalesce(joined.c[name], 0)

        for leaf in self.plan.leaves:
            test = leaf.test
            k = leaf.number
            match test:
                case IncidentCountTest():
                    n = zero(f"n_{k}")
                    u = zero(f"u_{k}") if f"u_{k}" in joined.c else literal(0, Integer)
                    self.leaf_value[k] = n
                    self.leaf_truth[k] = tri_bounds(test.count, n, u)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = f"ev_{k}"
                case LatePaymentCountTest():
                    name = self.sources.window_name(test.window)
                    n = zero(f"late_b_{name}") + zero(f"late_i_{name}")
                    self.leaf_value[k] = n
                    self.leaf_truth[k] = tri_contains(test.count, n)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = f"late_ev_{name}"
                case NoOverdueInWindowTest():
                    name = self.sources.window_name(test.window)
                    n = zero(f"overdue_b_{name}") + zero(f"late_i_{name}")
                    self.leaf_value[k] = n
                    self.leaf_truth[k] = case((n == 0, 1), else_=0)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = ""  # true only when nothing counts: no items
                case ArrearsMonthsTest():
                    months = _whole_months(joined.c.unpaid_oldest, self.as_of)
                    self.leaf_value[k] = months
                    self.leaf_truth[k] = tri_contains(test.months, months)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = "unpaid_ev"
                case NoArrearsTest():
                    n = zero("unpaid_n")
                    self.leaf_value[k] = n
                    self.leaf_truth[k] = case((n == 0, 1), else_=0)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = "unpaid_ev"
                case AllAccountsPrepaidTest():
                    total, postpaid = zero("acc_n"), zero("acc_postpaid")
                    self.leaf_value[k] = case((total == 0, null()), else_=postpaid)
                    self.leaf_truth[k] = case((total == 0, null()), (postpaid == 0, 1), else_=0)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = "acc_ev"
                case ReportRatingTest():
                    # unknown without a latest trusted report, or when none of them grades
                    total, graded = zero("rep_n"), zero("rep_graded")
                    outside = zero(f"rep_outside_{k}")
                    self.leaf_value[k] = case(
                        (total == 0, null()), (graded == 0, null()), else_=outside
                    )
                    self.leaf_truth[k] = case(
                        (total == 0, null()), (graded == 0, null()), (outside == 0, 1), else_=0
                    )
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = "rep_graded_ev"
                case CommitmentGivenTest():
                    n = zero(f"com_n_{k}")
                    self.leaf_value[k] = n
                    self.leaf_truth[k] = case((n > 0, 1), else_=0)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = f"com_ev_{k}"
                case ReportNoDishonestyTest() | NotOnSeriousListTest():
                    total = zero("rep_n")
                    bad = zero(
                        "rep_dishonest"
                        if isinstance(test, ReportNoDishonestyTest)
                        else "rep_serious"
                    )
                    self.leaf_value[k] = case((total == 0, null()), else_=bad)
                    self.leaf_truth[k] = case((total == 0, null()), (bad == 0, 1), else_=0)
                    if leaf.in_trigger:
                        self.leaf_evidence[k] = "rep_ev"

    def node(self, test: ClauseTest, leaves: Any) -> Tri:
        if isinstance(test, AnyOfTest):
            return tri_any([self.node(part, leaves) for part in test.tests])
        if isinstance(test, AllOfTest):
            return tri_all([self.node(part, leaves) for part in test.tests])
        column: Tri = leaves.c[f"t_{self.plan.of(test).number}"]
        return column

    # -- the whole query ---------------------------------------------------------------------

    def build(self) -> Select[Any]:
        accounts = self.sources.accounts()
        population = self.sources.population(accounts)
        parts = [
            self.sources.account_aggregate(),
            self.sources.bill_aggregate(accounts),
            self.sources.incident_aggregate(accounts),
            self.sources.report_aggregate(),
            self.sources.commitment_aggregate(),
        ]
        source: Any = population
        columns: list[ColumnElement[Any]] = [population.c.id, population.c.code]
        for part in parts:
            if part is None:
                continue
            source = source.outerjoin(part, part.c.subject_id == population.c.id)
            columns.extend(c for c in part.c if c.name != "subject_id")
        # late payments: bills and reported incidents merged into one evidence column
        for window_name in self.sources.late_windows():
            if self.sources.late_window_in_trigger(window_name):
                pieces = [
                    c
                    for c in columns
                    if c.name in (f"late_b_ev_{window_name}", f"late_i_ev_{window_name}")
                ]
                merged: ColumnElement[str] = literal("", String)
                for piece in pieces:
                    merged = merged + func.coalesce(piece + literal(ITEM, String), "")
                columns.append(merged.label(f"late_ev_{window_name}"))
        joined = select(*columns).select_from(source).subquery("joined")
        self.leaf_expressions(joined)

        leaf_columns: list[ColumnElement[Any]] = [joined.c.id, joined.c.code]
        for leaf in self.plan.leaves:
            leaf_columns.append(self.leaf_truth[leaf.number].label(f"t_{leaf.number}"))
            leaf_columns.append(self.leaf_value[leaf.number].label(f"v_{leaf.number}"))
        for name in sorted(self.evidence_names()):
            leaf_columns.append(joined.c[name])
        leaves = select(*leaf_columns).subquery("leaves")

        clause_columns: list[ColumnElement[Any]] = [leaves.c.id, leaves.c.code]
        for index, clause in enumerate(self.policy.clauses):
            clause_columns.append(self.node(clause.test, leaves).label(f"c_{index}"))
        clause_columns.append(self.designation_letters(leaves).label("designations"))
        clause_columns.extend(
            c
            for c in leaves.c
            if c.name.startswith(("t_", "v_")) or c.name in self.evidence_names()
        )
        clauses = select(*clause_columns).subquery("clauses")
        return self.final(clauses)

    def designation_letters(self, leaves: Any) -> ColumnElement[Any]:
        """A status letter per designation (evaluator.evaluate_designation): failed when a
        requirement fails, else unknown when one is unknown or the designation has conditions
        the credit file cannot show (``not_encoded``), else held. NULL without designations."""
        if not self.policy.designations:
            return cast(null(), String)
        return concat_text(*(self.designation_letter(d, leaves) for d in self.policy.designations))

    def designation_letter(self, designation: Designation, leaves: Any) -> ColumnElement[Any]:
        truths = [self.node(r.test, leaves) for r in designation.requirements]
        return case(
            (or_(*(t == 0 for t in truths)), "X"),
            (or_(*(t.is_(None) for t in truths)), "U"),
            else_="U" if designation.not_encoded else "H",
        )

    def evidence_names(self) -> set[str]:
        """The evidence columns (a leaf's name is "" when it has no items to show)."""
        return {name for name in self.leaf_evidence.values() if name}

    def final(self, clauses: Any) -> Select[Any]:
        policy = self.policy

        def fired(index: int) -> ColumnElement[bool]:
            return func.coalesce(clauses.c[f"c_{index}"], 0) == 1

        whens: list[tuple[ColumnElement[bool], str]] = []
        for level in policy.levels_worst_first:
            indexes = [i for i, c in enumerate(policy.clauses) if c.level == level]
            if level.is_trigger and indexes:
                whens.append((or_(*(fired(i) for i in indexes)), level.value))
        for level in (Level.GREEN, Level.BLUE):
            if level in policy.levels:
                indexes = [i for i, c in enumerate(policy.clauses) if c.level == level]
                held = and_(*(fired(i) for i in indexes)) if indexes else None
                whens.append((true() if held is None else held, level.value))
        level_expr = (
            case(*whens, else_=policy.fallback_level.value)
            if whens
            else literal(policy.fallback_level.value, String)
        )

        letters: list[ColumnElement[Any]] = []
        measures: list[ColumnElement[Any]] = []
        for index, clause in enumerate(policy.clauses):
            true_letter, false_letter = ("F", "C") if clause.level.is_trigger else ("H", "X")
            letters.append(
                case(
                    (clauses.c[f"c_{index}"] == 1, true_letter),
                    (clauses.c[f"c_{index}"] == 0, false_letter),
                    else_="U",
                )
            )
            if index:
                measures.append(literal(",", String))
            if not isinstance(clause.test, AnyOfTest | AllOfTest):
                own = self.plan.of(clause.test).number
                measures.append(func.coalesce(as_text(cast(clauses.c[f"v_{own}"], Integer)), ""))

        entries: list[ColumnElement[Any]] = [literal("", String)]
        for leaf in self.plan.leaves:
            if leaf.number not in self.leaf_evidence:
                continue
            owners = [
                i
                for i, clause in enumerate(policy.clauses)
                if clause.level.is_trigger
                and any(self.plan.of(t) is leaf for t in leaves_of(clause.test))
            ]
            if not owners:
                continue
            truth = case(
                (clauses.c[f"t_{leaf.number}"] == 1, "1"),
                (clauses.c[f"t_{leaf.number}"] == 0, "0"),
                else_="?",
            )
            column = self.leaf_evidence[leaf.number]
            items: ColumnElement[Any] = literal("", String)
            if column:
                items = case(
                    (clauses.c[f"t_{leaf.number}"] == 1, func.coalesce(clauses.c[column], "")),
                    else_="",
                )
            entry = (
                literal(str(leaf.number), String)
                + literal(PART, String)
                + truth
                + literal(PART, String)
                + items
                + literal(ENTRY, String)
            )
            entries.append(case((or_(*(fired(i) for i in owners)), entry), else_=""))
        return select(
            clauses.c.id,
            level_expr.label("level"),
            concat_text(*letters).label("statuses"),
            (concat_text(*measures) if measures else literal("", String)).label("measures"),
            func.nullif(concat_text(*entries), "").label("evidence"),
            clauses.c.designations,
            clauses.c.code,
        ).order_by(clauses.c.id)
