"""Pure output formatting for the ``rate`` and ``explain`` commands.

The commands (:mod:`utilcredit.cli.rating`) rate or explain and hand the ratings and
evaluations here; nothing in this module touches the database or the terminal.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import SubjectRating, summarize
from utilcredit.rating.explain import explain_dict, explain_text
from utilcredit.rating.next_change import NextChange
from utilcredit.rating.results import Evaluation

RATE_COLUMNS = ("subject", "level", "fired", "failed")


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


def _table(rows: list[RateRow]) -> str:
    cells = [RATE_COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(RATE_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
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
    ratings: Iterable[SubjectRating | Evaluation], fmt: RateFormat | str = RateFormat.TABLE
) -> str:
    """One line per subject with columns subject, level, fired, failed."""
    rows = [rate_row(summarize(r) if isinstance(r, Evaluation) else r) for r in ratings]
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
