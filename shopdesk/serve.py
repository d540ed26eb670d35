"""`shopdesk serve` / `shopdesk run`: the service, its HTTP app (webhooks + console), and optionally the simulators.

Kept out of the CLI module so tests and the benchmark can start the same thing. Prints a live feed of
messages in and replies out when simulating, so a new user sees the whole system working.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from channels.serving import BackgroundServer
from shopdesk import demo_summary, kb_service, store_service
from shopdesk.demo_login import DemoLogin, demo_login
from shopdesk.demo_traffic import TrafficLedger
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings

if TYPE_CHECKING:
    from shopdesk.simulate import Simulation

Printer = Callable[[str], None]


def prepare(settings: Settings, say: Printer) -> None:
    """Seed the demo store and index the knowledge base when needed (no network, packaged model)."""
    say("Checking the demo store (seeding it takes a few seconds the first time)...")
    result = store_service.seed_store(settings)
    say(f"Demo store {'seeded' if result.seeded else 'ready'} at {result.path}")
    say("Indexing the knowledge base (half a minute to two the first time on 2 idle cores, then only changed articles)...")
    with heartbeat(say, "indexing the knowledge base"):
        report = kb_service.index_knowledge(settings)
    say(f"Knowledge base: {report.chunks_total} passages ({report.chunks_embedded} embedded now)")


def with_demo_user(settings: Settings) -> tuple[Settings, DemoLogin | None]:
    """No console users configured: the demo admin, with the password kept under the data dir
    (shopdesk/demo_login.py: made once, 0600, printed only when it is made)."""
    if settings.console_users:
        return settings, None
    login = demo_login(settings.ensure_data_dir())
    return settings.model_copy(update={"console_users": f"{login.user}:{login.password}:admin"}), login


def console_line(url: str, login: DemoLogin | None) -> str:
    """Where the console is and how to sign in: the demo password itself only on the start that made it."""
    if login is None:
        return f"Console: {url}/"
    if login.created:
        return (f"Console: {url}/   (log in as {login.user} / {login.password}; saved in {login.path}, "
                "shown only this once)")
    return f"Console: {url}/   (log in as {login.user}; password stored in {login.path})"


def mount_console(app: Any, service: Service) -> bool:
    """Mount the Gradio console at / (issue 6); False when the ui package does not provide it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: gradio must not phone home
    try:
        from ui.app import mount_console as mount
    except ImportError:
        return False
    from shopdesk.console_service import ConsoleService

    mount(app, ConsoleService(service))
    return True


def serve(settings: Settings, *, simulate: bool, say: Printer, per_minute: float = 20.0,
          duration_s: float | None = None, stop: threading.Event | None = None) -> None:
    """Run until Ctrl-C, SIGTERM, `duration_s`, or `stop` is set; then stop gracefully (`_stop_gracefully`) and,
    with the simulators, print what this run did."""
    stop = stop or threading.Event()
    sim: Simulation | None = None
    service: Service | None = None
    feed: _Feed | None = None
    mark: demo_summary.Mark | None = None
    with sigterm_like_ctrl_c() as shutting_down, ExitStack() as stack:
        try:
            from shopdesk.simulate import Simulation, Ticket  # noqa: F811 - the simulators only when asked

            settings, login = with_demo_user(settings)
            if simulate:
                begun = time.monotonic()
                say("Starting the marketplace simulators and preparing the simulated customers' messages "
                    "(a few seconds)...")
                ledger = TrafficLedger(settings.ensure_data_dir())
                sim = stack.enter_context(Simulation(settings, ledger=ledger))
                feed = _Feed(sim, say)
                stack.callback(feed.show)  # replies sent while the service stopped, shown before the store closes
                settings = sim.settings_for(settings)
                count = sim.prepare_traffic()
                say(f"  {count} customer messages ready in {time.monotonic() - begun:.0f} s{_resumed(sim)}")
            begun = time.monotonic()
            say("Starting the agent: training the intent classifier (one to four minutes the first time on 2 cores, "
                "depending on load; faster once its cache is made)...")
            with heartbeat(say, "training the intent classifier"):
                service = stack.enter_context(Service(settings))
            say(f"  agent ready in {time.monotonic() - begun:.0f} s")
            say("Starting the web server and the console (a few seconds)...")
            app = build_app(service)
            console = mount_console(app, service)
            server = stack.enter_context(BackgroundServer(app, settings.host, settings.port, log_level="warning"))
            say("")
            if console:
                say(console_line(server.url, login))
            say(f"Webhooks: {server.url}/webhooks/{{shopify,tiktok,meta,ebay,walmart}}   health: {server.url}/health")
            say(f"Workers: {service.worker_count}; channels configured: {', '.join(sorted(service.senders)) or 'none'}")
            if settings.imap_host and not settings.email_authserv_id:
                say("Email: SHOPDESK_EMAIL_AUTHSERV_ID is not set, so no email sender can be authenticated: "
                    "every email goes to a person.")
            if sim is not None:
                sim.connect(server.url)
                mark = demo_summary.Mark.now(service.inbox, service.conversations)

                def arrived(ticket: Ticket) -> None:
                    say(f"  -> {ticket.platform:<9} {ticket.customer_id}: {_short(ticket.text)}")

                def used_up() -> None:
                    say("  (the customers' script is used up on this data dir: no more simulated messages; the "
                        "console keeps running)")

                say(f"Simulating customers on all six platforms ({per_minute:g} messages/min, the first one now). "
                    "Ctrl-C stops.")
                sim.start_traffic(per_minute=per_minute, on_message=arrived, on_finished=used_up)
            started = time.monotonic()
            while not stop.is_set() and (duration_s is None or time.monotonic() - started < duration_s):
                if feed is not None:
                    feed.show()
                stop.wait(0.5)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (sigterm_like_ctrl_c): the same graceful stop
            pass
        shutting_down()
        if service is None:
            say("Stopped before the service was ready: no customer message was sent.")
            return
        _stop_gracefully(sim, service, say)
    # the ExitStack has unwound: web server, workers (each finished its message in hand), dispatcher, simulators
    if sim is not None and mark is not None:
        summary = demo_summary.summarize(settings.app_db_path, mark, sent=len(sim.sent),
                                         replies=len(sim.log.replies()))
        say("")
        for line in summary.lines():
            say(line)


