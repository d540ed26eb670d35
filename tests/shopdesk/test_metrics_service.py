"""Honest numbers (issue 20): hand-built conversations, every expected figure worked out by hand in the comments.

The week used: Friday 2026-01-09 is a business day, Saturday 10 and Sunday 11 are the weekend, Monday 12 to
Friday 16 are business days (no US holiday that week).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.schemas import OutboundMessage
from runtime.conversations import ConversationStore
from runtime.outbox import Outbox
from shopdesk import metrics_service as m
from shopdesk.metrics_service import ConversationFacts, Reply
from tools.clock import FixedClock
from tools.policy.loader import load_policies

POLICIES = load_policies()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """January `day`, 2026, UTC (9 = Friday, 10 = Saturday, 12 = Monday)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def conv(platform: str, messages: list[datetime], replies: list[Reply] = (),  # type: ignore[assignment]
         status: str = "sent", flags: tuple[str, ...] = (), key: str | None = None, handled: bool = True,
         actions: tuple[str, ...] = (), route: str | None = None, intent: str | None = None) -> ConversationFacts:
    return ConversationFacts(key=key or f"{platform}:{id(messages)}", platform=platform, status=status,
                             handled=handled, customer_messages=tuple(messages), replies=tuple(replies),
                             person_actions=actions, risk_flags=flags, route=route, intent=intent)


def ack(when: datetime) -> Reply:
    return Reply(at=when, kind="acknowledgment")


def platform(metrics: m.Metrics, name: str) -> m.PlatformMetrics:
    return next(p for p in metrics.platforms if p.platform == name)


def test_amazon_counts_every_message_on_a_24_hour_clock_with_weekends() -> None:
    now = at(12, 11)  # Monday 11:00
    conversations = [
        # A: Fri 10:00 answered Sat 09:00 (23 h: in time); Sat 12:00 answered Mon 09:00 (45 h: late);
        #    Mon 10:00 unanswered, due Tue 10:00: still inside its clock, left out
        conv("amazon", [at(9, 10), at(10, 12), at(12, 10)], [Reply(at(10, 9)), Reply(at(12, 9))], status="new"),
        # B: a burst Fri 10:00 and 10:30, one reply Sat 10:15: the first is 15 min late, the second in time
        conv("amazon", [at(9, 10), at(9, 10, 30)], [Reply(at(10, 10, 15))]),
        # C: Fri 12:00, never answered, due Sat 12:00: late
        conv("amazon", [at(9, 12)], status="handed_off"),
        # D: Sat 08:00, a holding message a minute later: Amazon counts any response, in time
        conv("amazon", [at(10, 8)], [ack(at(10, 8, 1))], status="handed_off"),
    ]
    amazon = platform(m.compute(conversations, POLICIES, now), "amazon")
    # 6 messages decided (A 2, B 2, C 1, D 1), in time: A's first, B's second, D's = 3
    assert amazon.within_clock.sample == 6 and amazon.within_clock.unit == "customer messages"
    assert amazon.within_clock.value == pytest.approx(3 / 6)
    assert "weekends and holidays included" in amazon.clock and "every customer message" in amazon.clock
    assert "24 hours" in amazon.within_clock.definition
    # first responses: A 23 h = 1380 min, B 24 h 15 min = 1455 min, D 1 min; C waits. 3 < 5: no median shown
    assert (amazon.conversations, amazon.answered, amazon.waiting) == (4, 3, 1)
    median = amazon.first_response_median_min
    assert median.value is None and median.raw == 1380 and median.sample == 3
    assert median.missing == "only 3 answered conversations so far; 5 needed"
    assert "1 conversation with no response yet left out" in median.definition


