"""Honest numbers for the dashboard: automation and response times as the marketplaces would count them.

Why a module of its own: a figure a seller steers by must say what it counts, over how many cases, and stay
silent when there are too few. Every figure here is a `Figure` with its definition (the console shows it on
hover), its sample size, and no value below a minimum sample ("n/a (no conversations yet)").

- **Automation per conversation**: conversations the agent resolved without a person touching them (every
  customer message answered, no person approved, edited, wrote, rejected, took over or cleared anything) out
  of the conversations it has handled. Next to it, **per reply**: replies the agent sent on its own out of
  every reply sent (an approved draft is a person's decision, so it is not automated; holding messages that
  only say a person will answer are not replies).
- **First response time** per platform, in minutes (median and p90), from the customer's first message to
  the first message that counts as a response on that platform.
- **Within the platform's clock**, per platform, the way that platform counts (`RESPONSE_RULES`, with the
  hours and calendar/business clock from the policy files through `agent.clocks.reply_deadline`): Amazon,
  Walmart and Meta measure every customer message, TikTok Shop, eBay and the Shopify store the first one;
  Walmart, TikTok Shop and eBay do not count a holding message ("a person will reply") as a response.
- **Review outcomes by intent**: of the drafts people decided, how many they approved unchanged, edited or
  rejected, per intent: what a seller reads before letting an intent send alone.

`compute` is pure (hand-built `ConversationFacts` in, `Metrics` out); `gather` reads them from the app
database of a running service.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from agent.clocks import reply_deadline
from tools.models import PLATFORMS
from tools.policy.loader import PlatformPolicy

if TYPE_CHECKING:
    from shopdesk.service import Service

MIN_SAMPLE = 5
"""A rate or a median over fewer cases than this is noise: the figure is shown as n/a with the count."""
MIN_SAMPLE_P90 = 10
"""Below ten values the 90th percentile is just the slowest case: n/a instead."""

APPROVAL_RATE = ("Drafts a person approved unchanged, out of the drafts people decided for conversations of this "
                 "intent (approved, edited or rejected; a denied write counts as rejected). High and steady over "
                 "many drafts: a candidate for autopilot on that intent.")

ORGANISING_ACTIONS = frozenset({"assigned", "reassigned", "unassigned", "note_added", "tag_added", "tag_removed"})
"""A person's actions on a conversation that do not take part in answering it (they do not make it "touched")."""
PERSON_REPLY_ACTIONS = frozenset({"approved", "approved_action"})
"""Audit actions by which a person sent the agent's own draft (the reply's author is still "agent")."""
REVIEW_OUTCOMES = {"approved": "approved", "approved_action": "approved", "edited": "edited",
                   "rejected": "rejected", "denied_action": "rejected"}
"""A person's decision on a draft the agent held for review, by audit action. A pending write decided together
with an edited reply is recorded as `<action>_with_edit` by `gather` and counts once, as the edit."""
SETTLING = frozenset({"new", "working", "queued"})
"""Statuses of a conversation whose latest message is still being processed or sent: not judged yet."""


@dataclass(frozen=True)
class ResponseRule:
    """How one platform counts its response clock (platforms.md, "Response clocks" and each platform's rules)."""

    counts: Literal["first", "every"]
    """"every": each customer message needs its own response in time; "first": the conversation's first one."""
    holding_reply_counts: bool
    """Whether a holding message ("a person has your message and will reply by ...") counts as a response."""
    source: str


RESPONSE_RULES: dict[str, ResponseRule] = {
    "amazon": ResponseRule("every", True, "Amazon: a buyer message not answered within 24 hours, weekends and "
                           "holidays included, is late; any reply answers it (messages needing no answer still "
                           "count unless marked \"no response needed\" in Seller Central)"),
    "walmart": ResponseRule("every", False, "Walmart: a high-quality reply to every customer message within 48 "
                            "hours, weekends included (BBB or attorney-general complaints: 1 hour); a holding "
                            "message is not a reply"),
    "tiktok": ResponseRule("first", False, "TikTok Shop: the first response within 24 hours; greetings and "
                           "automatic holding messages do not count"),
    "ebay": ResponseRule("first", False, "eBay: 3 business days to resolve a return or item-not-received case; "
                         "a holding message resolves nothing"),
    "facebook": ResponseRule("every", True, "Meta: reply inside the 24-hour window each customer message opens"),
    "instagram": ResponseRule("every", True, "Meta: reply inside the 24-hour window each customer message opens"),
    "shopify": ResponseRule("first", True, "Shopify: the store's own promise (24 hours for email in the policy "
                            "file); a holding message that says when is a first response"),
}

