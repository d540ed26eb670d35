"""A run that crashes mid-way resumes from its checkpoint without repeating a completed write or a send."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from agent.checkpoint import checkpoint_serde
from runtime.outbox import Outbox
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR


class CrashAfter:
    """Wraps the store: the named write succeeds, then the process 'dies' once (an exception)."""

    def __init__(self, store: SandboxStore, method: str) -> None:
        self._store, self._method, self.crashed = store, method, False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name != self._method:
            return attr

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if not self.crashed:
                self.crashed = True
                raise RuntimeError("worker killed right after the write")
            return result
        return wrapped


class CrashingOutbox(Outbox):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.crashes = 1

    def enqueue(self, message, at):  # type: ignore[no-untyped-def]
        record = super().enqueue(message, at)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("worker killed right after queueing")
        return record


@pytest.fixture
def saver(tmp_path: Path):  # type: ignore[no-untyped-def]
    connection = sqlite3.connect(str(tmp_path / "checkpoints.db"), check_same_thread=False)
    yield SqliteSaver(connection, serde=checkpoint_serde())
    connection.close()


def _returnable(store: SandboxStore):  # type: ignore[no-untyped-def]
    return next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                if len(o.items) == 1 and o.delivered_at > ANCHOR - timedelta(days=8) and not store.order_returns(o.id))


def test_crash_right_after_a_write_does_not_repeat_it(make_runtime, say, store: SandboxStore, saver) -> None:  # type: ignore[no-untyped-def]
    order = _returnable(store)
    crashing = CrashAfter(store, "create_return")
    rt = make_runtime(backend=crashing, checkpointer=saver)
    first = say(order.customer_id, "shopify", f"I want to return {order.id}", rt=rt)
    with pytest.raises(RuntimeError, match="worker killed"):
        say(order.customer_id, "shopify", "yes", thread=first.thread, rt=rt)
    assert len(store.order_returns(order.id)) == 1  # the write happened before the crash
    fresh = make_runtime(checkpointer=saver)  # a new worker picks the thread up
    recovered = fresh.recover(first.thread)
    assert len(store.order_returns(order.id)) == 1
    assert recovered.status == "sent" and store.order_returns(order.id)[0].id in recovered.draft
    assert len(fresh.context.outbox.for_conversation(first.thread)) == 2  # the offer and the confirmation


def test_crash_after_queueing_does_not_send_twice(make_runtime, say, store: SandboxStore, saver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outbox = CrashingOutbox(tmp_path / "crash-app.db")
    rt = make_runtime(checkpointer=saver)
    rt.context.outbox = outbox
    customer = store.list_customers()[3]
    with pytest.raises(RuntimeError, match="after queueing"):
        say(customer.id, "amazon", "how long do refunds take?", thread="V900001", rt=rt)
    recovered = rt.recover("V900001")
    assert recovered.status == "sent"
    assert len(outbox.for_conversation("V900001")) == 1
    outbox.close()


def test_recover_on_a_finished_thread_changes_nothing(make_runtime, say, store: SandboxStore, saver) -> None:  # type: ignore[no-untyped-def]
    rt = make_runtime(checkpointer=saver)
    customer = store.list_customers()[3]
    done = say(customer.id, "amazon", "how long do refunds take?", rt=rt)
    again = rt.recover(done.thread)
    assert again.status == "sent" and len(rt.context.outbox.for_conversation(done.thread)) == 1
