"""The credit level notice (信用等级告知书) of a credit file: the live rating under a policy on a
date, as the utility certifies it on paper, printed by an officer from the subject's page.

It is built from the same credit file and live rating the page shows (``service.credit_file``
and ``service.rate_live``: tenancy, masking and the override in force applied there), so the
paper never says anything the page does not. ``documents`` renders it (HTML, and the PDF with
the letters' renderer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.config import ConsoleSettings
from utilcredit.creditfile import service
from utilcredit.creditfile.model import CreditFileView, RatingView
from utilcredit.customers.model import UTILITY_ZH
from utilcredit.documents.model import CreditLevelNotice, NoticeClauseLine, zh_date
from utilcredit.identifiers import MaskingRule
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.levels import Level

#: The clauses a notice lists: those that gave the level, failed, or could not be decided.
NOTABLE = ("fired", "failed", "unknown")


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    """Who prints which notice: the policy (``None``: the utility's default), the rating date,
    the officer's display name and the day of issue."""

    policy_key: str | None
    as_of: dt.date
    officer: str
    issued_on: dt.date


def issuer_of(loaded: LoadedPolicy, units: Mapping[str, tuple[str, str]]) -> str:
    """The issuing utility: the policy's notice sender, else the deployment's determining unit
    of the policy's utility (``RecordsSettings.determining_units``)."""
    rules = loaded.policy.notices
    if rules is not None:
        return rules.sender
    utility = loaded.policy.utility.value
    return units[utility][0] if utility in units else UTILITY_ZH[utility]


def _level_zh(value: str) -> str:
    try:
        return Level(value).label_zh
    except ValueError:
        return value


def _clause_lines(explanation: Mapping[str, Any]) -> tuple[NoticeClauseLine, ...]:
    clauses = explanation.get("clauses")
    if not isinstance(clauses, list):
        return ()
    return tuple(
        NoticeClauseLine(
            clause_id=str(c["id"]),
            level_zh=_level_zh(str(c["level"])),
            text=str(c["text"]),
            status_zh=str(c["status_zh"]),
            evidence=(str(c["summary"]),) if c.get("summary") else (),
        )
        for c in clauses
        if isinstance(c, dict) and c.get("status") in NOTABLE
    )


def _override_note(rating: RatingView) -> str | None:
    override = rating.level.override
    if override is None:
        return None
    return f"有效期至{zh_date(override.expires_on)}"


def notice_of(
    view: CreditFileView, rating: RatingView, issuer: str, request: NoticeRequest
) -> CreditLevelNotice:
    """The notice of a credit file and its live rating (pure: the caller read both)."""
    policy = rating.policy.policy
    effective = rating.level.effective.value
    computed = rating.level.computed.value
    decided_by = rating.explanation.get("decided_by")
    return CreditLevelNotice(
        issuer=issuer,
        subject_name=view.subject.name,
        subject_code=view.subject.code,
        address=view.subject.address,
        utility_label=UTILITY_ZH[policy.utility.value],
        policy_title=policy.title,
        policy_ref=f"{rating.policy.key} {rating.policy.version}",
        policy_issuer=policy.issuer,
        level_zh=_level_zh(effective),
        computed_level_zh=_level_zh(computed) if computed != effective else None,
        override_note=_override_note(rating) if computed != effective else None,
        as_of=rating.as_of,
        decided_by=tuple(str(d) for d in decided_by) if isinstance(decided_by, list) else (),
        clauses=_clause_lines(rating.explanation),
        next_change_on=rating.next_change,
        officer=request.officer,
        issued_on=request.issued_on,
    )


def credit_level_notice(
    connection: Connection,
    principal: Principal,
    code: str,
    request: NoticeRequest,
    *,
    console: ConsoleSettings,
    units: Mapping[str, tuple[str, str]],
    rule: MaskingRule,
) -> CreditLevelNotice:
    """The notice of a subject's credit file under a policy on a date (masked as the page is:
    a natural person's number and name never in clear on paper)."""
    view = service.credit_file(connection, principal, code, unmasked=False, rule=rule)
    rating = service.rate_live(
        connection,
        principal,
        code,
        policy_key=request.policy_key,
        as_of=request.as_of,
        console=console,
        rule=rule,
    )
    return notice_of(view, rating, issuer_of(rating.policy, units), request)
