"""Who the synthetic customers are and how they behave: the shape of the demo population.

Shares of legal-person categories, payment behaviour classes and their rates, unpaid arrears,
usage and tariffs, seasons. They are part of the output definition: changing any of them
changes the data a given seed produces. :mod:`~utilcredit.demo.simulate` draws from them.
"""

from __future__ import annotations

import datetime as dt

from utilcredit.customers.model import Utility

# Seasonal usage factors, January … December: water peaks in summer, power in summer (air
# conditioning) and a little in winter (heating).
SEASON = {
    Utility.WATER: (0.85, 0.85, 0.9, 0.95, 1.0, 1.1, 1.25, 1.3, 1.15, 1.0, 0.9, 0.85),
    Utility.POWER: (1.15, 1.05, 0.95, 0.9, 0.95, 1.1, 1.3, 1.35, 1.1, 0.9, 0.95, 1.1),
}
UNIT = {Utility.WATER: "m³", Utility.POWER: "kWh"}
ACCOUNT_PREFIX = {Utility.WATER: "W", Utility.POWER: "P"}
OLDEST_OPENING = dt.date(1998, 1, 1).toordinal()

# Payment behaviour classes of a subject and their cumulative shares.
PUNCTUAL, OCCASIONAL, CHRONIC, PARTIAL, ARREARS = range(5)
BEHAVIOUR_CUM = (0.75, 0.88, 0.92, 0.96, 1.0)
# (probability a bill is paid late, probability it is paid in two parts) per class. Each
# late or split bill is a late payment (SPEC 3), so over a year: occasional ≈ 1 (mostly
# blue/yellow), partial ≈ 2 (yellow), chronic ≈ 4 (red, some black).
BEHAVIOUR_RATES = {
    PUNCTUAL: (0.0, 0.0),
    OCCASIONAL: (0.08, 0.0),
    CHRONIC: (0.3, 0.04),
    PARTIAL: (0.02, 0.15),
    ARREARS: (0.08, 0.02),
}
# How many of the most recent bills an arrears account leaves unpaid (weights); the age of
# the arrears at as_of is about one month less, so all of the yellow (2-3 months), red (3-6)
# and black (6+) bands occur.
UNPAID_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20)
UNPAID_CUM = tuple(float(x) for x in (20, 35, 49, 61, 70, 77, 83, 88, 92, 95, 97, 99, 100))

# Legal-person categories: (cumulative share, authority, entity type, usage scale).
# 9 = market regulation (1 company, 2 individual business, 3 farmers' cooperative),
# 5 = civil affairs (1 association, 2 private non-enterprise, 3 foundation),
# 1 = establishment office (1 organ, 2 public institution), N = agriculture (2 village
# collective), Y = other.
LEGAL_CATEGORIES: tuple[tuple[float, str, str, str], ...] = (
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
LEGAL_CUM = tuple(c[0] for c in LEGAL_CATEGORIES)
# Monthly usage: (median, log-spread) per scale and utility.
USAGE = {
    ("large", Utility.WATER): (150.0, 1.2),
    ("large", Utility.POWER): (8000.0, 1.4),
    ("medium", Utility.WATER): (80.0, 0.9),
    ("medium", Utility.POWER): (3000.0, 1.0),
    ("small", Utility.WATER): (25.0, 0.6),
    ("small", Utility.POWER): (600.0, 0.7),
}
USAGE_CAP = {Utility.WATER: 200_000.0, Utility.POWER: 5_000_000.0}
# Tariffs in 1/10000 CNY per unit: water 3.5-6 CNY/m³, power 0.6-0.9 CNY/kWh.
TARIFF = {Utility.WATER: (35_000, 60_000), Utility.POWER: (6_000, 9_000)}
