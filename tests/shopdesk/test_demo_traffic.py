"""Issue 20, a restarted demo: the customers' script is played once, continues after a restart, and the live feed
names whom a reply reached without cutting an address in half. Also SIGTERM stops a run like Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from channels.simulators.log import SimLog
from shopdesk import serve
from shopdesk.demo_summary import RunSummary
from shopdesk.demo_traffic import LEDGER_FILE, TrafficLedger, fingerprint
from shopdesk.simulate import TRAFFIC_PLATFORMS, Simulation, Ticket, demo_tickets, play_order
from tools.sandbox.store import SandboxStore


def ticket(platform: str, n: int) -> Ticket:
    return Ticket(platform, f"C{n:05d}", f"question {n} on {platform}", None)


def customers_side(store: Any = None, ledger: TrafficLedger | None = None) -> Simulation:
    """The customers' side only: no simulators, no servers (deliveries are recorded in `delivered`)."""
    sim = Simulation.__new__(Simulation)
    sim.store, sim._tickets, sim._stop, sim._feeder, sim.ledger = store, None, threading.Event(), None, ledger
    sim.delivered = []  # type: ignore[attr-defined]
    sim.customer_writes = sim.delivered.append  # type: ignore[attr-defined, method-assign]
    return sim


def play(sim: Simulation, count: int, **kwargs: Any) -> None:
    sim.start_traffic(per_minute=6000, **kwargs)
    deadline = time.monotonic() + 10
    while len(sim.delivered) < count and sim._feeder.is_alive() and time.monotonic() < deadline:  # type: ignore
        time.sleep(0.01)
    sim.stop_traffic()


def test_the_demo_script_never_has_a_customer_repeat_their_words_and_a_new_lap_brings_new_ones(
        store: SandboxStore) -> None:
    first = demo_tickets(store)
    keys = [t.key for t in first]
    assert len(first) > 500 and len(set(keys)) == len(keys)  # variations wrapping onto one record: kept once
    ordered = play_order(first)
    assert Counter(t.key for t in ordered) == Counter(keys)  # each message once, none lost, none repeated
    assert [t.platform for t in ordered[:7]] == list(TRAFFIC_PLATFORMS)  # round-robin over every platform
    second = demo_tickets(store, lap=1)
    new = {t.key for t in second} - set(keys)
    assert len(new) > len(second) // 2  # the next lap: the scenarios bound to the next matching records


def test_the_ledger_keeps_what_was_delivered_owner_only_without_the_words(tmp_path: Path) -> None:
    ledger = TrafficLedger(tmp_path)
    assert len(ledger) == 0 and ledger.lap == 0
    ledger.record(fingerprint("amazon", "C00001", "where is my order?"), lap=0, platform="amazon")
    ledger.record(fingerprint("tiktok", "C00002", "hi"), lap=2, platform="tiktok")
    path = tmp_path / LEDGER_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "where is my order" not in text and "C00001" not in text  # neither the words nor the customer
    with path.open("a") as handle:
        handle.write('{"fp": "cut short by a kill')  # a line a killed process did not finish
    again = TrafficLedger(tmp_path)
    assert len(again) == 2 and again.lap == 2 and fingerprint("tiktok", "C00002", "hi") in again
    again.record(fingerprint("ebay", "C00003", "hello"), lap=2, platform="ebay")
    assert len(TrafficLedger(tmp_path)) == 3  # the torn line did not swallow the next one
    path.unlink()
    (tmp_path / "elsewhere").write_text("")
    path.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="start the demo script over"):
        TrafficLedger(tmp_path)


