"""The console's macro calls: admins create, edit and delete macros; anyone signed in inserts one into a reply.

Role checks, bounded input and audit entries live here (ui/ only lays out). Inserting returns the filled text
for the person's reply box; nothing is sent until they use Edit & send or Send my reply, which check it like any
reply (agent/nodes/review.py for a draft under review, ConsoleService.send_own_reply otherwise).
"""

from __future__ import annotations

from typing import Any

from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.macros import Macro, MacroError, MacroFacts, MacroStore, fill

KEY_MAX = 300


class MacroService:
    def __init__(self, console: ConsoleService) -> None:
        self.console = console
        self.store = MacroStore(console.service.settings.app_db_path)
        self.store.seed_defaults(console.service.clock.now())

    # ------------------------------------------------------------------ reads

    def list(self) -> list[Macro]:
        return self.store.list()

    def get(self, macro_id: Any) -> Macro:
        found = self.store.get(_macro_id(macro_id))
        if found is None:
            raise ConsoleError("that macro no longer exists: pick another")
        return found

    # ------------------------------------------------------------------ admin: manage

    def save(self, macro_id: Any, name: str, body: str, user: User) -> Macro:
        """Create (`macro_id` None) or change a macro; admins only; audited with the text before and after."""
        self._require_admin(user, "create or change macros")
        now = self.console.service.clock.now()
        try:
            if macro_id in (None, ""):
                made = self.store.create(name, body, user.name, now)
                self._audit(user, "macro_created", macro_id=made.id, name=made.name, body=made.body)
                return made
            before, after = self.store.update(_macro_id(macro_id), name, body, user.name, now)
        except MacroError as exc:
            raise ConsoleError(str(exc)) from None
        self._audit(user, "macro_changed", macro_id=after.id, name=after.name, body=after.body,
                    name_before=before.name, body_before=before.body)
        return after

    def delete(self, macro_id: Any, user: User) -> Macro:
        self._require_admin(user, "delete macros")
        try:
            gone = self.store.delete(_macro_id(macro_id))
        except MacroError as exc:
            raise ConsoleError(str(exc)) from None
        self._audit(user, "macro_deleted", macro_id=gone.id, name=gone.name, body=gone.body)
        return gone

    # ------------------------------------------------------------------ anyone: insert into a reply

    def facts(self, key: str) -> MacroFacts:
        """The placeholder values this conversation's own evidence holds (the same facts its compliance check
        accepts), and why each absent one is absent."""
        svc = self.console.service
        row = svc.conversations.get(_key(key))
        if row is None:
            raise ConsoleError(f"no conversation {key}")
        state = svc.runtime.graph.get_state({"configurable": {"thread_id": row.key}})  # type: ignore[arg-type]
        values: dict[str, Any] = state.values or {}
        facts = MacroFacts()
        name = values.get("customer_name") or self._customer_name(row.customer_id)
        if name:
            facts.values.update(customer_name=name, customer_first_name=name.split()[0])
        else:
            why = "the customer is not identified yet"
            facts.missing.update(customer_name=why, customer_first_name=why)
        policy = svc.policies.get(row.platform)  # type: ignore[call-overload]
        facts.values["marketplace"] = policy.display_name if policy else row.platform
        order_id = values.get("active_order_id")
        if order_id:
            facts.values["order_id"] = str(order_id)
            _parcel(facts, str(order_id), values.get("tool_results") or [])
        else:
            why = "the agent has not settled which order this conversation is about"
            facts.missing.update(order_id=why, tracking_number=why, carrier=why)
        return facts

    def insert(self, key: str, macro_id: Any, user: User, current: str = "") -> str:
        """`current` (what the reply box holds) with the macro filled for this conversation appended, or a
        ConsoleError naming the placeholders without a value. Audited (which macro, where)."""
        macro = self.get(macro_id)
        facts = self.facts(key)
        facts.values["agent_name"] = user.name if not user.name.islower() else user.name.title()
        try:
            text = fill(macro.body, facts)
        except MacroError as exc:
            raise ConsoleError(str(exc)) from None
        current = (current or "").rstrip()
        combined = f"{current}\n\n{text}" if current else text
        if len(combined) > 10_000:
            raise ConsoleError("the reply would be over 10,000 characters: shorten it first")
        self.console.service.conversations.audit(_key(key), f"human:{user.name}", "macro_inserted",
                                                 self.console.service.clock.now(), macro_id=macro.id, name=macro.name)
        return combined

    # ------------------------------------------------------------------ helpers

    def _customer_name(self, customer_id: str | None) -> str | None:
        if not customer_id:
            return None
        try:
            return str(self.console.service.runtime.context.backend.get_customer(customer_id).name)
        except Exception:  # noqa: BLE001 - a customer missing from the store has no name to offer
            return None

    def _require_admin(self, user: User, what: str) -> None:
        if user.role != "admin":
            raise ConsoleError(f"only an admin can {what}")

    def _audit(self, user: User, action: str, **detail: Any) -> None:
        self.console.service.conversations.audit(None, f"human:{user.name}", action,
                                                 self.console.service.clock.now(), **detail)


def _parcel(facts: MacroFacts, order_id: str, tool_results: list[dict[str, Any]]) -> None:
    """Tracking number and carrier of the order's parcel, from what the agent's tools read this turn; an order
    with several parcels has no single value (the person writes them)."""
    parcels: dict[str, str | None] = {}
    for result in tool_results:
        data = result.get("data") if result.get("ok") else None
        if not isinstance(data, dict) or data.get("order_id") != order_id:
            continue
        for shipment in data.get("shipments") or []:
            if isinstance(shipment, dict) and shipment.get("tracking_number"):
                parcels[str(shipment["tracking_number"])] = shipment.get("carrier")
    if len(parcels) == 1:
        (number, carrier), = parcels.items()
        facts.values["tracking_number"] = number
        if carrier:
            facts.values["carrier"] = str(carrier)
        else:
            facts.missing["carrier"] = f"the parcel of order {order_id} names no carrier"
        return
    if parcels:
        why = f"order {order_id} has {len(parcels)} parcels ({', '.join(parcels)})"
        carriers = {c for c in parcels.values() if c}
        if len(carriers) == 1:
            facts.values["carrier"] = carriers.pop()
        else:
            facts.missing["carrier"] = why
        facts.missing["tracking_number"] = why
        return
    why = f"the agent's tools read no parcel of order {order_id} in this conversation's latest turn"
    facts.missing.update(tracking_number=why, carrier=why)


def _macro_id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConsoleError("pick a macro first") from None
    if not 0 < number < 2**31:
        raise ConsoleError("pick a macro first")
    return number


def _key(key: Any) -> str:
    if not isinstance(key, str) or not key or len(key) > KEY_MAX:
        raise ConsoleError("open a conversation first")
    return key