def _resumed(sim: Simulation) -> str:
    if not sim.sent_earlier:
        return ""
    return (f" ({sim.sent_earlier} sent by earlier runs on this data dir are not sent again: the customers' script "
            "continues where the last run stopped)")


@dataclass
class _Feed:
    """The replies half of the live feed: each reply the simulators received, shown once."""

    sim: Simulation
    say: Printer
    shown: int = 0

    def show(self) -> None:
        replies = self.sim.log.replies()
        for record in replies[self.shown:]:
            text = _short(str(record.data.get("text", "")))
            self.say(f"  <- {record.platform:<9} reply to {self.sim.recipient(record)}: {text}")
        self.shown = len(replies)


def _stop_gracefully(sim: Simulation | None, service: Service, say: Printer, email_wait_s: float = 15.0) -> None:
    """No new customer messages; the emails the customers already sent are taken in (the loopback mailbox goes away
    with this process). Then, as the ExitStack unwinds, the web server stops, the workers finish the message in hand
    (one stuck past its join lets its lease expire: the next start takes the item again), the dispatcher and the
    simulators stop. Unclaimed messages stay queued in the inbox for the next start."""
    say("")
    say("Stopping: no new customer messages; the workers finish the message in hand (the rest wait in the inbox "
        "for the next start)...")
    if sim is None:
        return
    sim.stop_traffic()
    deadline = time.monotonic() + email_wait_s
    while sim.emails_waiting() and service.email is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if waiting := sim.emails_waiting():
        say(f"  {waiting} customer emails were not taken in before the mailbox closed")


@contextmanager
def sigterm_like_ctrl_c() -> Iterator[Callable[[], None]]:
    """SIGTERM (`kill <pid>`, a container stop) raises KeyboardInterrupt in the main thread, as Ctrl-C does, so
    both stop a run the same way (Python's default for SIGTERM ends the process at once: no summary, no graceful
    stop). Call the yielded `shutting_down()` once the graceful stop has begun: a further SIGTERM is then ignored
    rather than cut it short (a second Ctrl-C still does: a person's way out). Only the main thread may set a
    signal handler: elsewhere (a test's thread) nothing changes."""
    stopping = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stopping.set
        return

    def interrupt(signum: int, frame: object) -> None:
        if not stopping.is_set():
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield stopping.set
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def heartbeat(say: Printer, what: str, every_s: float = 20.0) -> Iterator[None]:
    """A line every `every_s` while a long start-up step runs (a loaded machine can take minutes): no silent
    minute."""
    done, begun = threading.Event(), time.monotonic()

    def beat() -> None:
        while not done.wait(every_s):
            say(f"  ... still {what} ({time.monotonic() - begun:.0f} s)")

    thread = threading.Thread(target=beat, name="startup-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
