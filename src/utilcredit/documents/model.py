"""The data of each document, pure: frozen dataclasses and the template context built from them.

A context holds only strings ready to print (dates already written the Chinese way), so a
template never formats anything and the same context can be checked without Jinja.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


#: The badge colours of a credit level (background, text), by its Chinese name; the same hues as
#: the console's. A level not listed here is drawn grey: the badge only repeats the printed name.
LEVEL_BADGE_COLOURS: dict[str, tuple[str, str]] = {
    "绿色": ("#157a35", "#ffffff"),
    "蓝色": ("#1f6fa3", "#ffffff"),
    "黄色": ("#e6b800", "#000000"),
    "红色": ("#d7191c", "#ffffff"),
    "黑色": ("#222222", "#ffffff"),
}
_OTHER_LEVEL_COLOURS = ("#666666", "#ffffff")

_ZH_DIGITS = "零一二三四五六七八九"


def zh_ordinal(n: int) -> str:
    """``1`` → ``（一）``, ``12`` → ``（十二）``, ``21`` → ``（二十一）`` (Arabic from 100 on)."""
    if not 1 <= n <= 99:
        return f"（{n}）"
    tens, units = divmod(n, 10)
    words = ("" if tens == 0 else ("十" if tens == 1 else _ZH_DIGITS[tens] + "十")) + (
        _ZH_DIGITS[units] if units else ""
    )
    return f"（{words}）"


@dataclass(frozen=True, slots=True)
class FiredClause:
    """A clause of the rating policy that gave the level, with the facts that made it fire.

    ``evidence`` are ready-to-print lines, e.g. "账单 B-001 应缴 1,234.56 元，到期日 2026年9月30日，
    未缴清"; the letter prints them under the clause, in order.
    """

    clause_id: str  # e.g. "R2"
    text: str  # the clause's Chinese text as published
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoticeLetter:
    """书面告知函: the written notice of a red or black credit level, sent by post.

    ``recipient_code`` is printed as given: the caller masks a natural person's ID number.
    ``paragraphs`` are the policy's paragraphs (what to rectify, how to object, how to apply for
    repair), already filled, printed in order; ``reply_by`` (the deadline to rectify, object or
    apply, computed by the caller in working days) and ``next_change_on`` are printed again in
    the letter's "重要期限" box. ``postal_address``, ``policy_issuer``, ``previous_level_zh``
    (``None``: the first rating) and ``next_change_on`` may be unknown.
    """

    letter_no: str  # e.g. "GZH-2026-00000042"
    sender: str  # the utility, printed as the letterhead
    sender_hotline: str
    sender_office: str  # where to object or apply for repair
    recipient_name: str
    recipient_code: str  # USCC, or the (masked) ID number of a natural person
    postal_address: str | None
    utility_label: str  # "供水" or "供电"
    policy_title: str
    policy_issuer: str | None
    level_zh: str  # e.g. "红色"
    previous_level_zh: str | None
    as_of: dt.date  # the rating date
    fired: tuple[FiredClause, ...]
    paragraphs: tuple[str, ...]
    next_change_on: dt.date | None
    reply_by: dt.date
    dated_on: dt.date  # the letter's date


@dataclass(frozen=True, slots=True)
class PlainLetter:
    """A plain letter sent by post, e.g. the printed payment demand (欠费催告函).

    It has the notice letter's letterhead, window address block, letter number and seal, but
    only a title and ``paragraphs`` of text, already filled and printed in order; the first is
    usually the salutation line ("XX公司："), printed without indent when it ends with a colon.
    ``postal_address`` may be unknown.
    """

    letter_no: str
    sender: str  # the utility, printed as the letterhead
    recipient_name: str
    postal_address: str | None
    title: str  # e.g. "欠费催告函"
    paragraphs: tuple[str, ...]
    dated_on: dt.date  # the letter's date


@dataclass(frozen=True, slots=True)
class PrintListLine:
    """A row of a print batch's list: one letter to put in an envelope."""

    letter_no: str
    recipient_name: str
    postal_address: str | None
    kind_label: str  # e.g. "书面告知函"


