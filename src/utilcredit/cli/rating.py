"""``utilcredit rate`` and ``utilcredit explain``: rate a population or explain one subject."""

from __future__ import annotations

from typing import Annotated

import typer

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import (
    AsOfOption,
    PolicyOption,
    fail,
    out,
    parse_as_of,
    policy_in_force,
)
from utilcredit.cli.formats import ExplainFormat, RateFormat, format_explanation, format_rate
from utilcredit.cli.runs import EngineOption, rate_save
from utilcredit.errors import UtilcreditError
from utilcredit.rating import service as rating
from utilcredit.rating.batch import gc_paused
from utilcredit.rating.runs.format import format_run
from utilcredit.rating.sql.engines import AUTO, rate_batch


def rate_command(
    policy: PolicyOption,
    as_of: AsOfOption = None,
    output_format: Annotated[
        RateFormat, typer.Option("--format", "-f", help="输出格式 / output format")
    ] = RateFormat.TABLE,
    engine: EngineOption = AUTO,
    save: Annotated[
        bool, typer.Option("--save", help="保存为评级批次 / store the ratings as a run")
    ] = False,
) -> None:
    """评定信用等级 / rate every subject having an account of the policy's utility.

    Every engine gives the same output; ``--save`` stores a run (see ``utilcredit runs``).
    """
    try:
        day = parse_as_of(as_of)
        loaded = policy_in_force(policy, day)
        if save:
            out.print(format_run(rate_save(policy, day, engine)), end="", markup=False)
            return
        with open_store().connect() as connection, gc_paused():
            ratings = rate_batch(connection, loaded.policy, day, engine)
            out.print(
                format_rate(ratings, output_format),
                end="",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    except UtilcreditError as error:
        raise fail(error) from error


def explain_command(
    code: Annotated[str, typer.Argument(help="统一社会信用代码或身份证号 / the subject's code")],
    policy: PolicyOption,
    as_of: AsOfOption = None,
    output_format: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="输出格式 / output format")
    ] = ExplainFormat.TEXT,
) -> None:
    """解释信用等级 / explain a subject's level: every clause, its value and evidence."""
    try:
        day = parse_as_of(as_of)
        loaded = policy_in_force(policy, day)
        engine = open_store()
        with engine.connect() as connection:
            evaluation, change = rating.explain_subject(
                connection, code.strip().upper(), loaded.policy, day
            )
        out.print(
            format_explanation(evaluation, loaded.policy, output_format, next_change=change),
            end="",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    except UtilcreditError as error:
        raise fail(error) from error
