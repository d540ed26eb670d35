"""Urgency: how soon a person should look at a conversation, and why, in words.

A pure function of what the run knows: the risk flags, the customer's tone, the time left on the platform's
reply clock, the order's value and what the tools found (a lost parcel, tracking gone quiet, a parcel marked
delivered that never arrived, a refund past its due date). The route node stores it with its reasons, the
routing priority follows it, and the console raises it live as the clock runs, all through this one module.
The text rules' urgency from triage (agent/triage/rules.py: "asap", "urgent") is an input and never lowered.

Levels, low < normal < high < critical:
- critical: a legal threat, a BBB or attorney-general complaint, an injury or safety report, a chargeback or
  claim; or CLOCK_CRITICAL_HOURS or less left on the platform's clock (or the reply is overdue).
- high: abusive language; a lost parcel, no carrier scan for the seller's trace threshold, a parcel past the
  carrier's own estimate, a parcel marked delivered the customer does not have, a refund past its due date;
  CLOCK_HIGH_HOURS or less left; the customer says it is urgent; an upset customer.
- one step up: an order worth HIGH_VALUE_ORDER or more with one of those tool findings.
- low: thanks or praise, nothing wrong, time on the clock.
Only what makes a conversation more than normal is listed as a reason, most urgent first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field

from agent.clocks import URGENT_FLAGS
from agent.plans import PlanOutcome
from agent.schemas import Sentiment, Urgency
from tools.policy.loader import PlatformPolicy

LEVELS: tuple[Urgency, ...] = ("low", "normal", "high", "critical")
_RANK = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Thresholds:
    # 2 h: less than a reply cycle away from missing the platform's clock (a late reply counts against the
    # seller's account health), so someone must act now
    clock_critical_hours: float = 2.0
    # 8 h: less than one working shift away; whoever is on now has to answer it, not the next shift
    clock_high_hours: float = 8.0
    # $250: about the top fifth of the demo store's orders (median $76); a claim, chargeback or bad review on
    # an order this size costs the seller the most, so a problem with one goes one step up
    high_value_order: Decimal = Decimal("250")


DEFAULT_THRESHOLDS = Thresholds()

# risk flags that set a floor on their own (reason in the words a person scans for)
FLAG_URGENCY: dict[str, tuple[Urgency, str]] = {
    "legal_threat": ("critical", "legal threat"),
    "bbb_or_attorney_general": ("critical", "BBB or attorney-general complaint"),
    "injury_or_safety": ("critical", "injury or safety report"),
    "claim_or_chargeback": ("critical", "chargeback or claim filed"),
    "abusive": ("high", "abusive language"),
}
CUSTOMER_SAYS_URGENT = "customer says it's urgent"
UPSET = "upset customer"
NOTHING_WRONG = "thanks or praise, nothing to fix"


class Findings(BaseModel):
    """What the tools and the plan found that costs the customer (and the seller) while it waits."""

    parcel_lost: bool = False
    no_scan_days: int | None = Field(default=None, description="No carrier scan for at least this many days.")
    past_carrier_estimate: bool = False
    not_received: bool = Field(default=False, description="Marked delivered; the customer says it is not there.")
    not_received_hours: int | None = Field(default=None, description="...and it was marked delivered this long ago.")
    refund_overdue_days: int | None = None
    order_value: Decimal | None = None

    def problems(self) -> list[str]:
        """The findings as reasons (the order value is not a problem by itself)."""
        found = []
        if self.parcel_lost:
            found.append("parcel lost")
        if self.no_scan_days:
            found.append(f"no tracking scan for {self.no_scan_days}+ days")
        if self.past_carrier_estimate:
            found.append("past the carrier's delivery estimate")
        if self.not_received:
            found.append(f"marked delivered over {self.not_received_hours} h ago, not received"
                         if self.not_received_hours else "marked delivered, not received")
        if self.refund_overdue_days:
            days = self.refund_overdue_days
            found.append(f"refund {days} day{'s' if days != 1 else ''} overdue")
        return found


class UrgencySignals(BaseModel):
    text_urgency: Urgency = "normal"
    risk_flags: list[str] = Field(default_factory=list)
    sentiment: Sentiment = "neutral"
    hours_left: float | None = Field(default=None, description="On the platform's reply clock; negative: overdue.")
    clock: str | None = Field(default=None, description="The clock in words: \"Amazon's 24 h clock\".")
    findings: Findings = Field(default_factory=Findings)


class Assessment(BaseModel):
    level: Urgency
    reasons: list[str] = Field(default_factory=list)


def rank(level: str | None) -> int:
    """Unknown or missing levels rank with normal."""
    return _RANK.get(level or "normal", _RANK["normal"])


def step_up(level: Urgency) -> Urgency:
    return LEVELS[min(rank(level) + 1, len(LEVELS) - 1)]


def assess(signals: UrgencySignals, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Assessment:
    """The urgency and the reasons that make it more than normal (most urgent first)."""
    found: list[tuple[Urgency, str]] = []  # every signal that on its own makes the conversation more than normal
    flagged: Urgency = "normal"
    for flag in signals.risk_flags:
        if flag in FLAG_URGENCY:
            level, why = FLAG_URGENCY[flag]
            found.append((level, why))
            flagged = _max(flagged, level)
    if rank(signals.text_urgency) > rank(flagged):  # the words themselves ("asap", "need it by Friday")
        found.append((signals.text_urgency, CUSTOMER_SAYS_URGENT))
    problems = signals.findings.problems()
    found += [("high", p) for p in problems]
    if signals.hours_left is not None:
        clock_level = clock_urgency(signals.hours_left, thresholds)
        if rank(clock_level) > rank("normal"):
            found.append((clock_level, clock_reason(signals.hours_left, signals.clock)))
    if signals.sentiment == "negative":
        found.append(("high", UPSET))
    level = _max("normal", signals.text_urgency, *(lvl for lvl, _ in found))
    value = signals.findings.order_value
    if problems and value is not None and value >= thresholds.high_value_order:
        # a problem with an expensive order: one step above what the problem alone is worth
        level = _max(level, step_up("high"))
        found.append(("high", f"order {money(value)}"))  # listed with the problems it raises
    if not found and signals.sentiment == "positive" and rank(signals.text_urgency) <= rank("normal"):
        return Assessment(level="low", reasons=[NOTHING_WRONG])
    ordered = sorted(found, key=lambda item: -rank(item[0]))  # stable: same level keeps the order above
    return Assessment(level=level, reasons=list(dict.fromkeys(why for _, why in ordered)))


def clock_urgency(hours_left: float, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Urgency:
    """What the reply clock alone asks for (the routing priority uses the same thresholds)."""
    if hours_left <= thresholds.clock_critical_hours:
        return "critical"
    if hours_left <= thresholds.clock_high_hours:
        return "high"
    return "normal"


def clock_reason(hours_left: float, clock: str | None) -> str:
    """'2 h left on Amazon's 24 h clock', 'reply 3 h overdue on eBay's 3-business-day clock'."""
    on = clock or "the platform's reply clock"
    if hours_left < 0:
        return f"reply {_span(-hours_left)} overdue on {on}"
    return f"{_span(hours_left)} left on {on}"


def is_clock_reason(reason: str) -> bool:
    """Reasons about the clock go stale as it runs: the console replaces them with the live one."""
    return reason.endswith(" clock") and (" left on " in reason or reason.startswith("reply "))


def clock_name(policy: PlatformPolicy, risk_flags: Iterable[str]) -> str:
    """The clock a reply is due on, in words (agent/clocks.py decides which one applies)."""
    messaging = policy.messaging
    if messaging.urgent_reply_hours and URGENT_FLAGS & set(risk_flags):
        return f"{policy.display_name}'s {messaging.urgent_reply_hours} h clock"
    if messaging.clock == "business":
        days, hours = divmod(messaging.first_reply_hours, 24)
        if days and not hours:
            return f"{policy.display_name}'s {days}-business-day clock"
    return f"{policy.display_name}'s {messaging.first_reply_hours} h clock"


def displayed(stored: str | None, reasons: Sequence[str], hours_left: float | None, clock: str | None,
              thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Assessment | None:
    """The urgency the console shows now: the stored one, never lower, raised by the clock as it runs down.

    While the customer waits, a stored clock reason (written when the message was handled) is replaced by
    the live one. None when nothing is known yet (not triaged) and the clock does not press."""
    level: Urgency | None = stored if stored in _RANK else None
    if hours_left is None:
        return Assessment(level=level, reasons=list(reasons)) if level else None
    kept = [r for r in reasons if not is_clock_reason(r)]
    clock_level = clock_urgency(hours_left, thresholds)
    if rank(clock_level) <= rank("normal"):
        return Assessment(level=level, reasons=kept) if level else None
    live = clock_reason(hours_left, clock)
    level = _max(level or "normal", clock_level)
    return Assessment(level=level, reasons=[live, *kept] if clock_level == level else [*kept, live])


def findings_from_run(outcome: PlanOutcome | None, tool_results: Sequence[dict[str, Any]], today: date) -> Findings:
    """Read the findings off the plan's answer (agent/plans.py names the situation it found by its template,
    for the main request and each further one) and the tool results (refund due dates, the order's total)."""
    answers = [(outcome.template, outcome.slots), *((x.get("template"), x.get("slots") or {}) for x in outcome.extra)] \
        if outcome else []
    findings = Findings()
    for template, slots in answers:
        if template == "status_lost":
            findings.parcel_lost = True
        elif template in ("status_stalled_trace", "status_stalled_marketplace"):
            findings.no_scan_days = _int(slots.get("trace_days")) or findings.no_scan_days
        elif template == "status_stalled_late":
            findings.past_carrier_estimate = True
        elif template in ("delivered_not_received", "delivered_not_received_claim", "delivered_elsewhere"):
            findings.not_received = True  # a delivery scanned in another town is not received either
            if template == "delivered_not_received_claim":
                findings.not_received_hours = _int(slots.get("wait_hours"))
    findings.refund_overdue_days = _refund_overdue_days(tool_results, today)
    findings.order_value = _order_value(outcome.order_id if outcome else None, tool_results)
    return findings


def _refund_overdue_days(tool_results: Sequence[dict[str, Any]], today: date) -> int | None:
    """Days past the due date of the most overdue refund: a return received back whose refund is late."""
    late = [(today - date.fromisoformat(r["refund_due_by"])).days
            for result in tool_results if result.get("ok") and result.get("name") == "get_refund_status"
            for r in (result.get("data") or {}).get("returns", [])
            if r.get("status") == "received" and r.get("refund_due_by")
            and today > date.fromisoformat(r["refund_due_by"])]
    return max(late) if late else None


def _order_value(order_id: str | None, tool_results: Sequence[dict[str, Any]]) -> Decimal | None:
    """The total of the order the reply is about (or of the only order looked up)."""
    totals: dict[str, Decimal] = {}
    for result in tool_results:
        data = result.get("data") or {}
        if result.get("ok") and data.get("order_id") and data.get("total") is not None:
            try:
                totals[data["order_id"]] = Decimal(str(data["total"]))
            except InvalidOperation:
                continue
    if order_id in totals:
        return totals[order_id]
    return next(iter(totals.values())) if len(totals) == 1 else None


def money(value: Decimal) -> str:
    """'$412' for whole dollars, '$412.50' otherwise."""
    return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"


def _span(hours: float) -> str:
    minutes = int(hours * 60)
    return f"{minutes // 60} h" if minutes >= 60 else f"{max(minutes, 1)} m"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _max(*levels: Urgency) -> Urgency:
    return max(levels, key=rank)