def _notice_letter_fields(letter: NoticeLetter) -> dict[str, Any]:
    """One letter as ``_notice_letter.html``'s macros print it."""
    background, foreground = LEVEL_BADGE_COLOURS.get(letter.level_zh, _OTHER_LEVEL_COLOURS)
    return {
        "kind": "notice",
        "letter_no": letter.letter_no,
        "letter_no_label": "告知函编号",
        "seal_label": "告知单位",
        "sender": letter.sender,
        "sender_hotline": letter.sender_hotline,
        "sender_office": letter.sender_office,
        "recipient_name": letter.recipient_name,
        "recipient_code": letter.recipient_code,
        "postal_address": letter.postal_address or NOT_STATED,
        "utility_label": letter.utility_label,
        "policy_title": letter.policy_title,
        "policy_issuer": letter.policy_issuer,
        "level_zh": letter.level_zh,
        "level_background": background,
        "level_foreground": foreground,
        "previous_level_zh": letter.previous_level_zh,
        "as_of": zh_date(letter.as_of),
        "fired": [
            {
                "number": zh_ordinal(n),
                "clause_id": clause.clause_id,
                "text": clause.text,
                "evidence": list(clause.evidence),
            }
            for n, clause in enumerate(letter.fired, start=1)
        ],
        "paragraphs": list(letter.paragraphs),
        "next_change_on": zh_date(letter.next_change_on) if letter.next_change_on else NOT_STATED,
        "reply_by": zh_date(letter.reply_by),
        "date_line": zh_date(letter.dated_on),
    }


def notice_letter_context(letter: NoticeLetter) -> dict[str, Any]:
    """The context of ``notice_letter.html``: the letter's fields under ``letter``."""
    fields = _notice_letter_fields(letter)
    return {"letter": fields, "date_line": fields["date_line"]}


def _plain_letter_fields(letter: PlainLetter) -> dict[str, Any]:
    """One plain letter as ``_notice_letter.html``'s macros print it."""
    return {
        "kind": "plain",
        "letter_no": letter.letter_no,
        "letter_no_label": "函件编号",
        "seal_label": "发函单位",
        "sender": letter.sender,
        "sender_hotline": None,
        "recipient_name": letter.recipient_name,
        "postal_address": letter.postal_address or NOT_STATED,
        "title": letter.title,
        "paragraphs": [
            {
                "text": text,
                "salutation": n == 0 and text.rstrip().endswith(("：", ":")),
                "closing": n == len(letter.paragraphs) - 1,
            }
            for n, text in enumerate(letter.paragraphs)
        ],
        "date_line": zh_date(letter.dated_on),
    }


def plain_letter_context(letter: PlainLetter) -> dict[str, Any]:
    """The context of ``plain_letter.html``: the letter's fields under ``letter``."""
    fields = _plain_letter_fields(letter)
    return {"letter": fields, "date_line": fields["date_line"]}


def _letter_fields(letter: NoticeLetter | PlainLetter) -> dict[str, Any]:
    if isinstance(letter, NoticeLetter):
        return _notice_letter_fields(letter)
    return _plain_letter_fields(letter)


def notice_batch_context(
    title: str,
    letters: Sequence[NoticeLetter | PlainLetter],
    lines: Sequence[PrintListLine],
    made_on: dt.date,
) -> dict[str, Any]:
    """The context of ``notice_batch.html``: the print list, then every letter on new pages.

    ``letters`` may mix notice letters and plain letters; each letter's fields say which it is
    (``"kind"``: ``"notice"`` or ``"plain"``). ``lines`` are the print list's rows, one per
    letter in the same order (a list that does not match the letters printed after it raises
    ``ValueError``). ``made_on`` dates the list.
    """
    listed = [line.letter_no for line in lines]
    printed = [letter.letter_no for letter in letters]
    if listed != printed:
        raise ValueError(f"the print list {listed} does not match the letters {printed}")
    return {
        "title": title,
        "made_on": zh_date(made_on),
        "count": str(len(letters)),
        "lines": [
            {
                "number": str(n),
                "letter_no": line.letter_no,
                "recipient_name": line.recipient_name,
                "postal_address": line.postal_address or NOT_STATED,
                "kind_label": line.kind_label,
            }
            for n, line in enumerate(lines, start=1)
        ],
        "letters": [_letter_fields(letter) for letter in letters],
        "date_line": zh_date(made_on),
    }


