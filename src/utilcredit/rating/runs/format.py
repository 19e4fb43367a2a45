"""Plain-text output of runs, history, transitions and what-if (pure: no database, no terminal)."""

from __future__ import annotations

from collections.abc import Sequence

from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import LevelChange, RunHeader, Transitions, WhatIf

_NONE = "(none)"


def _name(level: Level | None) -> str:
    return _NONE if level is None else level.value


def _grid(rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> list[str]:
    """Columns padded to their widest cell; those in ``right`` (numbers) aligned right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def format_counts(counts: dict[str, int]) -> str:
    return " ".join(f"{level.value}={counts.get(level.value, 0)}" for level in Level)


def format_run(header: RunHeader) -> str:
    lines = [
        f"批次 / run {header.id}  {header.status.value}  {header.kind.value}",
        f"政策 / policy: {header.policy_key} {header.policy_version} sha256={header.policy_sha256}",
        f"评定日 / as of: {header.as_of.isoformat()}   引擎 / engine: {header.engine}",
        f"数据水位 / data watermark: {header.watermark.isoformat() if header.watermark else '-'}"
        f"   导入批次 / import run: {header.import_run_id if header.import_run_id is not None else '-'}",
        f"开始 / started: {header.started_at.isoformat() if header.started_at else '-'}"
        f"   结束 / finished: {header.finished_at.isoformat() if header.finished_at else '-'}"
        f"   耗时 / duration: {'-' if header.duration_ms is None else f'{header.duration_ms} ms'}",
        f"主体 / subjects: {header.subjects}   重评 / re-rated: {header.rerated}"
        f"   变化 / changed: {header.changed}"
        f"   基准批次 / base run: {header.base_run_id if header.base_run_id is not None else '-'}",
        f"等级 / levels: {format_counts(header.level_counts)}",
    ]
    if header.error:
        lines.append(f"错误 / error: {header.error}")
    return "\n".join(lines) + "\n"


def format_run_list(headers: Sequence[RunHeader], current: set[int]) -> str:
    rows = [["run", "policy", "version", "as_of", "kind", "status", "subjects", "levels"]]
    for h in headers:
        status = h.status.value + (" *current" if h.id in current else "")
        rows.append(
            [
                str(h.id),
                h.policy_key,
                h.policy_version,
                h.as_of.isoformat(),
                h.kind.value,
                status,
                str(h.subjects),
                format_counts(h.level_counts),
            ]
        )
    return "\n".join(_grid(rows, frozenset({0, 6}))) + "\n"


def format_history(code: str, changes: Sequence[LevelChange]) -> str:
    if not changes:
        return f"{code}: 没有等级记录 / no stored level history\n"
    rows = [["policy", "run", "as_of", "from", "to", "why"]]
    for change in changes:
        rows.append(
            [
                change.policy_key,
                str(change.run_id),
                change.as_of.isoformat(),
                _name(change.from_level),
                _name(change.to_level),
                change.cause.describe_zh() if change.to_level is not None else "不再评价 / left",
            ]
        )
    return f"{code}\n" + "\n".join(_grid(rows, frozenset({1}))) + "\n"


def format_matrix(transitions: Transitions, title: str) -> str:
    """From-level rows × to-level columns; ``(none)`` where a subject is on one side only."""
    used_from = {a for a, _ in transitions.cells}
    used_to = {b for _, b in transitions.cells}
    froms: list[Level | None] = [lv for lv in Level if lv in used_from or lv in used_to]
    tos: list[Level | None] = list(froms)
    if None in used_from:
        froms.append(None)
    if None in used_to:
        tos.append(None)
    rows = [["from \\ to", *(_name(b) for b in tos), "total"]]
    for a in froms:
        counts = [transitions.count(a, b) for b in tos]
        rows.append([_name(a), *(str(n) for n in counts), str(sum(counts))])
    totals = [sum(transitions.count(a, b) for a in froms) for b in tos]
    rows.append(["total", *(str(n) for n in totals), str(sum(totals))])
    numbers = frozenset(range(1, len(rows[0])))
    lines = [title, *_grid(rows, numbers), f"changed: {transitions.changed} of {transitions.total}"]
    if transitions.samples:
        lines.append("样例 / samples:")
        for (a, b), codes in sorted(
            transitions.samples.items(), key=lambda item: (_order(item[0][0]), _order(item[0][1]))
        ):
            lines.append(
                f"  {_name(a)} → {_name(b)} ({transitions.count(a, b)}): {', '.join(codes)}"
            )
    return "\n".join(lines) + "\n"


def _order(level: Level | None) -> int:
    return 99 if level is None else level.badness


def format_what_if(result: WhatIf) -> str:
    head = (
        f"模拟 / what-if: {result.draft_key} {result.draft_version}"
        f" (sha256 {result.draft_sha256[:12]}) vs {result.baseline_key} {result.baseline_version}"
        f", as of {result.as_of.isoformat()}, {result.subjects} subjects"
        " — 未写入任何评级 / nothing stored"
    )
    matrix = format_matrix(
        result.transitions, "等级迁移 / transitions (rows: production, columns: draft)"
    )
    rows = [["clause", "production", "draft", "change"]]
    for f in result.clause_frequency:
        delta = "" if f.baseline is None or f.draft is None else f"{f.draft - f.baseline:+d}"
        rows.append(
            [
                f.clause_id,
                "-" if f.baseline is None else str(f.baseline),
                "-" if f.draft is None else str(f.draft),
                delta,
            ]
        )
    counts = (
        f"production: {format_counts(result.baseline_counts)}\n"
        f"draft:      {format_counts(result.draft_counts)}"
    )
    return (
        f"{head}\n{counts}\n\n{matrix}\n条款触发次数 / clause fires\n"
        + "\n".join(_grid(rows, frozenset({1, 2, 3})))
        + "\n"
    )
