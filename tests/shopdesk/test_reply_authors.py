"""Who the thread names for a reply: the console's people by name, `shopdesk review` by the terminal's user."""

from __future__ import annotations

from datetime import UTC, datetime

from runtime.conversations import AuditRow
from shopdesk.reply_authors import ReplyAuthor, authors_by_outbox_id

AT = datetime(2026, 11, 26, 9, tzinfo=UTC)


def row(id: int, actor: str, action: str, **detail: object) -> AuditRow:
    return AuditRow(id=id, conversation_key="amazon:x", actor=actor, action=action, detail=detail, at=AT)


def test_console_people_and_cli_operators_are_named_and_other_actions_ignored() -> None:
    found = authors_by_outbox_id([
        row(1, "human:ana", "edited", outbox_ids=[10]),
        row(2, "cli", "approved", outbox_ids=[11], os_user="pat"),
        row(3, "cli", "approved_action", outbox_ids=[12]),
        row(4, "human:ben", "rejected", outbox_ids=[13]),   # not an action that queues a reply
        row(5, "agent", "approved", outbox_ids=[14]),       # not a person
        row(6, "cli", "edited", outbox_ids=["15"], os_user="x" * 100),  # a non-integer id is no outbox record
    ])
    assert found == {10: ReplyAuthor(by="ana", how="edited the draft"),
                     11: ReplyAuthor(by="pat (CLI)", how="approved the agent's draft"),
                     12: ReplyAuthor(by="CLI", how="approved the pending write")}


def test_the_latest_action_on_a_record_wins() -> None:
    found = authors_by_outbox_id([row(2, "human:ben", "approved_action", outbox_ids=[7]),
                                  row(1, "human:ana", "edited", outbox_ids=[7])])
    assert found[7] == ReplyAuthor(by="ben", how="approved the pending write")
