"""``utilcredit demo``: generate a synthetic utility, import it and rate it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import AsOfOption, console, fail, out, parse_as_of, policy_in_force
from utilcredit.cli.imports import import_command
from utilcredit.cli.runs import rate_save
from utilcredit.config import get_settings
from utilcredit.demo import DemoSpec, generate
from utilcredit.errors import InvalidInputError, UtilcreditError
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.rating.runs.repository import results as run_results
from utilcredit.rating.sql.choice import AUTO
from utilcredit.records import derivation

# The shipped policies a demo region's utilities are rated under (water, then power).
DEMO_POLICIES = {
    "lianshui": ("lianshui-water", "huaiyin-power"),
    "huaiyin": ("lianshui-water", "huaiyin-power"),
    "suizhou": ("suizhou-water",),
    "shaoguan": ("shaoguan-water", "zhanjiang-power"),
    "zhanjiang": ("shaoguan-water", "zhanjiang-power"),
}


def demo_command(
    subjects: Annotated[int, typer.Option(min=1, help="主体数 / number of subjects")] = 3000,
    region: Annotated[str, typer.Option(help="地区 / " + ", ".join(DEMO_POLICIES))] = "lianshui",
    seed: Annotated[int, typer.Option(help="随机种子 / seed (same seed, same data)")] = 20261122,
    years: Annotated[int, typer.Option(min=1, max=30, help="账单年数 / years of bills")] = 4,
    as_of: AsOfOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="数据文件目录 / where the files go")
    ] = None,
) -> None:
    """演示：生成模拟供水供电企业数据、导入并评级 / generate a synthetic utility, import and rate it."""
    if region not in DEMO_POLICIES:
        raise fail(
            InvalidInputError(f"未知地区 / unknown region {region}: {', '.join(DEMO_POLICIES)}")
        )
    try:
        day = parse_as_of(as_of)
        settings = get_settings()
        folder = out_dir or settings.data_dir / "demo" / f"{region}-{subjects}-{seed}-{day:%Y%m%d}"
        spec = DemoSpec(subjects=subjects, seed=seed, as_of=day, years=years, region=region)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("生成数据 / generating", total=subjects)
            counts = generate(spec, folder, lambda done: progress.update(task, completed=done))
        out.print(f"生成 / generated {sum(counts.values()):,} rows in {folder}")
    except (UtilcreditError, ValueError) as error:
        raise fail(
            error if isinstance(error, UtilcreditError) else InvalidInputError(str(error))
        ) from error
    import_command([folder], rejects=None, actor="demo", quiet=False)
    engine = open_store(settings)
    sample: str | None = None
    for key in DEMO_POLICIES[region]:
        header = rate_save(key, day, AUTO, actor="demo", quiet=True)
        loaded = policy_in_force(key, day)
        _print_levels(loaded, day, Counter(header.level_counts))
        with engine.begin() as connection:
            derived = derivation.derive(connection, loaded, day, settings=settings.records)
        out.print(
            f"{key}: 失信记录候选 / dishonesty-record candidates {len(derived.created):,} "
            "(utilcredit records list --status candidate)"
        )
        with engine.connect() as connection:
            sample = sample or run_results.first_subject_at(connection, header.id, ("red", "black"))
    key = DEMO_POLICIES[region][0]
    out.print(
        f"试一试 / try:\n  utilcredit explain {sample or '<code>'} --policy {key} --as-of {day}"
    )
    out.print(f"  utilcredit rate --policy {key} --as-of {day} --format csv")
    out.print("  utilcredit runs list")


_LEVEL_NAMES = {"green": "绿色", "blue": "蓝色", "yellow": "黄色", "red": "红色", "black": "黑色"}


def _print_levels(loaded: LoadedPolicy, day: dt.date, tally: Counter[str]) -> None:
    table = Table(title=f"{loaded.policy.key} 信用等级分布 / levels as of {day}")
    table.add_column("等级 level")
    table.add_column("主体数 subjects", justify="right")
    table.add_column("占比 share", justify="right")
    total = sum(tally.values()) or 1
    for level in loaded.policy.levels:
        count = tally.get(level.value, 0)
        table.add_row(
            f"{_LEVEL_NAMES.get(level.value, level.value)} {level.value}",
            f"{count:,}",
            f"{count / total:.1%}",
        )
    out.print(table)