def test_walmart_counts_no_holding_message_and_gives_bbb_complaints_an_hour() -> None:
    now = at(12, 11)  # Monday 11:00
    conversations = [
        conv("walmart", [at(9, 10)], [ack(at(9, 10, 1)), Reply(at(11, 9))]),  # W1: reply after 47 h: in time
        conv("walmart", [at(9, 10)], [Reply(at(9, 11, 30))], flags=("bbb_or_attorney_general",)),  # W2: 90 min > 1 h
        conv("walmart", [at(9, 10)], [ack(at(9, 10, 1))], status="handed_off"),  # W3: only a holding message, late
        conv("walmart", [at(12, 9)], [ack(at(12, 9, 1))], status="handed_off"),  # W4: due Wed: left out
        conv("walmart", [at(9, 10)], [Reply(at(9, 10, 20))]),  # W5: 20 min
        conv("walmart", [at(10, 10)], [Reply(at(12, 10, 30))]),  # W6: 48 h 30 min over a weekend: late
        conv("walmart", [at(9, 10)], [Reply(at(9, 10, 5))]),  # W7: 5 min
    ]
    walmart = platform(m.compute(conversations, POLICIES, now), "walmart")
    # decided: W1, W2, W3, W5, W6, W7 = 6; in time: W1, W5, W7 = 3
    assert walmart.within_clock.sample == 6 and walmart.within_clock.value == pytest.approx(0.5)
    assert "BBB / attorney general: 1 h" in walmart.clock and "a holding message does not count" in walmart.clock
    # first responses that count: W1 2820, W2 90, W5 20, W6 2910, W7 5 minutes; W3 and W4 wait
    assert (walmart.answered, walmart.waiting) == (5, 2)
    assert walmart.first_response_median_min.value == 90
    assert walmart.first_response_p90_min.value is None  # 5 < 10
    assert walmart.first_response_p90_min.missing == "only 5 answered conversations so far; 10 needed"


def test_ebay_counts_the_first_response_in_business_days() -> None:
    now = at(15, 12)  # Thursday 15th, 12:00
    conversations = [
        conv("ebay", [at(9, 10)], [Reply(at(13, 15))]),  # E1: Tue 15:00, due Wed 10:00 (3 business days): in time
        conv("ebay", [at(9, 10)], [ack(at(9, 10, 5)), Reply(at(15, 9))]),  # E2: the holding message does not count
        conv("ebay", [at(9, 10)], [Reply(at(12, 9))]),  # E3: Mon 09:00: in time
        conv("ebay", [at(9, 10), at(12, 8)], [Reply(at(14, 9, 59))]),  # E4: only the first message counts: in time
        conv("ebay", [at(9, 10)], status="handed_off"),  # E5: never answered, due Wed 10:00: late
    ]
    ebay = platform(m.compute(conversations, POLICIES, now), "ebay")
    # 5 conversations decided; in time E1, E3, E4 (a 72-hour calendar clock would have made E1 late)
    assert ebay.within_clock.unit == "conversations" and ebay.within_clock.sample == 5
    assert ebay.within_clock.value == pytest.approx(3 / 5)
    assert ebay.clock.startswith("3 business days") and "the first response" in ebay.clock
    # E1 101 h = 6060 min, E2 143 h = 8580, E3 71 h = 4260, E4 119 h 59 min = 7199; 4 < 5: the median is withheld
    assert ebay.first_response_median_min.value is None
    assert ebay.first_response_median_min.raw == pytest.approx((6060 + 7199) / 2)


def test_first_response_median_and_p90_in_minutes() -> None:
    now = at(9, 12)
    answered = [conv("shopify", [at(9, 10)], [Reply(at(9, 10) + timedelta(minutes=k))]) for k in range(1, 11)]
    waiting = conv("shopify", [at(9, 11)], status="handed_off")
    shopify = platform(m.compute([*answered, waiting], POLICIES, now), "shopify")
    # 1..10 minutes: median (5 + 6) / 2 = 5.5; p90 at rank 0.9 * (10 - 1) = 8.1 -> 9 + 0.1 * (10 - 9) = 9.1
    assert shopify.first_response_median_min.value == pytest.approx(5.5)
    assert shopify.first_response_p90_min.value == pytest.approx(9.1)
    assert shopify.first_response_p90_min.sample == 10 and shopify.waiting == 1
    # the waiting one is due tomorrow 11:00: left out; the ten answered ones are all in time
    assert shopify.within_clock.sample == 10 and shopify.within_clock.value == 1.0


