"""The simulation of one block of subjects: their accounts, bills, payments, incidents, …

A block is a fixed range of subject indexes with its own random stream, so a block's rows do
not depend on how blocks are spread over worker processes. Rows are tuples of strings in the
column order of SPEC 5.2, ready for ``csv.writer``.

The bill/payment loop is the hot path (about 60 bills per subject at the default 4 years): it
works on precomputed month tuples, day ordinals and integer fen, and formats each date once per
run instead of once per row.

What is derived from the spec once lives in :mod:`~utilcredit.demo.context`, the population's
shares and rates in :mod:`~utilcredit.demo.profiles`, names in :mod:`~utilcredit.demo.names`.
The simulator itself stays one class: its subjects, accounts, bills, reminders and incidents
draw from one random stream in a fixed order, and that order is part of the output.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from bisect import bisect
from dataclasses import dataclass
from random import Random

from utilcredit.customers.model import PaymentMode, SubjectKind, Utility
from utilcredit.demo import names
from utilcredit.demo.codes import make_ric, make_uscc
from utilcredit.demo.context import Context
from utilcredit.demo.names import pick
from utilcredit.demo.profiles import (
    ACCOUNT_PREFIX,
    ARREARS,
    BEHAVIOUR_CUM,
    BEHAVIOUR_RATES,
    LEGAL_CATEGORIES,
    LEGAL_CUM,
    OLDEST_OPENING,
    TARIFF,
    UNIT,
    UNPAID_COUNTS,
    UNPAID_CUM,
    USAGE,
    USAGE_CAP,
)
from utilcredit.demo.regions import County
from utilcredit.demo.vocab import (
    ASSET_CLASSES,
    INCIDENT_CUM_WEIGHTS,
    INCIDENT_KINDS,
    INCIDENT_RATE_TOTAL,
    REMINDER_CHANNELS,
    THEFT_BANDS,
)

Row = tuple[str, ...]

_CENTS = tuple(f"{c:02d}" for c in range(100))


def money(fen: int) -> str:
    """Integer fen as a decimal text with two places (never a float artefact)."""
    return f"{fen // 100}.{_CENTS[fen % 100]}"


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
            category = LEGAL_CATEGORIES[bisect(LEGAL_CUM, rng.random())]
            _, authority, entity_type, scale = category
            # Post-2015 registrations of companies carry "MA…" organisation codes.
            modern = authority == "9" and rng.random() < 0.45
            code = make_uscc(authority, entity_type, county.division, index, modern)
            name = names.legal_name(rng, authority + entity_type, self.ctx.region, county, town)
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
        behaviour = bisect(BEHAVIOUR_CUM, rng.random())
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
            account_no = f"{ACCOUNT_PREFIX[utility]}{s.county.division}{seq:07d}"
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
                s.behaviour == ARREARS and not prepaid and (not arrears_done or rng.random() < 0.3)
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
        span = ctx.first_month_ord - 1 - OLDEST_OPENING
        return OLDEST_OPENING + int(rng.random() * span)

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
        median, spread = USAGE[(s.scale, utility)]
        base = min(rng.lognormvariate(math.log(median), spread), USAGE_CAP[utility])
        low, high = TARIFF[utility]
        tariff = low + int(rand() * (high - low))
        unit = UNIT[utility]
        as_of = ctx.as_of_ord
        day_str = ctx.day_str
        day_base = ctx.day_base
        if prepaid:
            p_late, p_partial = 0.0, 0.0
        else:
            p_late, p_partial = BEHAVIOUR_RATES[s.behaviour]
        p_odd = p_late + p_partial
        unpaid_from = n_months
        if arrears:
            k = UNPAID_COUNTS[bisect(UNPAID_CUM, rand() * 100.0)]
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