def test_a_restart_continues_the_script_and_a_refused_delivery_is_not_marked_sent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    laps = {0: [ticket(p, n) for n, p in enumerate(TRAFFIC_PLATFORMS * 2)], 1: [ticket("amazon", 99)]}
    monkeypatch.setattr("shopdesk.simulate.demo_tickets",
                        lambda store, *, seed=7, lap=0: list(laps.get(lap, laps[0])))  # lap 2 adds nothing new
    first = customers_side(ledger=TrafficLedger(tmp_path))
    assert first.prepare_traffic() == 14
    play(first, 5)
    sent_first = [t.key for t in first.delivered]  # type: ignore[attr-defined]
    assert len(sent_first) >= 5 and len(set(sent_first)) == len(sent_first)

    restarted = customers_side(ledger=TrafficLedger(tmp_path))
    assert restarted.prepare_traffic() == 14 - len(sent_first) and restarted.sent_earlier == len(sent_first)
    refused = play_order(laps[0])[len(sent_first)]

    def write(t: Ticket) -> None:
        if t == refused:
            raise ConnectionError("the platform refused it")
        restarted.delivered.append(t)  # type: ignore[attr-defined]

    restarted.customer_writes = write  # type: ignore[method-assign]
    done = threading.Event()
    play(restarted, 100, on_finished=done.set)
    assert done.wait(5)  # lap 0, then lap 1's one new message, then the script is used up: no loop
    sent_again = [t.key for t in restarted.delivered]  # type: ignore[attr-defined]
    assert not set(sent_again) & set(sent_first) and len(set(sent_again)) == len(sent_again)
    assert laps[1][0].key in sent_again and refused.key not in sent_again
    assert len(TrafficLedger(tmp_path)) == len(sent_first) + len(sent_again)  # the refused one may go later

    third = customers_side(ledger=TrafficLedger(tmp_path))
    assert third.prepare_traffic() == 1  # only the refused message is left (lap 1 had nothing more)


def test_the_feed_names_the_customer_a_reply_reached_and_never_cuts_an_address(store: SandboxStore) -> None:
    sim = customers_side(store)
    log = SimLog()
    customer = next(c for c in store.list_customers() if c.identity_on("walmart"))
    relay = next(i.value for i in customer.identity_on("walmart"))
    by_address = log.record("walmart", "reply", to=relay, text="Hi")
    by_id = log.record("tiktok", "reply", to="im-123", customer_id="C00042", text="Hi")
    stranger = "someone.with.a.rather.long.address@example.org"
    unknown = log.record("shopify", "reply", to=stranger, text="Hi")
    assert sim.recipient(by_address) == customer.id and sim.recipient(by_id) == "C00042"
    assert sim.recipient(unknown) == stranger  # not a known customer: the address whole
    lines: list[str] = []
    sim.log = log
    feed = serve._Feed(sim, lines.append)
    feed.show()
    feed.show()  # each reply once
    assert lines == [f"  <- walmart   reply to {customer.id}: Hi", "  <- tiktok    reply to C00042: Hi",
                     f"  <- shopify   reply to {stranger}: Hi"]


def test_the_summary_counts_this_runs_messages_and_says_where_the_rest_are() -> None:
    summary = RunSummary(sent=12, taken_in=12, processed=10, waiting=2, failed=0, replies=1, replies_waiting=3,
                         statuses={"sent": 4, "draft_ready": 6}, continued=2, earlier=40)
    first, second, third = summary.lines()
    assert first == ("This run: 12 customer messages sent, 12 taken in by shopdesk (10 processed, 2 left queued for "
                     "the next start); replies received by the simulators: 1 (3 more wait in the outbox and go out "
                     "at the next start).")
    assert second.startswith("Conversations written in this run: 10, by status {'draft_ready': 6, 'sent': 4} (2 of")
    assert "40 from earlier runs stay in the console as history" in second and "approve them" in third


def test_sigterm_stops_like_ctrl_c_and_not_twice() -> None:
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGTERM)
    with serve.sigterm_like_ctrl_c() as shutting_down:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at once; never reached
        shutting_down()
        os.kill(os.getpid(), signal.SIGTERM)  # a graceful stop under way is not cut short
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGTERM) == before


def test_the_run_stops_cleanly_when_asked_before_the_service_is_ready(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from shopdesk.settings import Settings

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C or SIGTERM while the agent is starting

    monkeypatch.setattr(serve, "Service", interrupted)
    lines: list[str] = []
    serve.serve(Settings(_env_file=None, data_dir=tmp_path, port=0), simulate=False,  # type: ignore[call-arg]
                say=lines.append, duration_s=1)
    assert lines[-1] == "Stopped before the service was ready: no customer message was sent."
    assert json.dumps(lines).count("Stopping") == 0