def test_automation_per_conversation_next_to_per_reply() -> None:
    t = at(9, 10)
    conversations = [
        conv("tiktok", [t], [Reply(t)], route="auto_send"),  # 1: resolved alone
        conv("tiktok", [t], [Reply(t, by_person=True)], actions=("approved",), route="review"),  # 2: approved draft
        conv("tiktok", [t], [Reply(t)], actions=("tag_added", "assigned"), route="auto_send"),  # 3: only organised
        conv("tiktok", [t], [Reply(t)], actions=("cleared_flags",), route="auto_send"),  # 4: a person cleared flags
        conv("tiktok", [t], [ack(t)], status="handed_off", route="handoff"),  # 5: waits for a person
        conv("tiktok", [t, t], [Reply(t)], status="new", route="handoff"),  # 6: latest message being processed
        conv("tiktok", [t], status="new", handled=False),  # 7: not handled yet
        conv("tiktok", [t, t], [Reply(t), Reply(t)], route="auto_send"),  # 8: two replies, both alone
    ]
    metrics = m.compute(conversations, POLICIES, at(9, 12))
    # judged 1, 2, 3, 4, 5, 8 = 6; resolved untouched 1, 3, 8 = 3
    per_conversation = metrics.automation_per_conversation
    assert (per_conversation.sample, per_conversation.value) == (6, 0.5)
    # replies (holding messages left out): 1, 2, 3, 4, 6, 8, 8 = 7; by a person: 2 -> 6 / 7
    per_reply = metrics.automation_per_reply
    assert per_reply.sample == 7 and per_reply.value == pytest.approx(6 / 7)
    assert "approved" in per_reply.definition and "touching" in per_conversation.definition
    # handled 1-6 and 8 = 7; handed to a person: 5 and 6 = 2
    assert metrics.handoff_rate.sample == 7 and metrics.handoff_rate.value == pytest.approx(2 / 7)


def test_review_outcomes_by_intent() -> None:
    t = at(9, 10)
    conversations = [
        *(conv("tiktok", [t], [Reply(t, by_person=True)], actions=("approved",), route="review",
               intent="order_status") for _ in range(3)),
        conv("ebay", [t], [Reply(t, by_person=True)], actions=("assigned", "approved"), route="review",
             intent="order_status"),
        conv("amazon", [t], [Reply(t, by_person=True)], actions=("edited",), route="review", intent="order_status"),
        conv("amazon", [t], status="handed_off", actions=("rejected",), route="handoff", intent="return_request"),
        conv("amazon", [t], status="handed_off", actions=("denied_action",), route="handoff", intent="return_request"),
        # a refund approved together with an edited reply: one decision, the edit
        conv("amazon", [t], [Reply(t, by_person=True)], actions=("edited", "approved_action_with_edit"),
             route="review", intent="return_request"),
    ]
    reviews = {r.intent: r for r in m.compute(conversations, POLICIES, at(9, 12)).review_by_intent}
    assert list(reviews) == ["order_status", "return_request"]
    status = reviews["order_status"]  # 4 approved unchanged, 1 edited: 4 / 5
    assert (status.reviewed, status.approved, status.edited, status.rejected) == (5, 4, 1, 0)
    assert status.approval_rate.value == pytest.approx(0.8) and status.approval_rate.unit == "reviewed drafts"
    returns = reviews["return_request"]  # rejected, denied, edited: none approved, 3 < 5
    assert (returns.reviewed, returns.approved, returns.edited, returns.rejected) == (3, 0, 1, 2)
    assert returns.approval_rate.value is None and returns.approval_rate.raw == 0
    assert returns.approval_rate.missing == "only 3 reviewed drafts so far; 5 needed"


