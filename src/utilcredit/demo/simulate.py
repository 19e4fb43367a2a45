"""The simulation of one block of subjects: their accounts, bills, payments, incidents, …

A block is a fixed range of subject indexes with its own random stream, so a block's rows do
not depend on how blocks are spread over worker processes. Rows are tuples of strings in the
column order of SPEC 5.2, ready for ``csv.writer``.

The bill/payment loop is the hot path (about 60 bills per subject at the default 4 years): it
works on precomputed month tuples, day ordinals and integer fen, and formats each date once per
run instead of once per row.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from bisect import bisect
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING

from utilcredit.customers.model import PaymentMode, SubjectKind, Utility
from utilcredit.demo import names
from utilcredit.demo.codes import make_ric, make_uscc
from utilcredit.demo.names import pick
from utilcredit.demo.regions import County, Region, get_region
from utilcredit.demo.vocab import (
    ASSET_CLASSES,
    INCIDENT_CUM_WEIGHTS,
    INCIDENT_KINDS,
    INCIDENT_RATE_TOTAL,
    REMINDER_CHANNELS,
    THEFT_BANDS,
    incident_notes,
)

if TYPE_CHECKING:
    from utilcredit.demo.generator import DemoSpec

Row = tuple[str, ...]

# Seasonal usage factors, January … December: water peaks in summer, power in summer (air
# conditioning) and a little in winter (heating).
_SEASON = {
    Utility.WATER: (0.85, 0.85, 0.9, 0.95, 1.0, 1.1, 1.25, 1.3, 1.15, 1.0, 0.9, 0.85),
    Utility.POWER: (1.15, 1.05, 0.95, 0.9, 0.95, 1.1, 1.3, 1.35, 1.1, 0.9, 0.95, 1.1),
}
_UNIT = {Utility.WATER: "m³", Utility.POWER: "kWh"}
_ACCOUNT_PREFIX = {Utility.WATER: "W", Utility.POWER: "P"}
_OLDEST_OPENING = dt.date(1998, 1, 1).toordinal()

# Payment behaviour classes of a subject and their cumulative shares.
_PUNCTUAL, _OCCASIONAL, _CHRONIC, _PARTIAL, _ARREARS = range(5)
_BEHAVIOUR_CUM = (0.75, 0.88, 0.92, 0.96, 1.0)
# (probability a bill is paid late, probability it is paid in two parts) per class. Each
# late or split bill is a late payment (SPEC 3), so over a year: occasional ≈ 1 (mostly
# blue/yellow), partial ≈ 2 (yellow), chronic ≈ 4 (red, some black).
_BEHAVIOUR_RATES = {
    _PUNCTUAL: (0.0, 0.0),
    _OCCASIONAL: (0.08, 0.0),
    _CHRONIC: (0.3, 0.04),
    _PARTIAL: (0.02, 0.15),
    _ARREARS: (0.08, 0.02),
}
# How many of the most recent bills an arrears account leaves unpaid (weights); the age of
# the arrears at as_of is about one month less, so all of the yellow (2-3 months), red (3-6)
# and black (6+) bands occur.
_UNPAID_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20)
_UNPAID_CUM = tuple(float(x) for x in (20, 35, 49, 61, 70, 77, 83, 88, 92, 95, 97, 99, 100))

# Legal-person categories: (cumulative share, authority, entity type, usage scale).
# 9 = market regulation (1 company, 2 individual business, 3 farmers' cooperative),
# 5 = civil affairs (1 association, 2 private non-enterprise, 3 foundation),
# 1 = establishment office (1 organ, 2 public institution), N = agriculture (2 village
# collective), Y = other.
_LEGAL_CATEGORIES: tuple[tuple[float, str, str, str], ...] = (
    (0.78, "9", "1", "large"),
    (0.86, "9", "2", "small"),
    (0.89, "9", "3", "medium"),
    (0.905, "5", "1", "medium"),
    (0.92, "5", "2", "medium"),
    (0.925, "5", "3", "medium"),
    (0.945, "1", "1", "medium"),
    (0.975, "1", "2", "medium"),
    (0.99, "N", "2", "medium"),
    (1.0, "Y", "1", "medium"),
)
_LEGAL_CUM = tuple(c[0] for c in _LEGAL_CATEGORIES)
_GOVERNMENT_ORGANS = (
    "水利局",
    "交通运输局",
    "自然资源局",
    "人民法院",
    "公安局",
    "教育局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "生态环境局",
    "农业农村局",
)
# Monthly usage: (median, log-spread) per scale and utility.
_USAGE = {
    ("large", Utility.WATER): (150.0, 1.2),
    ("large", Utility.POWER): (8000.0, 1.4),
    ("medium", Utility.WATER): (80.0, 0.9),
    ("medium", Utility.POWER): (3000.0, 1.0),
    ("small", Utility.WATER): (25.0, 0.6),
    ("small", Utility.POWER): (600.0, 0.7),
}
_USAGE_CAP = {Utility.WATER: 200_000.0, Utility.POWER: 5_000_000.0}
# Tariffs in 1/10000 CNY per unit: water 3.5-6 CNY/m³, power 0.6-0.9 CNY/kWh.
_TARIFF = {Utility.WATER: (35_000, 60_000), Utility.POWER: (6_000, 9_000)}


_CENTS = tuple(f"{c:02d}" for c in range(100))


def money(fen: int) -> str:
    """Integer fen as a decimal text with two places (never a float artefact)."""
    return f"{fen // 100}.{_CENTS[fen % 100]}"


@dataclass(frozen=True, slots=True)
class Month:
    tag: str  # 202610, part of the bill number
    period: str  # "period_start,period_end" as it appears in a bills line
    due: str
    end_ord: int
    due_ord: int


@dataclass(frozen=True, slots=True)
class Context:
    """Everything derived from the spec once per process, shared by all blocks."""

    seed: int
    region: Region
    as_of_ord: int
    months: tuple[Month, ...]  # the history window, oldest first
    first_month_ord: int  # first day of the window
    month_starts: tuple[int, ...]  # ordinal of each month's first day, for bisect
    day_base: int
    day_str: tuple[str, ...]  # ISO text of every day from day_base to as_of
    # Per utility and window month: (tag, period, due text, end ordinal, due ordinal,
    # seasonal factor); flat tuples because the bill loop unpacks one per bill.
    month_rows: dict[Utility, tuple[tuple[str, str, str, int, int, float], ...]]
    notes: dict[Utility, dict[str, tuple[str, ...]]]
    county_cum: tuple[float, ...]

    def day(self, ordinal: int) -> str:
        return self.day_str[ordinal - self.day_base]


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def build_context(spec: DemoSpec) -> Context:
    region = get_region(spec.region)
    as_of = spec.as_of
    # A month is billed once it is over: the last bill is for the last month ending before
    # as_of.
    last_year, last_month = _add_months(as_of.year, as_of.month, -1)
    months: list[Month] = []
    starts: list[int] = []
    for back in range(spec.years * 12 - 1, -1, -1):
        year, month = _add_months(last_year, last_month, -back)
        start = dt.date(year, month, 1)
        ny, nm = _add_months(year, month, 1)
        end = dt.date(ny, nm, 1) - dt.timedelta(days=1)
        due = dt.date(ny, nm, spec.due_day)
        months.append(
            Month(
                f"{year}{month:02d}",
                f"{start.isoformat()},{end.isoformat()}",
                due.isoformat(),
                end.toordinal(),
                due.toordinal(),
            )
        )
        starts.append(start.toordinal())
    first = starts[0]
    as_of_ord = as_of.toordinal()
    day_str = tuple(dt.date.fromordinal(o).isoformat() for o in range(first, as_of_ord + 1))
    month_rows = {
        u: tuple(
            (m.tag, m.period, m.due, m.end_ord, m.due_ord, _SEASON[u][int(m.tag[4:]) - 1])
            for m in months
        )
        for u in (Utility.WATER, Utility.POWER)
    }
    total = sum(region.county_weights)
    county_cum: list[float] = []
    acc = 0
    for w in region.county_weights:
        acc += w
        county_cum.append(acc / total)
    return Context(
        seed=spec.seed,
        region=region,
        as_of_ord=as_of_ord,
        months=tuple(months),
        first_month_ord=first,
        month_starts=tuple(starts),
        day_base=first,
        day_str=day_str,
        month_rows=month_rows,
        notes={u: incident_notes(u) for u in (Utility.WATER, Utility.POWER)},
        county_cum=tuple(county_cum),
    )


@dataclass(slots=True)
class BlockRows:
    """One block's rows per kind.

    The high-volume kinds (bills, payments, reminders) are kept as ready CSV lines: their
    fields are codes, dates, numbers and fixed words that never need quoting, and joining
    lines is about four times faster than ``csv.writer``. The kinds with free text (names,
    addresses, notes) are tuples for ``csv.writer``, which quotes where needed.
    """

    subjects: list[Row]
    accounts: list[Row]
    bills: list[str]
    payments: list[str]
    incidents: list[Row]
    reminders: list[str]
    credit_reports: list[Row]

    def as_tuple(self) -> tuple[list[Row] | list[str], ...]:
        return (
            self.subjects,
            self.accounts,
            self.bills,
            self.payments,
            self.incidents,
            self.reminders,
            self.credit_reports,
        )


@dataclass(frozen=True, slots=True)
class _Subject:
    index: int
    code: str
    legal: bool
    scale: str
    county: County
    town: str
    address: str
    behaviour: int
    troublemaker: bool


class _BlockSimulator:
    """Generates the rows of one block; one random stream, consumed in subject order."""

    def __init__(self, ctx: Context, block: int) -> None:
        self.ctx = ctx
        # Seeding with a string hashes it with SHA-512: stable across runs and platforms and
        # well decorrelated between neighbouring blocks.
        self.rng = Random(f"utilcredit-demo/{ctx.seed}/{block}")
        self.rows = BlockRows([], [], [], [], [], [], [])

    # -- subjects ----------------------------------------------------------------------

    def subject(self, index: int) -> None:
        rng = self.rng
        ctx = self.ctx
        county = ctx.region.counties[bisect(ctx.county_cum, rng.random())]
        town = pick(rng, county.towns)
        address = self._address(county, town)
        natural = rng.random() < 0.05
        if natural:
            code = make_ric(county.division, index)
            name = names.person_name(rng)
            row: Row = (
                code,
                SubjectKind.NATURAL.value,
                name,
                "身份证",
                "",
                names.phone(rng),
                address,
                town,
            )
            scale = "small"
        else:
            category = _LEGAL_CATEGORIES[bisect(_LEGAL_CUM, rng.random())]
            _, authority, entity_type, scale = category
            # Post-2015 registrations of companies carry "MA…" organisation codes.
            modern = authority == "9" and rng.random() < 0.45
            code = make_uscc(authority, entity_type, county.division, index, modern)
            name = self._legal_name(authority + entity_type, county, town)
            row = (
                code,
                SubjectKind.LEGAL.value,
                name,
                "",
                names.person_name(rng),
                names.phone(rng),
                address,
                town,
            )
        first_account = len(self.rows.accounts)
        behaviour = bisect(_BEHAVIOUR_CUM, rng.random())
        subject = _Subject(
            index,
            code,
            not natural,
            scale,
            county,
            town,
            address,
            behaviour,
            troublemaker=rng.random() < 0.02,
        )
        self._accounts(subject)
        self.rows.subjects.append((*row, self._founded_on(subject, first_account)))
        if subject.legal:
            self._credit_reports(subject)

    def _founded_on(self, s: _Subject, first_account: int) -> str:
        """A legal person's founding date, before its first account opened (natural persons:
        none). Drawn from the code, not the random stream, so the rest of the data set stays
        as it was before founding dates were added."""
        if not s.legal:
            return ""
        opened = min(dt.date.fromisoformat(row[3]) for row in self.rows.accounts[first_account:])
        return (opened - dt.timedelta(days=zlib.crc32(s.code.encode()) % 3650)).isoformat()

    def _address(self, county: County, town: str) -> str:
        region = self.ctx.region
        return f"{region.province}{region.city}{county.name}{town}{names.street_address(self.rng)}"

    def _legal_name(self, category: str, county: County, town: str) -> str:
        rng = self.rng
        region = self.ctx.region
        brand = names.brand(rng)
        if category == "91":
            place = pick(
                rng,
                (county.name, county.name, region.city, region.city_short, region.province_short),
            )
            return place + brand + pick(rng, names.INDUSTRIES) + pick(rng, names.COMPANY_SUFFIXES)
        if category == "92":
            return county.name + town + brand + pick(rng, names.SHOP_KINDS)
        if category == "93":
            return county.name + brand + pick(rng, names.COOPERATIVE_KINDS)
        if category == "51":
            return county.name + pick(rng, names.INDUSTRIES) + "协会"
        if category == "52":
            return county.name + brand + pick(rng, names.SOCIAL_ORG_KINDS)
        if category == "53":
            return region.city + brand + "慈善基金会"
        if category == "11":
            return county.name + pick(rng, _GOVERNMENT_ORGANS)
        if category == "12":
            return county.name + town + pick(rng, names.PUBLIC_BODY_KINDS)
        if category == "N2":
            return county.name + town + names.village_name(rng) + pick(rng, names.VILLAGE_SUFFIXES)
        return county.name + brand + "联合会"

    def _credit_reports(self, s: _Subject) -> None:
        rng = self.rng
        if rng.random() >= 0.85:
            return
        source = self.ctx.region.credit_source
        as_of = self.ctx.as_of_ord
        if rng.random() < 0.08:
            # An older report as well: the policies must pick the latest one.
            issued = as_of - 400 - int(rng.random() * 700)
            self.rows.credit_reports.append(
                (
                    s.code,
                    source,
                    dt.date.fromordinal(issued).isoformat(),
                    "true" if rng.random() < 0.3 else "false",
                    "B",
                    "false",
                )
            )
        # Some reports were downloaded within the last days (Zhanjiang requires ≤ 5 days).
        age = int(rng.random() * 5) if rng.random() < 0.05 else 6 + int(rng.random() * 725)
        serious = rng.random() < 0.005
        dishonest = serious or rng.random() < (0.3 if s.troublemaker else 0.025)
        r = rng.random()
        if r < 0.05:
            rating = ""  # not every platform rates
        elif dishonest:
            rating = "C" if r < 0.6 else "D"
        else:
            rating = "A" if r < 0.86 else ("B" if r < 0.97 else "C")
        self.rows.credit_reports.append(
            (
                s.code,
                source,
                dt.date.fromordinal(as_of - age).isoformat(),
                "true" if dishonest else "false",
                rating,
                "true" if serious else "false",
            )
        )

    # -- accounts ----------------------------------------------------------------------

    def _accounts(self, s: _Subject) -> None:
        rng = self.rng
        r = rng.random()
        # ~70% of subjects have water, ~70% power: 30% water only, 30% power only, 40% both.
        if r < 0.3:
            utilities = [Utility.WATER]
        elif r < 0.6:
            utilities = [Utility.POWER]
        else:
            utilities = [Utility.WATER, Utility.POWER]
        # Further sites with a utility the subject already has: one-utility subjects have
        # 1 account (75%), 2 (20%) or 3 (5%); two-utility subjects 2 (80%) or 3 (20%).
        extra = rng.random()
        if len(utilities) == 2:
            n_extra = 1 if extra < 0.2 else 0
        else:
            n_extra = 2 if extra < 0.05 else (1 if extra < 0.25 else 0)
        for _ in range(n_extra):
            utilities.append(pick(rng, utilities))
        # Prepaid customers cluster: a subject either prefers prepaid or does not.
        p_prepaid = 0.75 if rng.random() < 0.3 else 0.04
        arrears_done = False
        for j, utility in enumerate(utilities):
            seq = s.index * 3 + j + 1  # unique without coordination between blocks
            account_no = f"{_ACCOUNT_PREFIX[utility]}{s.county.division}{seq:07d}"
            if j == 0:
                town, address = s.town, s.address
            else:
                town = pick(rng, s.county.towns)
                address = self._address(s.county, town)
            opened = self._opening(later=j > 0)
            prepaid = rng.random() < p_prepaid
            mode = PaymentMode.PREPAID if prepaid else PaymentMode.POSTPAID
            self.rows.accounts.append(
                (
                    account_no,
                    s.code,
                    utility.value,
                    dt.date.fromordinal(opened).isoformat(),
                    mode.value,
                    address,
                    town,
                )
            )
            # Arrears sit on postpaid accounts: the first one always, further ones sometimes.
            arrears = (
                s.behaviour == _ARREARS and not prepaid and (not arrears_done or rng.random() < 0.3)
            )
            arrears_done = arrears_done or arrears
            bill_months = self._bills(s, account_no, utility, opened, prepaid, arrears)
            self._incidents(s, account_no, utility, opened, bill_months)

    def _opening(self, later: bool) -> int:
        """Opening date: most accounts predate the history window, some open during it."""
        rng = self.rng
        ctx = self.ctx
        if rng.random() < (0.45 if later else 0.25):
            span = ctx.as_of_ord - 20 - ctx.first_month_ord
            return ctx.first_month_ord + int(rng.random() * max(span, 1))
        span = ctx.first_month_ord - 1 - _OLDEST_OPENING
        return _OLDEST_OPENING + int(rng.random() * span)

    # -- bills and payments (hot path) -------------------------------------------------

    def _bills(
        self,
        s: _Subject,
        account_no: str,
        utility: Utility,
        opened: int,
        prepaid: bool,
        arrears: bool,
    ) -> int:
        """Write the account's monthly bills and payments; return the number of bills."""
        rng = self.rng
        rand = rng.random
        ctx = self.ctx
        months = ctx.months
        n_months = len(months)
        # Billing starts with the first full month after the opening date.
        first = bisect(ctx.month_starts, opened)
        if first >= n_months:
            return 0
        median, spread = _USAGE[(s.scale, utility)]
        base = min(rng.lognormvariate(math.log(median), spread), _USAGE_CAP[utility])
        low, high = _TARIFF[utility]
        tariff = low + int(rand() * (high - low))
        unit = _UNIT[utility]
        as_of = ctx.as_of_ord
        day_str = ctx.day_str
        day_base = ctx.day_base
        if prepaid:
            p_late, p_partial = 0.0, 0.0
        else:
            p_late, p_partial = _BEHAVIOUR_RATES[s.behaviour]
        p_odd = p_late + p_partial
        unpaid_from = n_months
        if arrears:
            k = _UNPAID_COUNTS[bisect(_UNPAID_CUM, rand() * 100.0)]
            unpaid_from = max(first, n_months - k)
        bills_append = self.rows.bills.append
        pay_append = self.rows.payments.append
        oldest_unpaid_due = 0
        late_reminders: list[int] = []
        cents = _CENTS
        rows = ctx.month_rows[utility]
        for mi in range(first, n_months):
            tag, period, due_str, end_ord, due, factor = rows[mi]
            usage = int(base * factor * (0.85 + 0.3 * rand())) + 1
            fen = (usage * tariff + 50) // 100
            amount = f"{fen // 100}.{cents[fen % 100]}"
            bill_no = f"{account_no}-{tag}"
            bills_append(f"{bill_no},{account_no},{period},{usage},{unit},{amount},{due_str}")
            if mi >= unpaid_from:
                if not oldest_unpaid_due:
                    oldest_unpaid_due = due
                continue
            if prepaid:
                paid = end_ord  # deducted from the prepaid balance at the billing run
            else:
                r = rand()
                if r >= p_odd or fen < 2:
                    # On time: a few days before the due date, after the period ends.
                    paid = due - 1 - int(rand() * 12)
                    if paid <= end_ord:
                        paid = end_ord + 1
                elif r < p_late:
                    paid = due + 1 + int(rand() * 90)  # within about three months
                    if paid - due > 20 and rand() < 0.5:
                        late_reminders.append(due + 7 + int(rand() * 8))
                else:
                    # Two payments: part before the due date, the rest some weeks late.
                    part = fen * (30 + int(rand() * 51)) // 100 or 1
                    paid = due - 1 - int(rand() * 10)
                    if paid <= end_ord:
                        paid = end_ord + 1
                    if paid > as_of:
                        # The latest bill when as_of falls between its period's end and its
                        # due date: no part of it is paid yet.
                        if not oldest_unpaid_due:
                            oldest_unpaid_due = due
                        continue
                    pay_append(
                        f"{bill_no}-1,{bill_no},{day_str[paid - day_base]},"
                        f"{part // 100}.{cents[part % 100]}"
                    )
                    paid = due + 5 + int(rand() * 56)
                    if paid > as_of:
                        if not oldest_unpaid_due:
                            oldest_unpaid_due = due
                        continue
                    rest = fen - part
                    pay_append(
                        f"{bill_no}-2,{bill_no},{day_str[paid - day_base]},"
                        f"{rest // 100}.{cents[rest % 100]}"
                    )
                    continue
            if paid > as_of:
                # Not paid yet at as_of (a late payer's latest bill, or one not yet due).
                if not oldest_unpaid_due:
                    oldest_unpaid_due = due
                continue
            pay_append(f"{bill_no}-1,{bill_no},{day_str[paid - day_base]},{amount}")
        self._reminders(account_no, oldest_unpaid_due, late_reminders)
        return n_months - first

    def _reminders(self, account_no: str, oldest_unpaid_due: int, late: list[int]) -> None:
        """催告: a reminder for some late bills, and a series for arrears open at as_of."""
        if not late and not oldest_unpaid_due:
            return  # the common case: a customer who pays
        rng = self.rng
        ctx = self.ctx
        as_of = ctx.as_of_ord
        dates = [d for d in late if d <= as_of]
        if oldest_unpaid_due and oldest_unpaid_due < as_of - 10:
            t = oldest_unpaid_due + 10 + int(rng.random() * 10)
            while t <= as_of and len(dates) < len(late) + 6:
                dates.append(t)
                t += 25 + int(rng.random() * 15)
        append = self.rows.reminders.append
        for k, d in enumerate(dates, start=1):
            # Long-overdue arrears get a written letter; otherwise the quick channels.
            if oldest_unpaid_due and d - oldest_unpaid_due > 75:
                channel = "letter"
            else:
                channel = pick(rng, REMINDER_CHANNELS)
            append(f"{account_no}-C{k:02d},{account_no},{ctx.day(d)},{channel}")

    # -- incidents ---------------------------------------------------------------------

    def _incidents(
        self, s: _Subject, account_no: str, utility: Utility, opened: int, n_bills: int
    ) -> None:
        rng = self.rng
        ctx = self.ctx
        as_of = ctx.as_of_ord
        start = max(opened, ctx.first_month_ord)
        span = as_of - start + 1
        if span <= 0:
            return
        rate = INCIDENT_RATE_TOTAL * span / 365.25 * (12.0 if s.troublemaker else 1.0)
        count = _poisson(rng, rate)
        if not count:
            return
        notes = ctx.notes[utility]
        append = self.rows.incidents.append
        for k in range(1, count + 1):
            kind = rng.choices(INCIDENT_KINDS, cum_weights=INCIDENT_CUM_WEIGHTS)[0]
            if s.troublemaker and rng.random() < 0.5:
                # Troublemakers' incidents bunch in the last year, where most clauses look.
                day = max(start, as_of - int(rng.random() * 365))
            else:
                day = start + int(rng.random() * span)
            amount = asset = severity = ""
            if kind == "late_payment":
                if not n_bills:
                    continue
                # The billing system dates a late payment at the bill's due date.
                due = ctx.months[len(ctx.months) - 1 - int(rng.random() * n_bills)].due_ord
                if due >= as_of:
                    continue
                day = due
            elif kind == "theft":
                r = rng.random()
                _, low, high = next(b for b in THEFT_BANDS[utility] if r < b[0])
                amount = money(int(math.exp(rng.uniform(math.log(low), math.log(high)))))
            elif kind == "violation" and rng.random() < 0.3:
                amount = money(50_000 + int(rng.random() * 4_950_000))  # 违约使用费
            elif kind == "outage_caused":
                r = rng.random()
                asset = next(a for a, c in ASSET_CLASSES[utility] if r < c)
            elif kind == "facility_damage":
                if rng.random() < 0.75:
                    severity = "minor"
                    amount = money(200_000 + int(rng.random() * 4_800_000))  # compensation
                else:
                    severity = "serious"
            note = pick(rng, notes[kind])
            if severity == "minor":
                note += "，已主动赔偿"
            append(
                (
                    f"{account_no}-E{k:02d}",
                    account_no,
                    kind,
                    ctx.day(day),
                    amount,
                    asset,
                    severity,
                    note,
                )
            )


def _poisson(rng: Random, mean: float) -> int:
    """Poisson variate by inversion; the means here are small (well under 10)."""
    u = rng.random()
    p = math.exp(-mean)
    cum = p
    n = 0
    while u > cum and n < 1000:
        n += 1
        p *= mean / n
        cum += p
    return n


def simulate_block(ctx: Context, block: int, start: int, stop: int) -> BlockRows:
    """The rows of subjects ``start`` (inclusive) to ``stop`` (exclusive) of block ``block``."""
    sim = _BlockSimulator(ctx, block)
    for index in range(start, stop):
        sim.subject(index)
    return sim.rows
