"""Pure output formatting for the ``rate`` and ``explain`` commands.

The commands (:mod:`utilcredit.cli.rating`) rate or explain and hand the ratings and
evaluations here; nothing in this module touches the database or the terminal.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from rich.cells import cell_len

from utilcredit.identifiers.model import DEFAULT_MASKING, MaskingRule, mask_id_number
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import SubjectRating, summarize
from utilcredit.rating.explain import explain_dict, explain_text
from utilcredit.rating.next_change import NextChange
from utilcredit.rating.results import Evaluation

RATE_COLUMNS = ("subject", "level", "fired", "failed")
# The table is read by people: Chinese first, and the level by its Chinese name.
RATE_TABLE_COLUMNS = ("主体/subject", "等级/level", "触发/fired", "未满足/failed")


class RateFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSONL = "jsonl"


class ExplainFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class RateRow:
    subject: str
    level: str
    fired: tuple[str, ...]
    failed: tuple[str, ...]  # failed requirements, plus unknown ones (they do not hold either)

    def cells(self) -> tuple[str, str, str, str]:
        return (self.subject, self.level, ",".join(self.fired), ",".join(self.failed))


def rate_row(rating: SubjectRating) -> RateRow:
    return RateRow(rating.subject_code, rating.level.value, rating.fired, rating.failed)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character takes two)."""
    return text + " " * (width - cell_len(text))


def _table(rows: list[RateRow]) -> str:
    shown = [replace(row, level=Level(row.level).label_zh) for row in rows]
    cells = [RATE_TABLE_COLUMNS, *(row.cells() for row in shown)]
    widths = [max(cell_len(line[i]) for line in cells) for i in range(len(RATE_COLUMNS))]
    lines = [
        "  ".join(_pad(cell, width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    return "\n".join(lines) + "\n"


def _csv(rows: list[RateRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RATE_COLUMNS)
    writer.writerows(row.cells() for row in rows)
    return buffer.getvalue()


def _jsonl(rows: list[RateRow]) -> str:
    return "".join(
        json.dumps(
            {
                "subject": r.subject,
                "level": r.level,
                "fired": list(r.fired),
                "failed": list(r.failed),
            },
            ensure_ascii=False,
        )
        + "\n"
        for r in rows
    )


def format_rate(
    ratings: Iterable[SubjectRating | Evaluation],
    fmt: RateFormat | str = RateFormat.TABLE,
    *,
    natural: Collection[str] = (),
    rule: MaskingRule = DEFAULT_MASKING,
) -> str:
    """One line per subject with columns subject, level, fired, failed.

    The codes in ``natural`` (natural persons' ID numbers) are masked by ``rule``, in every
    format: machine formats end up in files and mail as easily as a screen does."""
    rows = []
    for rating in ratings:
        row = rate_row(summarize(rating) if isinstance(rating, Evaluation) else rating)
        if row.subject in natural:
            row = replace(row, subject=mask_id_number(row.subject, rule))
        rows.append(row)
    match RateFormat(fmt):
        case RateFormat.TABLE:
            return _table(rows)
        case RateFormat.CSV:
            return _csv(rows)
        case RateFormat.JSONL:
            return _jsonl(rows)


def format_explanation(
    evaluation: Evaluation,
    policy: Policy,
    fmt: ExplainFormat | str = ExplainFormat.TEXT,
    *,
    next_change: NextChange | None = None,
) -> str:
    """Chinese text (every clause) or pretty JSON of one evaluation, with the next change."""
    if ExplainFormat(fmt) == ExplainFormat.JSON:
        document = explain_dict(evaluation, policy, next_change=next_change)
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return explain_text(evaluation, policy, next_change=next_change)
