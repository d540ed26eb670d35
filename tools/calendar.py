"""Business-day arithmetic on the US federal calendar (weekends and federal holidays off).

Refund timelines and some reply clocks are counted in business days; banks follow the
federal calendar, so the `holidays` package supplies it instead of a hand-kept list.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _us_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start` (start itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def add_days(start: date, days: int, kind: str) -> date:
    """Add calendar or business days, as a policy file names them."""
    if kind == "business":
        return add_business_days(start, days)
    if kind == "calendar":
        return start + timedelta(days=days)
    raise ValueError(f"unknown day kind {kind!r}")
