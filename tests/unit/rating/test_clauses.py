"""The clause-boundary corpus (``tests/corpus/clauses.yaml``) against the reference evaluator.

One case per clause per shipped policy: the smallest history that fires the clause (green and
blue: makes it fail) and a history just past its boundary that does not; designation
requirements likewise (fail / hold). The same corpus runs against the SQL engines on SQLite and
PostgreSQL in ``tests/integration/rating_sql/test_corpus.py``.
"""

from __future__ import annotations

import pytest

from tests.corpus.clauses import CorpusCase, load_corpus, shipped_policies, unmet
from utilcredit.policies.model.conditions import CommitmentGivenTest, NoOverdueInWindowTest
from utilcredit.rating.batch import summarize
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.results import ClauseStatus

CASES = load_corpus()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_reference_meets_the_corpus(case: CorpusCase) -> None:
    evaluation = evaluate(case.credit_file, case.policy(), case.as_of)
    problems = unmet(case, summarize(evaluation))
    assert not problems, f"{case.id} ({case.note or 'no note'}): {'; '.join(problems)}"
    if case.status in (ClauseStatus.FIRED, ClauseStatus.FAILED):
        assert case.clause_id is not None
        result = evaluation.result(case.clause_id)
        if case.status == ClauseStatus.FAILED and isinstance(
            case.policy().clause(case.clause_id).test, CommitmentGivenTest
        ):
            # no commitment stands: nothing to point at, the reason says so
            assert not result.evidence and result.outcome.reason
        else:
            assert result.evidence, "a decided clause carries its evidence"
    if case.requirement is not None:
        # the designation itself, as the reference evaluates it under the shipped policy, agrees
        # with the requirement rated as a clause of the probe
        shipped = evaluate(case.credit_file, shipped_policies()[case.policy_key], case.as_of)
        found = [
            r
            for d in shipped.designations
            for r in d.requirements
            if r.requirement_id == case.requirement
        ]
        assert [r.status for r in found] == [case.status], case.id


def test_every_shipped_clause_has_a_case() -> None:
    covered = {
        (case.policy_key, case.clause_id)
        for case in CASES
        if not case.variant and case.requirement is None
    }
    shipped = {
        (key, clause.id) for key, policy in shipped_policies().items() for clause in policy.clauses
    }
    assert shipped | {(key, None) for key in shipped_policies()} == covered


def test_every_no_overdue_requirement_has_a_case() -> None:
    covered = {(case.policy_key, case.requirement) for case in CASES if not case.variant}
    shipped = {
        (key, requirement.id)
        for key, policy in shipped_policies().items()
        for designation in policy.designations
        for requirement in designation.requirements
        if isinstance(requirement.test, NoOverdueInWindowTest)
    }
    assert shipped, "the shipped designations read 无欠费 with no_overdue_in_window"
    assert shipped <= covered


def test_every_policy_has_the_clean_file_case() -> None:
    clean = {case.policy_key for case in CASES if case.id == f"{case.policy_key}-clean"}
    assert clean == set(shipped_policies())
