"""``utilcredit entitlements CODE``: which measures (守信激励 · 失信约束) apply to a subject
today and why, and those granted to it.

It reads as ``--actor``, because what a subject is entitled to is computed for a reader (its
utilities).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from utilcredit.cli.casework import acting, day_of, step
from utilcredit.cli.common import looking_up
from utilcredit.cli.output import Format, FormatOption, emit
from utilcredit.config import get_settings
from utilcredit.incentives import service as incentives
from utilcredit.incentives.model import KIND_ZH


def entitlements_command(
    code: Annotated[str, typer.Argument(help="主体代码 / subject code")],
    actor: Annotated[
        str, typer.Option("--actor", help="查询用户（按其可见的供应） / reading user name")
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="日期（默认今天） / as-of date")
    ] = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """今天适用于该主体的激励/约束措施及依据 / which measures apply today and why."""
    day: dt.date = day_of(as_of, "as_of")
    settings = get_settings()
    with step() as connection, looking_up(code, "code"):
        principal = acting(connection, actor)
        assert principal is not None
        blocks = incentives.entitlements(
            connection, principal, code, today=day, console=settings.console
        )
        grants = incentives.grants_of(connection, principal, code)
    lines: list[str] = []
    for block in blocks:
        designations = "、".join(title for _, title in block.designations) or "—"
        lines.append(
            f"{block.utility} {block.policy_key} {block.policy_version}（{block.as_of}）："
            f"信用等级 {block.level.label_zh} / level {block.level.value}；"
            f"认定 / designations：{designations}"
        )
        for e in block.applies:
            lines.append(
                f"  {KIND_ZH[e.kind]} {e.measure_key} {e.title}：依据 {e.basis_zh} / {e.basis}"
            )
        if not block.applies:
            lines.append("  今天没有适用的措施 / no measure applies today")
    if not blocks:
        lines.append("没有可评价的供应（无户号或未配置政策） / no utility rated for this subject")
    for g in grants:
        lines.append(
            f"已给予 / granted {g.granted_on} {g.measure_key}（{g.basis}，{g.granted_by}）"
        )
    emit(
        output,
        lines,
        {
            "subject": code,
            "as_of": day.isoformat(),
            "utilities": [
                {
                    "utility": b.utility,
                    "policy": b.policy_key,
                    "version": b.policy_version,
                    "level": b.level.value,
                    "designations": [key for key, _ in b.designations],
                    "applies": [
                        {
                            "measure": e.measure_key,
                            "title": e.title,
                            "kind": e.kind.value,
                            "basis": e.basis,
                            "basis_zh": e.basis_zh,
                            "responsible": e.responsible,
                        }
                        for e in b.applies
                    ],
                }
                for b in blocks
            ],
            "grants": [
                {
                    "id": g.id,
                    "utility": g.utility,
                    "measure": g.measure_key,
                    "basis": g.basis,
                    "granted_on": g.granted_on.isoformat(),
                    "granted_by": g.granted_by,
                }
                for g in grants
            ],
        },
    )
