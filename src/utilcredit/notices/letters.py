"""Letters of the outbox as documents: the written notice letter (书面告知函) and the printed
payment demand (催告函), one at a time (preview) or a print batch in one PDF with its print list.

A notice letter is written when it is printed, from the rating it speaks of: the clauses that
fired at the run's date with their evidence, the next-change date, and the policy's paragraphs
(what to rectify, how to object and apply for repair, the deadline) filled in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from sqlalchemy import Connection

from utilcredit.documents.model import (
    NOT_STATED,
    FiredClause,
    NoticeLetter,
    PlainLetter,
    PrintListLine,
    notice_batch_context,
    notice_letter_context,
    plain_letter_context,
    zh_date,
)
from utilcredit.documents.render import render_html, render_pdf
from utilcredit.identifiers import MaskingRule, display_code
from utilcredit.notices.model import KIND_LABELS, NoticeKind, fill
from utilcredit.notices.repository import NoticeLine
from utilcredit.policies.service import policy_at
from utilcredit.rating.explain import describe_evidence
from utilcredit.rating.results import ClauseStatus
from utilcredit.rating.service import explain_subject

Letter = NoticeLetter | PlainLetter


def _as_of(notice: NoticeLine) -> dt.date:
    return dt.date.fromisoformat(notice.variables["as_of_iso"])


def notice_letter(
    connection: Connection, notice: NoticeLine, today: dt.date, rule: MaskingRule
) -> NoticeLetter:
    """The 书面告知函 of a level-change notice, as of its run's date."""
    loaded = policy_at(notice.policy_key, None)
    policy = loaded.policy
    rules = policy.notices
    assert rules is not None
    as_of = _as_of(notice)
    evaluation, change = explain_subject(connection, notice.subject_code, policy, as_of)
    fired = tuple(
        FiredClause(
            result.clause_id,
            policy.clause(result.clause_id).text,
            tuple(describe_evidence(e) for e in result.outcome.evidence),
        )
        for result in evaluation.clauses
        if result.status == ClauseStatus.FIRED
    )
    next_on = change.on
    variables = dict(notice.variables) | {
        "next_change_on": zh_date(next_on) if next_on else NOT_STATED
    }
    return NoticeLetter(
        letter_no=notice.variables.get("notice_no", f"N{notice.id}"),
        sender=rules.sender,
        sender_hotline=rules.hotline,
        sender_office=rules.office,
        recipient_name=notice.subject_name,
        recipient_code=display_code(
            notice.subject_code, notice.subject_kind, clear=False, rule=rule
        ),
        postal_address=notice.recipient,
        utility_label=notice.variables.get("utility_zh", ""),
        policy_title=policy.title,
        policy_issuer=policy.issuer,
        level_zh=notice.variables.get("level_zh", ""),
        previous_level_zh=notice.variables.get("previous_level_zh"),
        as_of=as_of,
        fired=fired,
        paragraphs=tuple(fill(p, variables) for p in rules.letter_paragraphs),
        next_change_on=next_on,
        reply_by=dt.date.fromisoformat(notice.variables["reply_by_iso"]),
        dated_on=today,
    )


def plain_letter(notice: NoticeLine, today: dt.date) -> PlainLetter:
    """A printed message (the 催告函): the policy's letter text for its kind."""
    rules = policy_at(notice.policy_key, None).policy.notices
    assert rules is not None
    return PlainLetter(
        letter_no=notice.variables.get("notice_no", f"N{notice.id}"),
        sender=rules.sender,
        recipient_name=notice.subject_name,
        postal_address=notice.recipient,
        title=notice.title or KIND_LABELS[NoticeKind(notice.kind)],
        paragraphs=tuple(line for line in (notice.body or "").splitlines() if line.strip()),
        dated_on=today,
    )


def letter_of(
    connection: Connection, notice: NoticeLine, today: dt.date, rule: MaskingRule
) -> Letter:
    if notice.kind == NoticeKind.NOTICE_LETTER.value:
        return notice_letter(connection, notice, today, rule)
    return plain_letter(notice, today)


def letter_html(letter: Letter) -> str:
    if isinstance(letter, NoticeLetter):
        return render_html("notice_letter.html", notice_letter_context(letter))
    return render_html("plain_letter.html", plain_letter_context(letter))


def letter_pdf(
    connection: Connection, notice: NoticeLine, today: dt.date, rule: MaskingRule
) -> bytes:
    return render_pdf(letter_html(letter_of(connection, notice, today, rule)))


def print_lines(notices: Sequence[NoticeLine]) -> list[PrintListLine]:
    return [
        PrintListLine(
            n.variables.get("notice_no", f"N{n.id}"),
            n.subject_name,
            n.recipient,
            KIND_LABELS[NoticeKind(n.kind)],
        )
        for n in notices
    ]


def batch_pdf(
    connection: Connection,
    title: str,
    notices: Sequence[NoticeLine],
    today: dt.date,
    rule: MaskingRule,
) -> bytes:
    """One PDF: the print list, then every letter on pages of its own."""
    letters = [letter_of(connection, n, today, rule) for n in notices]
    context = notice_batch_context(title, letters, print_lines(notices), today)
    return render_pdf(render_html("notice_batch.html", context))


def print_list_csv(notices: Sequence[NoticeLine]) -> str:
    """The print list for the post room (UTF-8 with BOM, so Excel reads the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["序号", "函件编号", "收件人", "邮寄地址", "函件类型", "通知编号"])
    for number, (line, notice) in enumerate(zip(print_lines(notices), notices, strict=True), 1):
        writer.writerow(
            [
                number,
                line.letter_no,
                line.recipient_name,
                line.postal_address or "",
                line.kind_label,
                notice.id,
            ]
        )
    return "\ufeff" + buffer.getvalue()
