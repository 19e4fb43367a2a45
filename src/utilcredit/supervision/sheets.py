"""The monthly reports as tables with Chinese headers: one table a section, a row per utility
(and per level, kind, channel or batch). The XLSX export writes each as a sheet and the command
line prints them; both read the same rows, so they cannot disagree. Pure: no storage."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind
from utilcredit.records.model import CLASS_LABELS, KIND_LABELS
from utilcredit.supervision.model import (
    BATCH_STATUS_LABELS,
    CHANNEL_LABELS,
    DIRECTION_LABELS,
    UTILITY_LABELS,
    CaseSection,
    MonthlyReport,
    Share,
    level_label,
)

Cell = str | int | None


@dataclass(frozen=True, slots=True)
class Sheet:
    key: str  # stable name (tests, file parts)
    title: str  # the sheet's Chinese name (at most 31 characters, Excel's limit)
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _utility(report: MonthlyReport) -> str:
    return UTILITY_LABELS.get(report.utility, report.utility)


def _pct(share: Share | None) -> str:
    return "—" if share is None else share.display


def _kind(value: str) -> str:
    try:
        return KIND_LABELS[DishonestyKind(value)]
    except ValueError:
        return value


def _class(value: str) -> str:
    try:
        return CLASS_LABELS[DishonestyClass(value)]
    except ValueError:
        return value


def _summary(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    run = r.levels.run
    yield (
        _utility(r),
        r.month,
        run.id if run else None,
        run.policy_key if run else "—",
        run.as_of.isoformat() if run else "—",
        r.levels.subjects,
        r.records.total,
        r.objections.filed,
        r.repairs.filed,
        r.commitments.made,
        r.notices.sent,
        r.notices.failed,
        r.exchange.sent,
        _pct(r.exchange.error_rate),
    )


def _levels(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    run = r.levels.run
    for count in r.levels.distribution:
        yield (
            _utility(r),
            run.id if run else None,
            run.as_of.isoformat() if run else "—",
            level_label(count.level),
            count.count,
            _pct(Share.of(count.count, r.levels.subjects)),
        )


def _transitions(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    before = r.levels.previous_run
    after = r.levels.run
    for t in r.levels.transitions:
        yield (
            _utility(r),
            before.id if before else None,
            after.id if after else None,
            level_label(t.from_level),
            level_label(t.to_level),
            DIRECTION_LABELS[t.direction],
            t.count,
        )


def _records(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    for c in r.records.cells:
        yield (_utility(r), _kind(c.kind), _class(c.record_class), c.count)


def _case_row(r: MonthlyReport, name: str, c: CaseSection) -> tuple[Cell, ...]:
    return (
        _utility(r),
        name,
        c.filed,
        c.decided,
        c.decided_on_time,
        c.decided - c.decided_on_time,
        c.withdrawn,
        c.on_time.display,
    )


def _cases(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    yield _case_row(r, "异议", r.objections)
    yield _case_row(r, "信用修复", r.repairs)


def _commitments(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    c = r.commitments
    yield (_utility(r), c.made, c.fulfilled, c.breached)


def _notices(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    for c in r.notices.channels:
        yield (_utility(r), CHANNEL_LABELS.get(c.channel, c.channel), c.sent, c.delivered, c.failed)


def _batches(r: MonthlyReport) -> Iterator[tuple[Cell, ...]]:
    for b in r.exchange.batches:
        yield (
            _utility(r),
            b.id,
            b.kind,
            b.utilities,
            BATCH_STATUS_LABELS.get(b.status, b.status),
            b.sent_at.isoformat(timespec="seconds"),
            b.rows,
            b.error_rows,
            _pct(b.error_rate),
        )
    e = r.exchange
    yield (
        _utility(r),
        "合计",
        None,
        None,
        None,
        None,
        e.rows_answered,
        e.error_rows,
        _pct(e.error_rate),
    )


_SECTIONS: tuple[
    tuple[str, str, tuple[str, ...], Callable[[MonthlyReport], Iterable[tuple[Cell, ...]]]], ...
] = (
    (
        "summary",
        "概览",
        (
            "行业",
            "月份",
            "评级批次",
            "评价标准",
            "评价日期",
            "评级主体数",
            "新认定失信记录",
            "受理异议",
            "受理修复申请",
            "作出信用承诺",
            "发送通知",
            "通知失败",
            "报送批次",
            "报送差错率",
        ),
        _summary,
    ),
    (
        "levels",
        "等级分布",
        ("行业", "评级批次", "评价日期", "等级", "主体数", "占比"),
        _levels,
    ),
    (
        "transitions",
        "等级变动",
        ("行业", "上月批次", "本月批次", "上月等级", "本月等级", "变动", "主体数"),
        _transitions,
    ),
    ("records", "失信记录", ("行业", "失信行为类别", "失信信息等级", "认定数"), _records),
    (
        "cases",
        "异议与修复",
        ("行业", "类别", "受理数", "办结数", "按期办结", "逾期办结", "撤回", "按期办结率"),
        _cases,
    ),
    ("commitments", "信用承诺", ("行业", "作出", "已履行", "违诺"), _commitments),
    ("notices", "通知", ("行业", "渠道", "已发送", "已送达", "失败"), _notices),
    (
        "batches",
        "报送批次",
        (
            "行业",
            "批次",
            "信息类",
            "所含行业",
            "状态",
            "报送时间",
            "行数",
            "退回行数",
            "差错率",
        ),
        _batches,
    ),
)


def sheets(reports: Sequence[MonthlyReport]) -> list[Sheet]:
    """Every section as one table holding every report's rows."""
    return [
        Sheet(key, title, headers, tuple(row for r in reports for row in rows(r)))
        for key, title, headers, rows in _SECTIONS
    ]
