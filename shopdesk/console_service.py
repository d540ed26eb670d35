"""Application layer of the agent console: what the Gradio callbacks call, and nothing in ui/ decides.

The inbox ordered by reply deadline, one conversation with its customer 360 and the agent's evidence, the
review actions (approve, edit, reject, take over, approve or deny a pending write: they resume the graph's
interrupt), a person's own reply on a handed-off conversation (checked by compliance like any draft), the
dashboard figures computed from the app database, and the seller settings (admins only).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from agent.compliance import ComplianceInput, check_reply
from agent.nodes.review import PENDING_CHOICES, REFUSED, PendingChoice, awaits_approval, choice_problem
from agent.schemas import OutboundMessage
from agent.state import plain_state
from agent.seller_settings import SellerSettings, refund_above
from agent.urgency import Assessment, clock_name, displayed
from runtime.conversations import OPEN_STATUSES, ConversationRow
from runtime.worker import status_after
from shopdesk import metrics_service
from shopdesk.account_health import HealthFigure, account_health
from shopdesk.attachment_service import preview_text, thread_attachments
from shopdesk.autopilot import autopilot_changes, autopilot_problem
from shopdesk.inbox_search import QueryError, SearchIndex, inbox_keys
from shopdesk.metrics_service import Metrics
from shopdesk.reply_authors import attribute, author_of, authors_by_outbox_id
from shopdesk.service import Service
from shopdesk.store_service import customer_profile
from shopdesk.workspace import WorkspaceStore
from tools.models import PLATFORMS

Role = Literal["agent", "admin"]


class ConsoleError(ValueError):
    """An action the console cannot do (shown to the person as is)."""


class User(BaseModel):
    name: str
    role: Role


class InboxEntry(BaseModel):
    key: str
    platform: str
    customer_id: str | None
    customer_name: str | None
    intent: str | None
    urgency: str | None = Field(description="As shown now: the stored urgency, raised as the reply clock runs down.")
    urgency_reasons: list[str] = Field(default_factory=list)
    risk_flags: list[str] = Field(default_factory=list)
    status: str
    deadline: datetime | None
    time_left_s: float | None
    overdue: bool
    preview: str
    last_message_at: datetime
    subject: str | None = Field(default=None, description="The channel's subject line (email), if any.")
    order_id: str | None = Field(default=None, description="The order the conversation is about: the channel's "
                                 "hint, else the last order the agent's tools read for it.")
    assignee: str | None = Field(default=None, description="The console user the conversation is assigned to.")
    tags: list[str] = Field(default_factory=list)


class ConversationView(BaseModel):
    row: ConversationRow
    time_left_s: float | None = Field(default=None, description="On the platform's clock; None = nothing waits.")
    overdue: bool = False
    urgency: str | None = Field(default=None, description="As shown now (see InboxEntry.urgency).")
    urgency_reasons: list[str] = Field(default_factory=list)
    customer: dict[str, Any] | None = None
    thread: list[dict[str, Any]] = Field(default_factory=list, description="Every channel, oldest first.")
    orders: list[dict[str, Any]] = Field(default_factory=list)
    returns: list[dict[str, Any]] = Field(default_factory=list)
    refunds: list[dict[str, Any]] = Field(default_factory=list)
    earlier: list[dict[str, Any]] = Field(default_factory=list, description="Other conversations of this customer.")
    order_events: list[dict[str, Any]] = Field(default_factory=list)
    draft: str | None = None
    passages: list[dict[str, str]] = Field(default_factory=list)
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    compliance: dict[str, Any] | None = None
    pending_action: dict[str, Any] | None = None
    reasons: list[str] = Field(default_factory=list)
    awaiting_review: bool = False
    outbox: list[dict[str, Any]] = Field(default_factory=list)
    attachments: list[dict[str, Any]] = Field(default_factory=list, description="What the customer attached on "
                                              "every channel, oldest first (shopdesk/attachment_service.py): the "
                                              "stored files a person and the evidence pack work from.")
    assignee: str | None = None
    tags: list[str] = Field(default_factory=list)
    notes: list[dict[str, Any]] = Field(default_factory=list, description="Internal notes, oldest first: the team "
                                        "reads them here only; they never reach the agent or a reply.")


class PlatformFigures(BaseModel):
    platform: str
    conversations: int
    answered: int
    first_response_p50_s: float | None
    first_response_p90_s: float | None
    within_clock_share: float | None


class Dashboard(BaseModel):
    platforms: list[PlatformFigures]
    conversations: int
    replies_sent: int
    holding_sent: int = Field(default=0, description="Of replies_sent, the holding messages (\"a person has your "
                              "message and will reply by ...\"): no automation figure counts them as replies.")
    automation_rate: float | None = Field(description="Replies the agent sent without a person approving, editing or "
                                          "writing them / all replies sent (holding messages left out).")
    handoff_rate: float | None = Field(description="Processed conversations handed to a person.")
    handoffs_by_reason: dict[str, int]
    compliance_blocks_by_rule: dict[str, int]
    volume_by_intent: dict[str, int]
    volume_by_platform: dict[str, int]
    amazon_odr: float | None = Field(description="Orders with a defect / orders, last 60 days (demo store).")
    account_health: list[HealthFigure] = Field(default_factory=list, description="ODR and Walmart's scorecard.")
    metrics: Metrics = Field(description="The honest numbers: definitions, sample sizes, per-platform clocks "
                             "(shopdesk/metrics_service.py).")


def hash_password(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1).hex()


class UserDirectory:
    """Console users from SHOPDESK_CONSOLE_USERS ('name:password[:role],...'); passwords kept only hashed."""

    def __init__(self, spec: str | None) -> None:
        self._users: dict[str, tuple[bytes, str, Role]] = {}
        self._decoy: tuple[bytes, str] | None = None
        for entry in filter(None, (e.strip() for e in (spec or "").split(","))):
            parts = entry.split(":")
            if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
                raise ValueError("SHOPDESK_CONSOLE_USERS entries look like name:password[:agent|admin]")
            role = parts[2] if len(parts) == 3 else "agent"
            if role not in ("agent", "admin"):
                raise ValueError(f"unknown console role {role!r} (agent or admin)")
            salt = os.urandom(16)
            self._users[parts[0]] = (salt, hash_password(parts[1], salt), role)  # type: ignore[assignment]
        if self._users:
            self._dummy()  # made now, so the first unknown name does not cost two hashes

    def __bool__(self) -> bool:
        return bool(self._users)

    def authenticate(self, name: str, password: str) -> User | None:
        """CPU-bound (scrypt): call it off the event loop. An unknown name costs the same hash as a known one,
        so the response time does not tell which names exist."""
        found = self._users.get(name)
        salt, expected = (found[0], found[1]) if found else self._dummy()
        matches = hmac.compare_digest(hash_password(password, salt), expected)
        return User(name=name, role=found[2]) if found and matches else None

    def _dummy(self) -> tuple[bytes, str]:
        if self._decoy is None:  # a hash no password is known for, made once
            salt = os.urandom(16)
            self._decoy = (salt, hash_password(os.urandom(16).hex(), salt))
        return self._decoy

    def get(self, name: str | None) -> User | None:
        found = self._users.get(name or "")
        return User(name=name, role=found[2]) if found and name else None  # type: ignore[arg-type]

    def people(self) -> list[User]:
        """Every console user, by name (who a conversation can be assigned to)."""
        return [User(name=name, role=entry[2]) for name, entry in sorted(self._users.items())]


class ConsoleService:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.users = UserDirectory(service.settings.console_users)
        # assignment, presence, notes and tags, and the inbox's search documents (shopdesk/workspace.py)
        self.workspace = WorkspaceStore(service.settings.app_db_path)
        self.search_index = SearchIndex(service.settings.app_db_path, service.conversations, self.workspace,
                                        lambda: self._store)

    # ------------------------------------------------------------------ reads

    @property
    def _store(self) -> Any:
        return self.service.runtime.context.backend

    def _name(self, customer_id: str | None) -> str | None:
        if not customer_id:
            return None
        try:
            return self._store.get_customer(customer_id).name
        except Exception:  # noqa: BLE001 - a customer missing from the store still lists
            return None

    def _time_left(self, row: ConversationRow) -> float | None:
        """Seconds until the reply deadline while the customer waits; negative when overdue."""
        if row.deadline is None or row.waiting_since is None:
            return None
        return (row.deadline - self.service.clock.now()).total_seconds()

    def _urgency(self, row: ConversationRow, left: float | None) -> Assessment | None:
        """The urgency to show now: the one stored when the message was handled, raised by the clock as it runs
        (agent/urgency.py decides; the UI only draws it)."""
        policy = self.service.runtime.context.policies.get(row.platform)  # type: ignore[call-overload]
        clock = clock_name(policy, row.risk_flags) if policy else None
        reasons = (row.trace or {}).get("urgency_reasons") or []
        return displayed(row.urgency, reasons, None if left is None else left / 3600, clock)

    def inbox(self, *, platform: str | None = None, status: str | None = None, intent: str | None = None,
              include_closed: bool = False, limit: int = 200, search: str | None = None,
              assignee: str | None = None, tag: str | None = None) -> list[InboxEntry]:
        """`search`: words all found in the order numbers, customer, identities or messages (shopdesk/inbox_search.py);
        `assignee`: a console user's name or workspace.UNASSIGNED; `tag`: a tag's slug. Ordered as without them."""
        statuses = (status,) if status else (None if include_closed else OPEN_STATUSES)
        try:
            keys, excluded = inbox_keys(self.workspace, self.search_index, search=search, assignee=assignee, tag=tag)
        except QueryError as exc:
            raise ConsoleError(str(exc)) from exc
        rows = self.service.conversations.list(statuses=statuses, platform=platform, intent=intent, limit=limit,
                                               keys=keys, exclude_keys=excluded)
        marks = self.workspace.marks([r.key for r in rows])
        entries = []
        for row in rows:
            left = self._time_left(row)
            last_in = [m for m in self.service.conversations.messages(row.key) if m.direction == "in"]
            urgency = self._urgency(row, left)
            entries.append(InboxEntry(
                key=row.key, platform=row.platform, customer_id=row.customer_id, customer_name=self._name(row.customer_id),
                intent=row.intent, urgency=urgency.level if urgency else None,
                urgency_reasons=urgency.reasons if urgency else [], risk_flags=row.risk_flags, status=row.status, deadline=row.deadline, time_left_s=left,
                overdue=left is not None and left < 0, preview=(preview_text(last_in[-1]) if last_in else "")[:140],
                last_message_at=row.last_message_at, subject=row.subject, order_id=conversation_order(row)))
            if row.key in marks:
                entries[-1].assignee, entries[-1].tags = marks[row.key].assignee, marks[row.key].tags
        return entries

    def conversation(self, key: str) -> ConversationView:
        row = self.service.conversations.get(key)
        if row is None:
            raise ConsoleError(f"no conversation {key}")
        left = self._time_left(row)
        urgency = self._urgency(row, left)
        view = ConversationView(row=row, time_left_s=left, overdue=left is not None and left < 0,
                                urgency=urgency.level if urgency else None,
                                urgency_reasons=urgency.reasons if urgency else [])
        state = self.service.runtime.graph.get_state({"configurable": {"thread_id": key}})  # type: ignore[arg-type]
        values = plain_state(state.values or {})  # the agent's models as the JSON the view shows
        view.awaiting_review = bool(state.interrupts)
        view.draft = (values.get("draft") or {}).get("text")
        view.passages = [{"id": p.get("id", ""), "title": p.get("title", ""), "text": p.get("text", "")}
                         for p in values.get("passages", [])]
        view.tool_calls = [{"name": r["name"], "args": r.get("args", {}), "ok": r["ok"], "error": r.get("error"),
                            "data": r.get("data")} for r in values.get("tool_results", [])]
        view.compliance = values.get("compliance")
        view.pending_action = values.get("pending_action")
        view.reasons = row.reasons
        view.assignee, view.tags = self.workspace.assignee(key), self.workspace.tags(key)
        view.notes = [n.model_dump(mode="json") for n in self.workspace.notes(key)]
        view.outbox = [{"id": r.id, "status": r.status, "text": r.message.text, "author": r.message.author,
                        "last_error": r.last_error} for r in self.service.outbox.for_conversation(key)]
        keys = [key]
        if row.customer_id:
            profile = customer_profile(self._store, row.customer_id)
            view.customer = profile["customer"]
            view.orders, view.returns, view.refunds = profile["orders"], profile["returns"], profile["refunds"]
            others = [c for c in self.service.conversations.list(customer_id=row.customer_id, limit=50) if c.key != key]
            keys += [c.key for c in others]
            view.earlier = [{"key": c.key, "platform": c.platform, "status": c.status, "intent": c.intent,
                             "last_message_at": c.last_message_at.isoformat(), "source": "shopdesk"} for c in others]
            view.earlier += [{"key": c["id"], "platform": c["platform"], "status": c["status"], "intent": c.get("topic"),
                              "last_message_at": c["created_at"], "source": "history"} for c in profile["conversations"]]
            view.order_events = self.service.conversations.order_events([o["id"] for o in view.orders])
        thread = [message for k in keys for message in attribute(
            [{"conversation": k, "platform": k.split(":", 1)[0], **m.model_dump(mode="json")}
             for m in self.service.conversations.messages(k)],
            self.service.outbox.for_conversation(k), self.service.conversations.audit_log(k, limit=1000))]
        view.thread = sorted(thread, key=lambda m: (m["at"], m["id"]))
        view.attachments = thread_attachments(view.thread)
        people = authors_by_outbox_id(self.service.conversations.audit_log(key, limit=1000))
        records = {r.id: r for r in self.service.outbox.for_conversation(key)}
        for entry in view.outbox:
            entry["by"] = author_of(records[entry["id"]], people).by if entry["id"] in records else None
        return view

    # ------------------------------------------------------------------ review actions

    def _resume(self, key: str, user: User, answer: dict[str, Any], action: str,
                check: Callable[[dict[str, Any]], None] | None = None,
                detail: dict[str, Any] | None = None) -> ConversationView:
        """Resume the review with `answer` after the role check and `check` (which raises to refuse, and may add
        to `detail`, kept in the audit entry). An edit the review node refused (nothing happened) raises its
        reason."""
        svc = self.service
        state = svc.runtime.graph.get_state({"configurable": {"thread_id": key}})  # type: ignore[arg-type]
        if not state.interrupts:
            raise ConsoleError("this conversation is not waiting for a review")
        values = plain_state(state.values or {})
        pending = values.get("pending_action")
        if pending and answer["action"] != "take_over":  # taking over never runs the write: anyone may
            self._require_approver(key, pending, user, action)
        if check is not None:
            check(values)
        notes_before = len(values.get("engine_notes") or [])
        queued_before = {r.id for r in svc.outbox.for_conversation(key)}
        trace = svc.runtime.resume(key, {**answer, "reviewer": user.name})
        now = svc.clock.now()
        # the replies this action queued, so the thread can name the person behind each (shopdesk/reply_authors.py)
        detail = {**(detail or {}), "outbox_ids": [r.id for r in svc.outbox.for_conversation(key)
                                                   if r.id not in queued_before]}
        svc.conversations.record_result(key, trace.model_dump(mode="json"), status_after(trace), now)
        refused = [n for n in trace.engine_notes[notes_before:] if n.startswith(REFUSED)]
        if refused:
            why = refused[-1].removeprefix(REFUSED)
            svc.conversations.audit(key, f"human:{user.name}", "refused", now, reason=f"{action}: {why}", **(detail or {}))
            raise ConsoleError(f"not sent: {why}")
        svc.conversations.audit(key, f"human:{user.name}", action, now, route=trace.route, status=trace.status,
                                reason=answer.get("reason"), compliance_ok=(trace.compliance or {}).get("ok"),
                                **(detail or {}))
        return self.conversation(key)

    def approver_for(self, pending: dict[str, Any]) -> tuple[str, str]:
        """The role that may decide a proposed write, and the write in words ("a refund of $54.99 (above the $50
        approval threshold)"): the console disables the decision for others instead of refusing after a click."""
        settings = self.seller_settings()
        tool, args = str(pending.get("tool", "")), pending.get("args") or {}
        needed = settings.approvers.role_for(tool, args, settings.refund_approval_threshold)
        what = f"this {tool.replace('_', ' ') or 'write'}"
        if tool == "refund":
            above = refund_above(args, settings.refund_approval_threshold)
            what = f"a refund of ${args.get('amount')}" + (
                f" (above the ${settings.refund_approval_threshold} approval threshold)" if above else "")
        return needed, what

    def may_decide(self, pending: dict[str, Any], user_role: str) -> bool:
        """Whether a person with `user_role` may approve or deny `pending` (admins decide every write)."""
        return user_role == "admin" or self.approver_for(pending)[0] == "agent"

    def _require_approver(self, key: str, pending: dict[str, Any], user: User, action: str) -> None:
        """Deciding a proposed write (approving it, denying it, or sending the draft that proposes it) needs
        the role the seller set for that write; refunds above the approval threshold need an admin by default."""
        if self.may_decide(pending, user.role):
            return
        needed, what = self.approver_for(pending)
        tool = str(pending.get("tool", ""))
        self.service.conversations.audit(key, f"human:{user.name}", "refused", self.service.clock.now(),
                                         reason=f"{action} of {tool} needs {needed}")
        raise ConsoleError(f"only an admin can approve or deny {what}: ask an admin to decide it")

    def approve(self, key: str, user: User) -> ConversationView:
        return self._resume(key, user, {"action": "approve"}, "approved")

    def edit_and_send(self, key: str, text: str, user: User, pending: PendingChoice | None = None) -> ConversationView:
        """Send the person's text instead of the draft. While a write waits for approval, `pending` says what
        becomes of it (approve: made first, then the text goes; deny: dropped; keep: still waiting after the
        text went out) and the text may not contradict it; deciding it needs the approver's role."""
        text = text.strip()
        if not text:
            raise ConsoleError("write the reply first")
        if pending is not None and pending not in PENDING_CHOICES:
            raise ConsoleError(f"unknown choice {pending!r} for the pending write (approve, deny or keep)")
        decided: dict[str, Any] = {}

        def check(values: dict[str, Any]) -> None:
            waiting = values.get("pending_action")
            if problem := choice_problem(text, waiting, pending):
                raise ConsoleError(problem)
            if awaits_approval(waiting):
                decided.update(pending_choice=pending, pending_write=waiting)

        answer = {"action": "edit", "text": text, **({"pending": pending} if pending else {})}
        view = self._resume(key, user, answer, "edited", check=check, detail=decided)
        if decided and pending in ("approve", "deny") and view.pending_action is None:  # the write was decided
            self.service.conversations.audit(
                key, f"human:{user.name}", "approved_action" if pending == "approve" else "denied_action",
                self.service.clock.now(), reason="decided with an edited reply", status=view.row.status,
                pending_write=decided["pending_write"])
        if pending == "approve" and decided and view.row.status == "handed_off":
            raise ConsoleError(f"not sent: {'; '.join(view.reasons)}. The conversation is with a person now")
        if view.awaiting_review and view.draft == text and view.compliance and not view.compliance.get("ok"):
            rules = ", ".join(v["rule"] for v in view.compliance.get("violations", []))
            raise ConsoleError(f"not sent: the edited reply breaks {rules}; fix it and send again")
        return view

    def reject(self, key: str, reason: str, user: User) -> ConversationView:
        """Nothing is sent; the conversation stays open with a person (status handed off, the reason in its
        routing reasons) and keeps its reply clock. The audit log says "rejected"."""
        return self._resume(key, user, {"action": "reject", "reason": reason.strip() or "no reason given"}, "rejected")

    def take_over(self, key: str, user: User) -> ConversationView:
        state = self.service.runtime.graph.get_state({"configurable": {"thread_id": key}})  # type: ignore[arg-type]
        if state.interrupts:
            return self._resume(key, user, {"action": "take_over"}, "took_over")
        now = self.service.clock.now()
        self.service.conversations.set_status(key, "handed_off", now)
        self.service.conversations.audit(key, f"human:{user.name}", "took_over", now)
        return self.conversation(key)

    def clear_flags(self, key: str, user: User) -> ConversationView:
        """A person looked at the conversation's risk (a chargeback, a safety report) and clears it: later
        messages are read on their own again. Recorded in the audit log with the flags cleared."""
        if self.service.conversations.get(key) is None:
            raise ConsoleError(f"no conversation {key}")
        now = self.service.clock.now()
        cleared = self.service.conversations.clear_flags(key, now)
        if not cleared:
            raise ConsoleError("this conversation has no risk flags to clear")
        self.service.conversations.audit(key, f"human:{user.name}", "cleared_flags", now, flags=cleared)
        return self.conversation(key)

    def approve_action(self, key: str, user: User) -> ConversationView:
        view = self.conversation(key)
        if not (view.pending_action or {}).get("needs_approval"):
            raise ConsoleError("there is no write waiting for approval")
        return self._resume(key, user, {"action": "approve"}, "approved_action")

    def deny_action(self, key: str, reason: str, user: User) -> ConversationView:
        """The write is dropped and nothing is sent: the conversation stays open with a person, who answers."""
        return self._resume(key, user, {"action": "deny_action", "reason": reason.strip() or "no reason given"},
                            "denied_action")

    def send_own_reply(self, key: str, text: str, user: User, pending: PendingChoice | None = None) -> ConversationView:
        """A person answers a handed-off conversation; compliance checks it like any draft, then it is queued once.
        On a conversation waiting for review it is an edit (`pending`: what becomes of a write waiting for approval)."""
        svc = self.service
        row = svc.conversations.get(key)
        if row is None:
            raise ConsoleError(f"no conversation {key}")
        text = text.strip()
        if not text:
            raise ConsoleError("write the reply first")
        state = svc.runtime.graph.get_state({"configurable": {"thread_id": key}})  # type: ignore[arg-type]
        if state.interrupts:
            return self.edit_and_send(key, text, user, pending=pending)
        values = state.values or {}
        evidence = [json.dumps(r.get("data"), default=str) for r in values.get("tool_results", []) if r.get("data")]
        evidence += [p.get("text", "") for p in values.get("passages", [])]
        evidence += [m.text for m in svc.conversations.messages(key)]
        evidence.append(json.dumps({"active_order_id": values.get("active_order_id")}))  # as agent/nodes/check.py
        report = check_reply(ComplianceInput(text=text, platform=row.platform, evidence=evidence),  # type: ignore[arg-type]
                             svc.policies[row.platform])  # type: ignore[index]
        if not report.ok:
            rules = ", ".join(v.rule for v in report.violations)
            raise ConsoleError(f"not sent: the reply breaks {rules}: "
                               + "; ".join(v.message for v in report.violations))
        turn = values.get("turn", 0)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        message = OutboundMessage(conversation_id=key, platform=row.platform, customer_id=row.customer_id,  # type: ignore[arg-type]
                                  text=text, idempotency_key=f"{key}:{turn}:human:{digest}", author="human")
        now = svc.clock.now()
        record = svc.outbox.enqueue(message, now)
        svc.conversations.set_status(key, "queued", now)
        svc.conversations.audit(key, f"human:{user.name}", "wrote_reply", now, outbox_ids=[record.id])
        return self.conversation(key)

    # ------------------------------------------------------------------ dashboard

    def dashboard(self) -> Dashboard:
        svc = self.service
        rows = svc.conversations.list(limit=100_000)
        figures = metrics_service.metrics(svc)  # each platform's clock as it counts it (shopdesk/metrics_service.py)
        platforms = [PlatformFigures(
            platform=p.platform, conversations=p.conversations, answered=p.answered,
            first_response_p50_s=_seconds(p.first_response_median_min.raw),
            first_response_p90_s=_seconds(p.first_response_p90_min.raw),
            within_clock_share=p.within_clock.raw) for p in figures.platforms]
        sent = [r for r in svc.outbox.records("sent", limit=1_000_000)]
        processed = [r for r in rows if r.route]
        handoffs = [r for r in processed if r.route == "handoff"]
        health = account_health(self._store, svc.policies, svc.clock.now())
        blocks: Counter[str] = Counter()
        for row in processed:
            for violation in ((row.trace or {}).get("compliance") or {}).get("violations", []):
                blocks[violation["rule"]] += 1
        return Dashboard(
            platforms=platforms, conversations=len(rows), replies_sent=len(sent),
            holding_sent=sum(1 for r in sent if r.message.kind == "acknowledgment"),
            automation_rate=figures.automation_per_reply.raw, metrics=figures,
            handoff_rate=(len(handoffs) / len(processed)) if processed else None,
            handoffs_by_reason=dict(Counter(reason for r in handoffs for reason in r.reasons)),
            compliance_blocks_by_rule=dict(blocks),
            volume_by_intent=dict(Counter(r.intent or "unknown" for r in rows)),
            volume_by_platform=dict(Counter(r.platform for r in rows)),
            amazon_odr=next((f.value for f in health if f.platform == "amazon"), None),
            account_health=health,
        )

    # ------------------------------------------------------------------ settings

    def seller_settings(self) -> SellerSettings:
        return self.service.runtime.context.seller_settings

    def update_seller_settings(self, new: SellerSettings, user: User) -> SellerSettings:
        if user.role != "admin":
            raise ConsoleError("only an admin can change the automation settings")
        validated = SellerSettings.model_validate(new.model_dump())
        if problem := autopilot_problem(validated):
            raise ConsoleError(problem)
        changes = autopilot_changes(self.seller_settings(), validated)
        validated.save(self.service.settings.data_dir / "seller_settings.json")
        self.service.runtime.context.seller_settings = validated
        now = self.service.clock.now()
        self.service.conversations.audit(None, f"human:{user.name}", "settings_changed", now,
                                         settings=validated.model_dump(mode="json"))
        for change in changes:  # turning autopilot on is an explicit choice per channel and intent: each audited
            self.service.conversations.audit(None, f"human:{user.name}", change.action, now,
                                             **change.model_dump(exclude={"action"}))
        return validated

    def display_zone(self) -> ZoneInfo:
        """The seller's time zone: the console shows every time in it (deadlines are computed in UTC)."""
        return self.seller_settings().zone


def conversation_order(row: ConversationRow) -> str | None:
    """The order a conversation is about, from its own facts: the order id its channel gave, else the last order
    a tool of the agent read successfully for it (what the customer merely typed is not checked, so not used)."""
    if row.order_hint:
        return row.order_hint
    for call in reversed((row.trace or {}).get("tool_calls") or []):
        order_id = (call.get("args") or {}).get("order_id")
        if call.get("ok") and isinstance(order_id, str) and order_id:
            return order_id
    return None


def _seconds(minutes: float | None) -> float | None:
    return None if minutes is None else minutes * 60
