"""Incident details: kinds with their yearly rates, notes, asset classes, amounts.

Rates are per account-year. They are higher than a real utility's so that every kind of
SPEC 5.3 appears in a test-sized data set (a couple of thousand subjects), while staying low
enough that most customers are clean. A small share of "troublemaker" accounts get a multiple
of these rates, which is what makes the count-based clauses (2 violations in a year, 4 hazards)
fire at all.
"""

from __future__ import annotations

from itertools import accumulate

from utilcredit.customers.model import IncidentKind, Utility

INCIDENT_RATES: tuple[tuple[IncidentKind, float], ...] = (
    (IncidentKind.VIOLATION, 0.012),
    (IncidentKind.THEFT, 0.006),
    (IncidentKind.HAZARD_UNRECTIFIED, 0.014),
    (IncidentKind.METER_REFUSAL, 0.005),
    (IncidentKind.OUTAGE_CAUSED, 0.003),
    (IncidentKind.FACILITY_DAMAGE, 0.003),
    (IncidentKind.PROTECTION_ZONE_WORK, 0.002),
    (IncidentKind.PLAN_REFUSAL, 0.002),
    (IncidentKind.ORDER_DISRUPTION, 0.002),
    (IncidentKind.MALICIOUS_COMPLAINT, 0.002),
    (IncidentKind.GENERAL_DISHONESTY, 0.004),
    (IncidentKind.SERIOUS_DISHONESTY, 0.002),
    (IncidentKind.COMMITMENT_BREACH, 0.003),
    (IncidentKind.LATE_PAYMENT, 0.002),  # only when the billing system reports it itself
)
INCIDENT_KINDS: tuple[str, ...] = tuple(str(kind) for kind, _ in INCIDENT_RATES)
INCIDENT_CUM_WEIGHTS: tuple[float, ...] = tuple(accumulate(rate for _, rate in INCIDENT_RATES))
INCIDENT_RATE_TOTAL: float = INCIDENT_CUM_WEIGHTS[-1]

# (asset class, cumulative probability); the policies distinguish DN160 from DN300 for water
# and 10/20 kV from 35 kV for power.
ASSET_CLASSES: dict[Utility, tuple[tuple[str, float], ...]] = {
    Utility.WATER: (("DN160", 0.65), ("DN300", 1.0)),
    Utility.POWER: (("10kV", 0.6), ("20kV", 0.85), ("35kV", 1.0)),
}

# Theft amounts in fen: (cumulative probability, low, high). Water thresholds are 10,000 CNY;
# Huaiyin's power threshold is 500,000 CNY, so power thefts straddle both.
THEFT_BANDS: dict[Utility, tuple[tuple[float, int, int], ...]] = {
    Utility.WATER: (
        (0.72, 500_00, 9_999_99),
        (0.97, 10_000_00, 99_999_99),
        (1.0, 100_000_00, 300_000_00),
    ),
    Utility.POWER: (
        (0.45, 1_000_00, 9_999_99),
        (0.88, 10_000_00, 499_999_99),
        (1.0, 500_000_00, 1_500_000_00),
    ),
}

_NOTES: dict[str, tuple[str, ...]] = {
    "violation": ("擅自改变{u}类别", "擅自超过合同约定容量{u}", "擅自转供{n}", "擅自迁移计量装置"),
    "theft": ("绕越计量装置{u}", "私接{n}管线", "擅自开启已封存设施", "伪造或开启计量装置封印"),
    "hazard_unrectified": ("安全隐患通知后逾期未整改", "{n}设施存在隐患未按期整改"),
    "meter_refusal": ("计量装置故障拒不配合整改", "计量装置故障拒不补缴{n}费"),
    "outage_caused": ("内部故障引起公共{g}停{n}", "违章施工造成公共{g}停{n}"),
    "facility_damage": ("故意损坏供{n}设施", "施工损坏供{n}设施"),
    "protection_zone_work": ("在设施保护区内违规施工，拒不听从劝阻",),
    "plan_refusal": ("拒不执行有序{u}方案", "拒签有序{u}协议"),
    "order_disruption": ("在营业场所滋事，扰乱供{n}秩序", "阻挠抄表及检修作业"),
    "malicious_complaint": ("歪曲{u}事实恶意投诉以谋取不当利益",),
    "general_dishonesty": ("提供虚假报装资料", "未按约定履行整改承诺"),
    "serious_dishonesty": ("伪造证明材料骗取供{n}", "经认定的严重失信行为"),
    "commitment_breach": ("未在承诺期限内补齐产权证明材料", "违反信用承诺"),
    "late_payment": ("营收系统上报逾期交费",),
}
_TERMS: dict[Utility, dict[str, str]] = {
    Utility.WATER: {"u": "用水", "n": "水", "g": "供水管网"},
    Utility.POWER: {"u": "用电", "n": "电", "g": "电网"},
}


def incident_notes(utility: Utility) -> dict[str, tuple[str, ...]]:
    """The note texts of each incident kind with the utility's wording filled in."""
    terms = _TERMS[utility]
    return {kind: tuple(t.format(**terms) for t in texts) for kind, texts in _NOTES.items()}


REMINDER_CHANNELS = ("sms", "phone", "wechat")
