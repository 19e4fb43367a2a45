"""The data of each document, pure: frozen dataclasses and the template context built from them.

A context holds only strings ready to print (dates already written the Chinese way), so a
template never formats anything and the same context can be checked without Jinja.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

#: Printed where a value the document shows is not known (e.g. no determination date).
NOT_STATED = "—"

#: The date line of a document printed before the day it is signed: filled in by hand.
BLANK_DATE = "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"


def zh_date(day: dt.date) -> str:
    """``2026-11-30`` → ``2026年11月30日`` (no leading zeros, as in official documents)."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True, slots=True)
class RepairCommitment:
    """信用修复承诺书: what the subject of a dishonesty record promises when applying for repair.

    ``subject_code`` is printed as given: the caller masks a natural person's ID number first
    when the document is to be published. ``legal_rep`` is ``None`` for a natural person.
    ``made_on`` is ``None`` for a form printed to be dated by hand.
    """

    subject_name: str
    subject_code: str  # USCC, or the (masked) ID number of a natural person
    legal_rep: str | None
    record_id: str
    record_kind_label: str  # e.g. "违反信用承诺（失约）"
    rule_text: str  # the rule's Chinese sentence the record was determined under
    determined_on: dt.date | None
    determining_unit: str
    determining_unit_code: str  # the determining unit's USCC
    utility_label: str  # "供水" or "供电"
    made_on: dt.date | None


def repair_commitment_context(c: RepairCommitment) -> dict[str, Any]:
    """The context of ``repair_commitment.html``."""
    return {
        "subject_name": c.subject_name,
        "subject_code": c.subject_code,
        "legal_rep": c.legal_rep or NOT_STATED,
        "record_id": c.record_id,
        "record_kind_label": c.record_kind_label,
        "rule_text": c.rule_text,
        "determined_on": zh_date(c.determined_on) if c.determined_on else NOT_STATED,
        "determining_unit": c.determining_unit,
        "determining_unit_code": c.determining_unit_code,
        "utility_label": c.utility_label,
        "date_line": zh_date(c.made_on) if c.made_on else BLANK_DATE,
    }


@dataclass(frozen=True, slots=True)
class SignatureLine:
    """A line of a letter's signature block, as the letter prints it.

    ``kind`` is ``"seal"`` (the committer's name is printed on it, the seal goes beside it),
    ``"sign"`` (left blank to sign by hand) or ``"date"``. ``label`` has no trailing colon (the
    page adds "："; ``""`` prints none); ``after`` is printed after the line, e.g. "（签字）".
    """

    kind: str
    label: str
    after: str = ""


@dataclass(frozen=True, slots=True)
class CommitmentLetter:
    """A credit commitment letter (信用承诺书) as printed: plain values, built by the caller.

    ``fields`` are the (label, value) rows of the table above the promises (empty: no table).
    ``liability`` is printed as a section of its own (违诺责任) when given; ``None`` when a promise
    already holds it. ``code`` (the commitment code) and ``accepting_unit`` (受理单位) are printed
    under the title when known. ``made_on`` is ``None`` for a form to be dated by hand.
    """

    title: str
    title_en: str
    heading: str | None
    fields: tuple[tuple[str, str], ...]
    opening: tuple[str, ...]
    paragraphs: tuple[str, ...]
    liability: str | None
    closing: str | None
    signature: tuple[SignatureLine, ...]
    committer_name: str
    code: str | None
    made_on: dt.date | None
    accepting_unit: str | None


def commitment_letter_context(c: CommitmentLetter) -> dict[str, Any]:
    """The context of ``commitment.html``."""
    date_line = zh_date(c.made_on) if c.made_on else BLANK_DATE
    values = {"seal": c.committer_name, "sign": "", "date": date_line}
    return {
        "title": c.title,
        "title_en": c.title_en,
        "code": c.code,
        "accepting_unit": c.accepting_unit,
        "heading": c.heading,
        "fields": list(c.fields),
        "opening": list(c.opening),
        "paragraphs": list(c.paragraphs),
        "liability": c.liability,
        "closing": c.closing,
        "signature": [
            {
                "kind": line.kind,
                "label": line.label,
                "after": line.after,
                "value": values[line.kind],
            }
            for line in c.signature
        ],
        "date_line": date_line,
    }
