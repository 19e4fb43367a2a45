"""``utilcredit rate`` and ``utilcredit explain``: rate a population or explain one subject."""

from __future__ import annotations

from typing import Annotated

import typer

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import (
    AsOfOption,
    PolicyOption,
    UnmaskedOption,
    fail,
    looking_up,
    out,
    parse_as_of,
    policy_in_force,
)
from utilcredit.cli.formats import ExplainFormat, RateFormat, format_explanation, format_rate
from utilcredit.cli.runs import EngineOption, rate_save
from utilcredit.config import get_settings
from utilcredit.customers.repository import natural_person_codes
from utilcredit.disclosure.service import masking_of
from utilcredit.errors import UtilcreditError
from utilcredit.rating import service as rating
from utilcredit.rating.batch import gc_paused
from utilcredit.rating.runs.format import format_run
from utilcredit.rating.sql.choice import AUTO, rate_batch


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
    unmasked: UnmaskedOption = False,
) -> None:
    """评定信用等级 / rate every subject having an account of the policy's utility.

    Every engine gives the same output; --save stores a run (see utilcredit runs). The
    table names levels in Chinese (绿色, 蓝色, 黄色, 红色, 黑色); csv and jsonl keep the level
    keys (green … black). Natural persons' ID numbers are masked in every format, as the
    public site masks them (UTILCREDIT_MASK_KEEP_HEAD/_TAIL); --unmasked prints them in
    full, for whoever may read the store itself (the command needs the store's credentials).
    """
    try:
        day = parse_as_of(as_of)
        loaded = policy_in_force(policy, day)
        if save:
            out.print(format_run(rate_save(policy, day, engine)), end="", markup=False)
            return
        with open_store().connect() as connection, gc_paused():
            natural = frozenset[str]() if unmasked else natural_person_codes(connection)
            ratings = rate_batch(connection, loaded.policy, day, engine)
            out.print(
                format_rate(
                    ratings, output_format, natural=natural, rule=masking_of(get_settings())
                ),
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
        with engine.connect() as connection, looking_up(code, "code"):
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
