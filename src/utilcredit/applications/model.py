"""Credit-based applications (信用办水 · 信易电, SPEC 2.6): the workflow and eligibility, pure.

An applicant without property documents applies with a public credit report and a signed
commitment. The flow: applied → surveyed (site survey) → credit_checked (eligibility decided
by the policy's ``credit_application`` rules, explained clause by clause) → commitment_signed →
accepted → connected; or rejected (with a reason) or withdrawn before connection. A withdrawal
before connection records nothing against the subject (湛江 附件3 三、4): its commitment is
withdrawn, not breached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from utilcredit.customers.model import CreditFile
from utilcredit.errors import InvalidInputError
from utilcredit.policies.model.credit_application import CreditApplicationRules
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.dates import subtract_years
from utilcredit.rating.evaluator import run_test
from utilcredit.rating.facts import ApplicationFacts, collect_facts
from utilcredit.rating.results import ClauseStatus, TestOutcome
from utilcredit.workflow import Machine, Transition


class ApplicationStatus(StrEnum):
    APPLIED = "applied"
    SURVEYED = "surveyed"
    CREDIT_CHECKED = "credit_checked"
    COMMITMENT_SIGNED = "commitment_signed"
    ACCEPTED = "accepted"
    CONNECTED = "connected"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


APPLICATION_STATUS_ZH = {
    ApplicationStatus.APPLIED: "已申请",
    ApplicationStatus.SURVEYED: "已现场勘查",
    ApplicationStatus.CREDIT_CHECKED: "已信用核查",
    ApplicationStatus.COMMITMENT_SIGNED: "已签署承诺",
    ApplicationStatus.ACCEPTED: "已受理",
    ApplicationStatus.CONNECTED: "已接火送电（通水）",
    ApplicationStatus.REJECTED: "不予受理",
    ApplicationStatus.WITHDRAWN: "已撤回",
}

_A = ApplicationStatus
_BEFORE_ACCEPTANCE = (_A.APPLIED, _A.SURVEYED, _A.CREDIT_CHECKED, _A.COMMITMENT_SIGNED)

APPLICATION_MACHINE: Machine[ApplicationStatus] = Machine(
    "信用办理申请",
    [
        Transition("survey", _A.APPLIED, _A.SURVEYED),
        Transition("check", _A.SURVEYED, _A.CREDIT_CHECKED),
        Transition("check", _A.CREDIT_CHECKED, _A.CREDIT_CHECKED),  # checked again (new report)
        Transition("sign", _A.CREDIT_CHECKED, _A.COMMITMENT_SIGNED),
        Transition("accept", _A.COMMITMENT_SIGNED, _A.ACCEPTED),
        Transition("connect", _A.ACCEPTED, _A.CONNECTED),
        *(Transition("reject", s, _A.REJECTED) for s in _BEFORE_ACCEPTANCE),
        *(Transition("withdraw", s, _A.WITHDRAWN) for s in (*_BEFORE_ACCEPTANCE, _A.ACCEPTED)),
    ],
    APPLICATION_STATUS_ZH,
    {
        "survey": "现场勘查",
        "check": "信用核查",
        "sign": "签署信用承诺",
        "accept": "受理",
        "connect": "接火送电（通水）",
        "reject": "不予受理",
        "withdraw": "撤回",
    },
)

OPEN_STATUSES = frozenset(_BEFORE_ACCEPTANCE)


class Channel(StrEnum):
    ONLINE = "online"  # 线上（公众号、小程序、网上营业厅、APP）
    COUNTER = "counter"  # 营业厅窗口


CHANNEL_ZH = {Channel.ONLINE: "线上", Channel.COUNTER: "营业厅窗口"}


class Document(StrEnum):
    """Papers an application may carry (present or missing)."""

    PROPERTY_PROOF = "property_proof"  # 物业权属证明
    ID_PROOF = "id_proof"  # 身份证明材料
    BUSINESS_LICENCE = "business_licence"  # 营业执照
    CREDIT_REPORT = "credit_report"  # 公共信用信息报告
    SIGNED_COMMITMENT = "signed_commitment"  # 签字版信用承诺书


DOCUMENT_ZH = {
    Document.PROPERTY_PROOF: "物业权属证明",
    Document.ID_PROOF: "身份证明材料",
    Document.BUSINESS_LICENCE: "营业执照",
    Document.CREDIT_REPORT: "公共信用信息报告",
    Document.SIGNED_COMMITMENT: "签字版信用承诺书",
}


def open_key(utility: str, address: str, business: str) -> str:
    """One open application per address and business: the address compared without spaces."""
    return f"{utility}|{''.join(address.split())}|{business}"


# --------------------------------------------------------------------------------------------
# Eligibility: the policy's requirements, each met / not met / unknown with its evidence
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequirementOutcome:
    id: str
    text: str
    status: ClauseStatus  # held / failed / unknown
    outcome: TestOutcome


@dataclass(frozen=True, slots=True)
class Eligibility:
    policy_key: str
    policy_version: str
    title: str
    checked_on: dt.date
    status: ClauseStatus
    requirements: tuple[RequirementOutcome, ...]
    counted_from: dt.date | None  # the founding date when windows start there

    @property
    def eligible(self) -> bool:
        return self.status == ClauseStatus.HELD


_STATUS = {True: ClauseStatus.HELD, False: ClauseStatus.FAILED, None: ClauseStatus.UNKNOWN}


def since_founding(credit_file: CreditFile, founded_on: dt.date | None) -> CreditFile:
    """The credit file without what is dated before the founding date ("企业成立以来")."""
    if founded_on is None:
        return credit_file
    return CreditFile(
        subject=credit_file.subject,
        utility=credit_file.utility,
        accounts=credit_file.accounts,
        bills=tuple(b for b in credit_file.bills if b.due_on >= founded_on),
        incidents=tuple(i for i in credit_file.incidents if i.occurred_on >= founded_on),
        reminders=tuple(r for r in credit_file.reminders if r.sent_on >= founded_on),
        credit_reports=credit_file.credit_reports,
        commitments=credit_file.commitments,
    )


def evaluate_eligibility(
    policy: Policy,
    credit_file: CreditFile,
    application: ApplicationFacts,
    applied_on: dt.date,
) -> Eligibility:
    """Decide a credit-based application under the policy's rules as of the application date."""
    rules = _rules_of(policy)
    trusted = policy.model_copy(
        update={"report_sources": rules.report_sources or policy.report_sources}
    )
    facts = collect_facts(since_founding(credit_file, application.founded_on), trusted, applied_on)
    facts = replace(facts, application=application)
    results = tuple(
        RequirementOutcome(r.id, r.text, _STATUS[(o := run_test(r.test, facts)).truth], o)
        for r in rules.requirements
    )
    statuses = {r.status for r in results}
    status = (
        ClauseStatus.FAILED
        if ClauseStatus.FAILED in statuses
        else ClauseStatus.UNKNOWN
        if ClauseStatus.UNKNOWN in statuses
        else ClauseStatus.HELD
    )
    founded = application.founded_on
    counted_from = founded if founded and founded > subtract_years(applied_on, 3) else None
    return Eligibility(
        policy.key, policy.version, rules.title, applied_on, status, results, counted_from
    )


def _rules_of(policy: Policy) -> CreditApplicationRules:
    if policy.credit_application is None:
        raise InvalidInputError(
            f"政策 {policy.key} 没有信用办理规则 / policy {policy.key} has no credit application rules"
        )
    return policy.credit_application