@dataclass(frozen=True, slots=True)
class NoticeClauseLine:
    """A clause of the rating as the 信用等级告知书 summarises it: what it says, what it gave,
    and the facts behind it as printed lines (``rating.explain.describe_evidence``)."""

    clause_id: str
    level_zh: str  # the level the clause leads to, e.g. "黄色"
    text: str
    status_zh: str  # e.g. "触发", "不满足"
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreditLevelNotice:
    """信用等级告知书: a subject's credit level on a date as the utility certifies it, printed
    from the credit file (A4) by an officer and sealed by the issuing utility.

    ``subject_code`` is printed as given (the caller masks a natural person's ID number).
    ``computed_level_zh`` is given when a manual override makes the level in force differ from
    the computed one; ``override_note`` then says why and until when. ``clauses`` are the
    notable clauses (those that gave, failed or could not be decided); empty when the level
    is the policy's fallback with nothing notable.
    """

    issuer: str  # the issuing utility, printed as the letterhead and on the seal line
    subject_name: str
    subject_code: str
    address: str | None
    utility_label: str  # "供水" or "供电"
    policy_title: str
    policy_ref: str  # key and version, e.g. "lianshui-water 2022.1"
    policy_issuer: str | None
    level_zh: str
    computed_level_zh: str | None
    override_note: str | None
    as_of: dt.date
    decided_by: tuple[str, ...]
    clauses: tuple[NoticeClauseLine, ...]
    next_change_on: dt.date | None
    officer: str  # the display name of the officer who printed it
    issued_on: dt.date


def _badge(level_zh: str) -> dict[str, str]:
    background, foreground = LEVEL_BADGE_COLOURS.get(level_zh, _OTHER_LEVEL_COLOURS)
    return {"name": level_zh, "background": background, "foreground": foreground}


def credit_level_notice_context(
    notice: CreditLevelNotice, *, toolbar: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """The context of ``credit_level_notice.html``. ``toolbar`` are (label, href) links shown
    above the document on screen only (the console's page: back, PDF); a PDF gets none."""
    return {
        "issuer": notice.issuer,
        "subject_name": notice.subject_name,
        "subject_code": notice.subject_code,
        "address": notice.address or NOT_STATED,
        "utility_label": notice.utility_label,
        "policy_title": notice.policy_title,
        "policy_ref": notice.policy_ref,
        "policy_issuer": notice.policy_issuer,
        "level": _badge(notice.level_zh),
        "computed_level": _badge(notice.computed_level_zh) if notice.computed_level_zh else None,
        "override_note": notice.override_note,
        "as_of": zh_date(notice.as_of),
        "decided_by": "、".join(notice.decided_by) if notice.decided_by else NOT_STATED,
        "clauses": [
            {
                "number": zh_ordinal(n),
                "clause_id": clause.clause_id,
                "level": _badge(clause.level_zh),
                "text": clause.text,
                "status_zh": clause.status_zh,
                "evidence": list(clause.evidence),
            }
            for n, clause in enumerate(notice.clauses, start=1)
        ],
        # None: no change is foreseen, and the notice says nothing about one.
        "next_change_on": zh_date(notice.next_change_on) if notice.next_change_on else None,
        "officer": notice.officer,
        "issued_on": zh_date(notice.issued_on),
        "date_line": zh_date(notice.issued_on),
        "toolbar": [{"label": label, "href": href} for label, href in toolbar],
    }