FIRST_RESPONSE = (
    "Minutes from the customer's first message to the first response the platform counts (a holding message does "
    f"not count on {', '.join(p for p, r in RESPONSE_RULES.items() if not r.holding_reply_counts)}); conversations "
    f"with no response yet are left out and counted apart. A median needs {MIN_SAMPLE} answered conversations, a "
    f"p90 {MIN_SAMPLE_P90}.")


@dataclass(frozen=True)
class Reply:
    """A message that reached the customer."""

    at: datetime
    kind: Literal["reply", "acknowledgment"] = "reply"
    by_person: bool = False
    """A person wrote, edited or approved it (the agent did not send it on its own)."""


@dataclass(frozen=True)
class ConversationFacts:
    """What the figures need of one conversation; tests build these by hand."""

    key: str
    platform: str
    status: str
    handled: bool
    """The agent has processed at least one of its messages."""
    customer_messages: tuple[datetime, ...]
    replies: tuple[Reply, ...] = ()
    person_actions: tuple[str, ...] = ()
    """Audit actions console users took on it (approved, edited, took_over, tag_added...)."""
    risk_flags: tuple[str, ...] = ()
    route: str | None = None
    """Where the agent routed its latest message: auto_send, review or handoff."""
    intent: str | None = None
    """The conversation's main intent (kept across a vague "hello?")."""


class Figure(BaseModel):
    """One number with what it means, how many cases it rests on, and why it is missing when it is."""

    value: float | None = Field(description="A share 0..1 or minutes; None when there is not enough data.")
    sample: int = Field(description="How many cases the figure is computed over.")
    unit: str = Field(description="What the sample counts: conversations, replies, customer messages...")
    definition: str
    missing: str | None = Field(default=None, description="Why there is no value, e.g. 'no conversations yet'.")
    raw: float | None = Field(default=None, description="The value even below the minimum sample (not shown).")


class PlatformMetrics(BaseModel):
    platform: str
    display_name: str
    clock: str = Field(description="The platform's clock in words: hours, calendar or business, what counts.")
    conversations: int
    answered: int = Field(description="Conversations with a first response that counts on this platform.")
    waiting: int = Field(description="Conversations with no response that counts yet.")
    first_response_median_min: Figure
    first_response_p90_min: Figure
    within_clock: Figure


class IntentReview(BaseModel):
    """What people did with the drafts of one intent: the evidence for letting that intent send alone."""

    intent: str
    reviewed: int
    approved: int
    edited: int
    rejected: int
    approval_rate: Figure


class Metrics(BaseModel):
    automation_per_conversation: Figure
    automation_per_reply: Figure
    handoff_rate: Figure
    platforms: list[PlatformMetrics]
    review_by_intent: list[IntentReview] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- figures

def counted(n: int, unit: str) -> str:
    """'3 conversations', '1 conversation', '1 reply'."""
    if n != 1:
        return f"{n:,} {unit}"
    return "1 " + ("reply" if unit == "replies" else unit.removesuffix("s"))


def figure(numerator: float | None, sample: int, unit: str, definition: str, *, minimum: int = MIN_SAMPLE,
           value: float | None = None) -> Figure:
    """A share (`numerator` / `sample`) or a given `value`, withheld below `minimum` cases."""
    raw = value if value is not None else (numerator / sample if sample and numerator is not None else None)
    if sample == 0:
        return Figure(value=None, sample=0, unit=unit, definition=definition, missing=f"no {unit} yet")
    if sample < minimum:
        return Figure(value=None, sample=sample, unit=unit, definition=definition, raw=raw,
                      missing=f"only {counted(sample, unit)} so far; {minimum} needed")
    return Figure(value=raw, sample=sample, unit=unit, definition=definition, raw=raw)


