"""The clause-boundary corpus (``tests/corpus/clauses.yaml``) against every engine, on both stores.

Every case's credit file is written to the store as a subject of its own (SQLite and the real
PostgreSQL server); then each (policy, as-of date) group is rated once per engine — the reference
evaluator reading the store, the compiled SQL run by the store, and DuckDB (on SQLite through the
columnar snapshot, as production rates) — and every case must meet the corpus expectations on
every engine, and every SQL engine must give the reference's rating exactly (level, each clause's
status, value and evidence). Designation requirements (which the SQL engines do not evaluate)
are rated by every engine as the clauses of the policy's requirement probe.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

import pytest
from sqlalchemy import Engine, select

from tests.corpus.clauses import CorpusCase, load_corpus, unmet
from tests.integration.rating_sql.store_builders import (
    RAccount,
    RBill,
    RCommitment,
    RIncident,
    RReport,
    RSubject,
    clear_store,
    write_population,
)
from utilcredit.customers.model import CreditFile
from utilcredit.customers.tables import SubjectRow
from utilcredit.rating.batch import BatchEngine, SubjectRating
from utilcredit.rating.sql.engines import DatabaseEngine, DuckDBEngine, ReferenceEngine

CASES = load_corpus()
# the cases share one store per module, written and rated once: keep them on one worker
pytestmark = pytest.mark.xdist_group("corpus")


@dataclass
class CorpusRun:
    ratings: dict[str, dict[str, SubjectRating]]  # engine name → case id → rating
    rated: Counter[str]  # engine name → ratings it gave


def _code(index: int) -> str:
    return f"CORPUS{index:05d}"


def as_stored(code: str, credit_file: CreditFile) -> RSubject:
    """The credit file as a subject of the store, its record numbers prefixed with ``code``
    (numbers are unique store-wide; each case is its own subject)."""

    def number(text: str) -> str:
        return f"{code}-{text}"

    subject = RSubject(code)
    for account in credit_file.accounts:
        subject.accounts.append(
            RAccount(
                number(account.account_no), account.utility, account.opened_on, account.payment_mode
            )
        )
    for bill in credit_file.bills:
        stored = RBill(number(bill.bill_no), number(bill.account_no), bill.due_on, bill.amount)
        stored.set_aside_by = bill.set_aside_by
        stored.payments.extend((number(p.payment_no), p.paid_on, p.amount) for p in bill.payments)
        subject.bills.append(stored)
    for incident in credit_file.incidents:
        subject.incidents.append(
            RIncident(
                number(incident.incident_no),
                number(incident.account_no),
                incident.kind,
                incident.occurred_on,
                incident.amount,
                incident.asset_class,
                incident.severity,
                incident.set_aside_by,
            )
        )
    for report in credit_file.credit_reports:
        subject.reports.append(
            RReport(
                report.source,
                report.issued_on,
                report.has_dishonesty,
                report.on_serious_list,
                report.rating,
            )
        )
    for commitment in credit_file.commitments:
        subject.commitments.append(
            RCommitment(
                number(commitment.code),
                credit_file.utility,
                commitment.commitment_type,
                commitment.made_on,
                commitment.valid_until,
                commitment.status,
                commitment.status_on,
            )
        )
    return subject


def _engines() -> dict[str, BatchEngine]:
    return {
        "reference": ReferenceEngine(),
        "database": DatabaseEngine(),
        "duckdb": DuckDBEngine(threads=1),
    }


def _group_key(case: CorpusCase) -> tuple[str, dt.date, bool]:
    """Cases rated together: one policy (the shipped one, or its requirement probe), one date."""
    return case.policy_key, case.as_of, case.requirement is not None


@pytest.fixture(scope="module")
def corpus_run(migrated_engine: Engine) -> Iterator[CorpusRun]:
    """Every case rated by every engine (written and rated once per store)."""
    codes = {case.id: _code(index) for index, case in enumerate(CASES)}
    with migrated_engine.begin() as connection:
        clear_store(connection)
        write_population(connection, [as_stored(codes[c.id], c.credit_file) for c in CASES])
    run = CorpusRun({name: {} for name in _engines()}, Counter())
    with migrated_engine.connect() as connection:
        rows = connection.execute(select(SubjectRow.code, SubjectRow.id)).all()
        ids: dict[str, int] = {row.code: row.id for row in rows}
        for (_, as_of, _), group in groupby(sorted(CASES, key=_group_key), key=_group_key):
            cases = list(group)
            policy = cases[0].policy()
            members = {codes[case.id]: case.id for case in cases}
            subject_ids = sorted(ids[code] for code in members)
            for name, engine in _engines().items():
                for rating in engine.rate(connection, policy, as_of, subject_ids):
                    run.ratings[name][members[rating.subject_code]] = rating
                    run.rated[name] += 1
    yield run
    with migrated_engine.begin() as connection:
        clear_store(connection)


def _difference(reference: SubjectRating, rating: SubjectRating) -> str:
    parts = (
        [] if rating.level == reference.level else [f"level {reference.level} vs {rating.level}"]
    )
    for want, got in zip(reference.clauses, rating.clauses, strict=False):
        if want != got:
            parts.append(
                f"{want.clause_id} {want.status.value}/{want.value}/{want.evidence} vs "
                f"{got.status.value}/{got.value}/{got.evidence}"
            )
    if len(reference.clauses) != len(rating.clauses):
        parts.append(f"{len(reference.clauses)} clauses vs {len(rating.clauses)}")
    return "; ".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_engine_meets_the_corpus(corpus_run: CorpusRun, case: CorpusCase) -> None:
    reference = corpus_run.ratings["reference"].get(case.id)
    assert reference is not None, "the reference did not rate the case's subject"
    failures: list[str] = []
    for name, ratings in corpus_run.ratings.items():
        rating = ratings.get(case.id)
        if rating is None:
            failures.append(f"{name}: did not rate the case's subject")
            continue
        if name != "reference" and rating != reference:
            failures.append(f"{name} differs from the reference: {_difference(reference, rating)}")
        if problems := unmet(case, rating):
            failures.append(f"{name}: {'; '.join(problems)}")
    assert not failures, f"{case.id} ({case.note or 'no note'}):\n" + "\n".join(failures)


def test_each_engine_rated_every_case_once(corpus_run: CorpusRun) -> None:
    expected = {case.id for case in CASES}
    for name, ratings in corpus_run.ratings.items():
        assert set(ratings) == expected, name
        assert corpus_run.rated[name] == len(CASES), name