def test_no_figure_without_enough_data() -> None:
    empty = m.compute([], POLICIES, at(9, 12))
    assert empty.automation_per_conversation.value is None
    assert empty.automation_per_conversation.missing == "no conversations yet"
    assert empty.automation_per_reply.missing == "no replies yet"
    assert platform(empty, "amazon").within_clock.missing == "no customer messages yet"
    assert platform(empty, "tiktok").within_clock.missing == "no conversations yet"
    assert platform(empty, "tiktok").first_response_median_min.missing == "no answered conversations yet"
    assert [p.platform for p in empty.platforms] == ["amazon", "walmart", "shopify", "tiktok", "ebay", "facebook",
                                                     "instagram"]
    few = m.compute([conv("tiktok", [at(9, 10)], [Reply(at(9, 10, 3))]) for _ in range(3)], POLICIES, at(9, 12))
    within = platform(few, "tiktok").within_clock
    assert within.value is None and within.raw == 1.0
    assert within.missing == "only 3 conversations so far; 5 needed"
    one = m.compute([conv("amazon", [at(9, 10)], [Reply(at(9, 10, 3))])], POLICIES, at(9, 12))
    assert platform(one, "amazon").within_clock.missing == "only 1 customer message so far; 5 needed"
    assert one.automation_per_reply.missing == "only 1 reply so far; 5 needed"


def test_gather_reads_replies_and_who_sent_them_from_the_database(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    conversations, outbox = ConversationStore(db), Outbox(db)
    try:
        def reply(key: str, turn: str, author: str = "agent", kind: str = "reply", minutes: int = 5) -> int:
            record = outbox.enqueue(OutboundMessage(conversation_id=key, platform="tiktok", customer_id=None,
                                                    text=f"reply {turn}", idempotency_key=f"{key}:{turn}",
                                                    author=author, kind=kind), at(9, 10))  # type: ignore[arg-type]
            outbox.mark_sent(record.id, f"pm-{key}-{turn}", at(9, 10, minutes))
            return record.id

        for key in ("tiktok:alone", "tiktok:approved", "tiktok:legacy", "tiktok:edited", "tiktok:operator"):
            conversations.message_in(key=key, platform="tiktok", customer_identity=key, text="where is my order?",
                                     at=at(9, 10), deadline=at(10, 10), source=f"in-{key}")
            conversations.record_result(key, {"route": "review", "risk_flags": []}, "sent", at(9, 10))
        reply("tiktok:alone", "1")
        approved = reply("tiktok:approved", "1")
        conversations.audit("tiktok:approved", "human:ana", "approved", at(9, 10), outbox_ids=[approved])
        reply("tiktok:legacy", "1")  # approved before replies named their outbox records
        conversations.audit("tiktok:legacy", "human:bo", "approved", at(9, 10))
        reply("tiktok:edited", "1", author="human", minutes=7)
        conversations.audit("tiktok:edited", "human:ana", "tag_added", at(9, 10), tag="vip")
        conversations.audit("tiktok:edited", "human:ana", "approved_action", at(9, 10),
                            pending_write={"tool": "refund"}, reason="decided with an edited reply")
        reply("tiktok:operator", "1")
        conversations.audit("tiktok:operator", "cli", "cli_reply", at(9, 10), route="auto_send")  # reply --send
        conversations.audit("tiktok:operator", "agent:w1", "processed", at(9, 10))  # the agent's own: not a person's
        service = SimpleNamespace(conversations=conversations, outbox=outbox, policies=POLICIES,
                                  clock=FixedClock(at(9, 12)))
        facts = {f.key: f for f in m.gather(service)}  # type: ignore[arg-type]
        assert [r.by_person for r in facts["tiktok:alone"].replies] == [False]
        assert [r.by_person for r in facts["tiktok:approved"].replies] == [True]
        assert [r.by_person for r in facts["tiktok:legacy"].replies] == [True]
        assert [r.by_person for r in facts["tiktok:edited"].replies] == [True]
        assert facts["tiktok:edited"].person_actions == ("tag_added", "approved_action_with_edit")
        assert facts["tiktok:alone"].customer_messages == (at(9, 10),) and facts["tiktok:alone"].handled
        assert facts["tiktok:operator"].person_actions == ("cli_reply",)
        figures = m.metrics(service)  # type: ignore[arg-type]
        assert figures.automation_per_reply.raw == pytest.approx(2 / 5)  # alone and operator: the agent's words
        assert figures.automation_per_conversation.raw == pytest.approx(1 / 5)  # only "alone" was untouched
        tiktok = platform(figures, "tiktok")
        assert tiktok.answered == 5 and tiktok.first_response_median_min.raw == 5
    finally:
        conversations.close()
        outbox.close()