def percentile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile, linear between the closest ranks (numpy's default; q=50 is the median)."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def touched(c: ConversationFacts) -> bool:
    """A person took part in answering it (organising it: assigning, tagging, a note, does not count)."""
    return any(r.by_person for r in c.replies) or any(a not in ORGANISING_ACTIONS for a in c.person_actions)


def automation_per_conversation(conversations: Iterable[ConversationFacts]) -> Figure:
    judged = [c for c in conversations if c.handled and c.status not in SETTLING]
    resolved = [c for c in judged if c.status == "sent" and any(r.kind == "reply" for r in c.replies)
                and not touched(c)]
    return figure(len(resolved), len(judged), "conversations",
                  "Conversations the agent resolved without a person touching them (every customer message "
                  "answered; nobody approved, edited, wrote, rejected, took over or cleared anything) out of the "
                  "conversations it has handled. Conversations still being processed or sent are left out; "
                  "ones waiting for a person count as not automated.")


def automation_per_reply(conversations: Iterable[ConversationFacts]) -> Figure:
    replies = [r for c in conversations for r in c.replies if r.kind == "reply"]
    alone = [r for r in replies if not r.by_person]
    return figure(len(alone), len(replies), "replies",
                  "Replies the agent sent on its own out of every reply sent. A draft a person approved or "
                  "edited counts as the person's; holding messages (\"a person will reply by ...\") are not "
                  "replies and are left out.")


def handoff_rate(conversations: Iterable[ConversationFacts]) -> Figure:
    handled = [c for c in conversations if c.handled]
    handed = [c for c in handled if c.route == "handoff"]
    return figure(len(handed), len(handled), "conversations",
                  "Conversations whose latest message the agent handed to a person (a risk, a write it may not "
                  "make, something it could not answer) out of the conversations it has handled. Drafts waiting "
                  "for approval are not handoffs.")


def review_by_intent(conversations: Iterable[ConversationFacts]) -> list[IntentReview]:
    tally: dict[str, dict[str, int]] = {}
    for c in conversations:
        for action in c.person_actions:
            if outcome := REVIEW_OUTCOMES.get(action):
                counts = tally.setdefault(c.intent or "unknown", {"approved": 0, "edited": 0, "rejected": 0})
                counts[outcome] += 1
    reviews = []
    for intent, counts in sorted(tally.items()):
        reviewed = sum(counts.values())
        rate = figure(counts["approved"], reviewed, "reviewed drafts",
                      f"{intent.replace('_', ' ')}: {APPROVAL_RATE}")
        reviews.append(IntentReview(intent=intent, reviewed=reviewed, approval_rate=rate, **counts))
    return reviews


def counting(rule: ResponseRule, replies: Sequence[Reply]) -> list[Reply]:
    """The replies this platform counts as responses, oldest first."""
    return sorted((r for r in replies if r.kind == "reply" or rule.holding_reply_counts), key=lambda r: r.at)


def clock_words(policy: PlatformPolicy, rule: ResponseRule) -> str:
    m = policy.messaging
    if m.clock == "business":
        days, hours = divmod(m.first_reply_hours, 24)
        span = f"{days} business days" + (f" {hours} h" if hours else "")
    else:
        span = f"{m.first_reply_hours} h, weekends and holidays included"
    urgent = f" (BBB / attorney general: {m.urgent_reply_hours} h)" if m.urgent_reply_hours else ""
    what = "every customer message" if rule.counts == "every" else "the first response"
    holding = "" if rule.holding_reply_counts else "; a holding message does not count"
    return f"{span}{urgent}; counts {what}{holding}"


def platform_metrics(platform: str, conversations: Sequence[ConversationFacts], policy: PlatformPolicy,
                     rule: ResponseRule, now: datetime) -> PlatformMetrics:
    mine = [c for c in conversations if c.platform == platform and c.customer_messages]
    waits: list[float] = []
    waiting = 0
    within = decided = 0
    for c in mine:
        responses = counting(rule, c.replies)
        first_in = min(c.customer_messages)
        first_out = next((r.at for r in responses if r.at >= first_in), None)
        if first_out is None:
            waiting += 1
        else:
            waits.append((first_out - first_in).total_seconds() / 60)
        starts = sorted(c.customer_messages) if rule.counts == "every" else [first_in]
        for start in starts:
            due = reply_deadline(policy, start, list(c.risk_flags))
            answer = next((r.at for r in responses if r.at >= start), None)
            if answer is None and now <= due:
                continue  # still inside its clock: neither in time nor late yet
            decided += 1
            if answer is not None and answer <= due:
                within += 1
    unit = "customer messages" if rule.counts == "every" else "conversations"
    clock = clock_words(policy, rule)
    span = (f"Minutes from the customer's first message to the first response {policy.display_name} counts"
            + ("" if rule.holding_reply_counts else " (holding messages do not count)"))
    left_out = f"; {counted(waiting, 'conversations')} with no response yet left out" if waiting else ""
    return PlatformMetrics(
        platform=platform, display_name=policy.display_name, clock=clock, conversations=len(mine),
        answered=len(waits), waiting=waiting,
        first_response_median_min=figure(None, len(waits), "answered conversations",
                                         f"{span}: the median{left_out}.", value=percentile(waits, 50)),
        first_response_p90_min=figure(None, len(waits), "answered conversations",
                                      f"{span}: 90% were answered within this{left_out}.",
                                      value=percentile(waits, 90), minimum=MIN_SAMPLE_P90),
        within_clock=figure(within, decided, unit,
                            f"Share answered in time on {policy.display_name}'s clock ({clock}). {rule.source}. "
                            f"Counted over {unit} whose deadline has passed or that were answered; ones still "
                            "inside their clock are left out."),
    )


def compute(conversations: Sequence[ConversationFacts], policies: Mapping[str, PlatformPolicy], now: datetime,
            rules: Mapping[str, ResponseRule] = RESPONSE_RULES) -> Metrics:
    return Metrics(
        automation_per_conversation=automation_per_conversation(conversations),
        automation_per_reply=automation_per_reply(conversations),
        handoff_rate=handoff_rate(conversations),
        review_by_intent=review_by_intent(conversations),
        platforms=[platform_metrics(p, conversations, policies[p], rules[p], now)
                   for p in PLATFORMS if p in policies and p in rules],
    )


# ---------------------------------------------------------------------------------------------- from the database

@dataclass
class _Audit:
    actions: list[str] = field(default_factory=list)
    person_outbox_ids: set[int] = field(default_factory=set)
    unattributed_approvals: int = 0


def gather(service: Service) -> list[ConversationFacts]:
    """The facts of every conversation in the app database: its customer messages, the replies sent (from the
    outbox: kind and author) and what people did to it (the audit log; `outbox_ids` name the replies a
    person's action queued, an older approval without them is matched to the agent's reply by count)."""
    from shopdesk.reply_authors import HOW

    audits: dict[str, _Audit] = {}
    for row in service.conversations.audit_log(None, limit=10_000_000):
        if row.conversation_key is None or not (row.actor.startswith("human:") or row.actor == "cli"):
            continue  # the agent, workers, webhooks; "cli" is an operator at a terminal (reply --send, retry)
        entry = audits.setdefault(row.conversation_key, _Audit())
        decided_with_edit = row.action in ("approved_action", "denied_action") and "pending_write" in row.detail
        entry.actions.append(f"{row.action}_with_edit" if decided_with_edit else row.action)
        ids = row.detail.get("outbox_ids")
        if row.action in HOW and isinstance(ids, list):
            entry.person_outbox_ids.update(i for i in ids if isinstance(i, int))
        elif row.action in PERSON_REPLY_ACTIONS and "pending_write" not in row.detail:
            entry.unattributed_approvals += 1
    sent: dict[str, list] = {}  # type: ignore[type-arg]
    for record in service.outbox.records("sent", limit=10_000_000):
        sent.setdefault(record.message.conversation_id, []).append(record)
    facts = []
    for row in service.conversations.list(limit=10_000_000):
        audit = audits.get(row.key, _Audit())
        approvals = audit.unattributed_approvals
        replies = []
        for record in sorted(sent.get(row.key, []), key=lambda r: r.id):
            message = record.message
            by_person = message.author != "agent" or record.id in audit.person_outbox_ids
            if not by_person and message.kind == "reply" and approvals:
                by_person, approvals = True, approvals - 1
            replies.append(Reply(at=record.sent_at or record.created_at, kind=message.kind, by_person=by_person))
        incoming = tuple(m.at for m in service.conversations.messages(row.key) if m.direction == "in")
        flags = {*row.risk_flags, *((row.trace or {}).get("risk_flags") or [])}
        facts.append(ConversationFacts(
            key=row.key, platform=row.platform, status=row.status, handled=row.route is not None,
            customer_messages=incoming, replies=tuple(sorted(replies, key=lambda r: r.at)),
            person_actions=tuple(reversed(audit.actions)), risk_flags=tuple(sorted(flags)), route=row.route,
            intent=row.intent))
    return facts


def metrics(service: Service) -> Metrics:
    """The figures of a running service, as of its clock."""
    return compute(gather(service), service.policies, service.clock.now())
