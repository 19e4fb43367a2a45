"""The clause-boundary corpus (``tests/corpus/clauses.yaml``) against the reference evaluator.

One case per clause per shipped policy: the smallest history that fires the clause (green and
blue: makes it fail) and a history just past its boundary that does not. The same corpus runs
against the SQL engines on SQLite and PostgreSQL in
``tests/integration/rating_sql/test_corpus.py``.
"""

from __future__ import annotations

import pytest

from tests.corpus.clauses import CorpusCase, load_corpus, shipped_policies, unmet
from utilcredit.rating.batch import summarize
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.results import ClauseStatus

CASES = load_corpus()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_reference_meets_the_corpus(case: CorpusCase) -> None:
    evaluation = evaluate(case.credit_file, shipped_policies()[case.policy_key], case.as_of)
    problems = unmet(case, summarize(evaluation))
    assert not problems, f"{case.id} ({case.note or 'no note'}): {'; '.join(problems)}"
    if case.status in (ClauseStatus.FIRED, ClauseStatus.FAILED):
        assert case.clause_id is not None
        assert evaluation.result(case.clause_id).evidence, "a decided clause carries its evidence"


def test_every_shipped_clause_has_a_case() -> None:
    covered = {(case.policy_key, case.clause_id) for case in CASES if not case.variant}
    shipped = {
        (key, clause.id) for key, policy in shipped_policies().items() for clause in policy.clauses
    }
    assert shipped | {(key, None) for key in shipped_policies()} == covered


def test_every_policy_has_the_clean_file_case() -> None:
    clean = {case.policy_key for case in CASES if case.id == f"{case.policy_key}-clean"}
    assert clean == set(shipped_policies())
