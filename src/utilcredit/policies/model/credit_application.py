"""Credit-based applications (信用办水 · 信易电): ``credit_application:``.

Who may apply with a credit report and a signed commitment instead of property papers; the
eligibility tests are the clause tests plus those that read the application itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from utilcredit.policies.model.base import Frozen
from utilcredit.policies.model.conditions import AllOfTest, AnyOfTest, LeafTest


class Business(StrEnum):
    """The business an application is for (SPEC 2.6)."""

    NEW_CONNECTION = "new_connection"  # 报装
    CAPACITY_CHANGE = "capacity_change"  # 增容、减容
    TRANSFER = "transfer"  # 更名过户
    OTHER_CHANGE = "other_change"  # 其他变更类业务

    @property
    def label_zh(self) -> str:
        return BUSINESS_ZH[self]


BUSINESS_ZH = {
    Business.NEW_CONNECTION: "新装（报装）",
    Business.CAPACITY_CHANGE: "增容/减容",
    Business.TRANSFER: "更名过户",
    Business.OTHER_CHANGE: "其他变更",
}


class AddressType(StrEnum):
    """What the supply address stands on (韶关 附件1 一)."""

    STATE_LAND_OWN_BUILDING = "state_land_own_building"  # 国有土地上的自有建筑物
    STATE_LAND_NO_BUILDING = "state_land_no_building"  # 自有的无建筑物国有土地
    COLLECTIVE_LAND = "collective_land"  # 集体土地
    RENTED = "rented"  # 租用的建筑物或场地
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        return ADDRESS_TYPE_ZH[self]


ADDRESS_TYPE_ZH = {
    AddressType.STATE_LAND_OWN_BUILDING: "国有土地上的自有建筑物",
    AddressType.STATE_LAND_NO_BUILDING: "自有的无建筑物国有土地",
    AddressType.COLLECTIVE_LAND: "集体土地",
    AddressType.RENTED: "租用的建筑物或场地",
    AddressType.OTHER: "其他",
}


class ApplicantCategoryTest(Frozen):
    """The applicant is a legal person whose USCC begins with one of ``code_prefixes``
    (登记管理部门码 + 机构类别码; none listed: any legal person, 社会法人).

    ``91`` is an enterprise registered with market regulation (企业); ``92`` an individual
    business (个体工商户); a natural person never matches.
    """

    type: Literal["applicant_category"]
    code_prefixes: tuple[str, ...] = ()
    label: str = Field(min_length=1, description="e.g. 企业用户")


class AddressTypeTest(Frozen):
    """The application's address is of one of the ``allowed`` types."""

    type: Literal["address_type"]
    allowed: tuple[AddressType, ...] = Field(min_length=1)


class PilotZoneTest(Frozen):
    """The application's address lies in an active pilot zone of the policy (an editable table)."""

    type: Literal["pilot_zone"]


class ReportRecentTest(Frozen):
    """A trusted report was downloaded at most ``days`` days before the application date.

    Issued on day I for an application on day D: holds when ``D − days ≤ I ≤ D``.
    """

    type: Literal["report_recent"]
    days: int = Field(ge=0, le=366)


class FoundingDateKnownTest(Frozen):
    """The legal person's founding date is known ("企业成立以来" needs it)."""

    type: Literal["founding_date_known"]


EligibilityTest = Annotated[
    LeafTest
    | AnyOfTest
    | AllOfTest
    | ApplicantCategoryTest
    | AddressTypeTest
    | PilotZoneTest
    | ReportRecentTest
    | FoundingDateKnownTest,
    Field(discriminator="type"),
]


class EligibilityRequirement(Frozen):
    """One condition of a credit-based application (all must hold)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    text: str = Field(min_length=1)
    seed_ref: str | None = None
    interpretation: str | None = None
    test: EligibilityTest


class CreditApplicationRules(Frozen):
    """Who may apply with a credit report and a signed commitment instead of property papers.

    Windowed tests count from the later of the window's start and the subject's founding
    date (湛江 附件3 三、1: "企业注册已超3年的为连续3年，否则为企业成立以来").
    """

    title: str = Field(min_length=1, description="e.g. 信用办水, 信易电")
    seed_ref: str | None = None
    text: str = Field(min_length=1)
    interpretation: str | None = None
    businesses: tuple[Business, ...] = Field(min_length=1)
    report_sources: tuple[str, ...] = Field(
        default=(), description="reports an applicant may bring (none: the policy's)"
    )
    commitment_template: str | None = Field(
        default=None, description="the commitment the applicant signs (commitments/templates)"
    )
    requirements: tuple[EligibilityRequirement, ...] = Field(min_length=1)
