"""What a reader is shown of a credit file: the subject card (masked or in clear), the file's
view and the live rating's. Pure records; the use cases that build them are ``service.py``'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace

from utilcredit.customers.model import AccountLine, CreditReportLine, ReminderLine, SubjectDetail
from utilcredit.identifiers import MaskingRule, mask_id_number, mask_name, mask_phone, subject_ref
from utilcredit.overrides.model import EffectiveLevel, Override
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.rating.explain import JsonValue
from utilcredit.rating.runs.model import CurrentDesignation, LevelChange


@dataclass(frozen=True, slots=True)
class SubjectCard(SubjectDetail):
    """The subject as a reader is shown it: its details, masked unless shown in clear."""

    masked: bool
    ref: str  # what URLs name the subject by (``id-<n>`` for a natural person)


def masked_detail(row: SubjectDetail, rule: MaskingRule) -> SubjectDetail:
    """The details with personal data masked: a natural person's number, name and address,
    anyone's legal representative and phone."""
    natural = row.kind == "natural"
    return replace(
        row,
        code=mask_id_number(row.code, rule) if natural else row.code,
        name=mask_name(row.name) if natural else row.name,
        legal_rep=mask_name(row.legal_rep) if row.legal_rep else None,
        phone=mask_phone(row.phone) if row.phone else None,
        address=None if natural else row.address,
    )


def subject_card(row: SubjectDetail, *, unmasked: bool, rule: MaskingRule) -> SubjectCard:
    """The subject as shown: in clear, or with personal data masked."""
    shown = row if unmasked else masked_detail(row, rule)
    ref = subject_ref(row.id, row.code, row.kind)
    return SubjectCard(**asdict(shown), masked=not unmasked, ref=ref)


@dataclass(frozen=True, slots=True)
class CreditFileView:
    subject: SubjectCard
    utilities: tuple[str, ...]
    accounts: list[AccountLine]
    credit_reports: list[CreditReportLine]
    reminders: list[ReminderLine]
    overrides: list[Override]
    # held (or unknown) in the latest complete run of each policy of the visible utilities
    designations: list[CurrentDesignation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RatingView:
    subject_code: str
    policy: LoadedPolicy
    as_of: dt.date
    level: EffectiveLevel
    explanation: dict[str, JsonValue]
    text: str
    history: list[LevelChange]  # newest first, with the clauses that moved
    next_change: dt.date | None
    overrides: list[Override] = field(default_factory=list)
