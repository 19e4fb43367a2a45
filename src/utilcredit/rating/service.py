"""Rating use cases over the store (read-only: nothing here writes or commits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Connection

from utilcredit.customers import repository as credit_files
from utilcredit.customers.model import CreditFile
from utilcredit.errors import NotFoundError
from utilcredit.policies.model import Policy
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.next_change import NextChange, next_change
from utilcredit.rating.results import Evaluation


def rate_population(connection: Connection, policy: Policy, as_of: dt.date) -> Iterator[Evaluation]:
    """Every subject with an account of the policy's utility, rated as of ``as_of``."""
    for credit_file in credit_files.iter_credit_files(connection, policy.utility):
        yield evaluate(credit_file, policy, as_of)


def rate_subject(connection: Connection, code: str, policy: Policy, as_of: dt.date) -> Evaluation:
    return evaluate(_credit_file(connection, code, policy), policy, as_of)


def explain_subject(
    connection: Connection, code: str, policy: Policy, as_of: dt.date
) -> tuple[Evaluation, NextChange]:
    """The evaluation, and when the level will improve if nothing new happens."""
    credit_file = _credit_file(connection, code, policy)
    evaluation = evaluate(credit_file, policy, as_of)
    return evaluation, next_change(credit_file, policy, as_of, evaluation)


def _credit_file(connection: Connection, code: str, policy: Policy) -> CreditFile:
    credit_file = credit_files.get_credit_file(connection, code, policy.utility)
    if credit_file is None:
        raise NotFoundError(f"没有该主体：{code} / no subject with code {code}")
    if not credit_file.accounts:
        raise NotFoundError(
            f"{code} 没有{policy.utility.value}账户，不属于 {policy.key} 的评价对象"
            f" / {code} has no {policy.utility.value} account, so {policy.key} does not rate it"
        )
    return credit_file
