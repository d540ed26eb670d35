"""`shopdesk serve` / `shopdesk run`: the service, its HTTP app (webhooks + console), and optionally the simulators.

Kept out of the CLI module so tests and the benchmark can start the same thing. Prints a live feed of
messages in and replies out when simulating, so a new user sees the whole system working.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from channels.serving import BackgroundServer
from shopdesk import kb_service, store_service
from shopdesk.demo_login import DemoLogin, demo_login
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings

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
    """Run until Ctrl-C, `duration_s`, or `stop` is set."""
    from shopdesk.simulate import Simulation, Ticket

    stop = stop or threading.Event()
    settings, login = with_demo_user(settings)
    with ExitStack() as stack:
        sim: Simulation | None = None
        if simulate:
            begun = time.monotonic()
            say("Starting the marketplace simulators and preparing the simulated customers' messages "
                "(a few seconds)...")
            sim = stack.enter_context(Simulation(settings))
            settings = sim.settings_for(settings)
            count = sim.prepare_traffic()
            say(f"  {count} customer messages ready in {time.monotonic() - begun:.0f} s")
        begun = time.monotonic()
        say("Starting the agent: training the intent classifier (one to four minutes the first time on 2 cores, depending on load; "
            "faster once its cache is made)...")
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

            def arrived(ticket: Ticket) -> None:
                say(f"  -> {ticket.platform:<9} {ticket.customer_id}: {_short(ticket.text)}")

            say(f"Simulating customers on all six platforms ({per_minute:g} messages/min, the first one now). "
                "Ctrl-C stops.")
            sim.start_traffic(per_minute=per_minute, on_message=arrived)
        started, shown = time.monotonic(), 0
        try:
            while not stop.is_set():
                if duration_s is not None and time.monotonic() - started >= duration_s:
                    break
                if sim is not None:
                    replies = sim.log.replies()
                    for record in replies[shown:]:
                        to = record.data.get("to") or record.data.get("recipient") or ""
                        say(f"  <- {record.platform:<9} reply to {str(to)[:28]}: {_short(str(record.data.get('text', '')))}")
                    shown = len(replies)
                stop.wait(0.5)
        except KeyboardInterrupt:
            pass
        if sim is not None:
            sim.stop_traffic()
            conversations = service.conversations.list(limit=10_000)
            by_status: dict[str, int] = {}
            for row in conversations:
                by_status[row.status] = by_status.get(row.status, 0) + 1
            say(f"\n{len(sim.sent)} customer messages sent, {len(sim.log.replies())} replies received by the "
                f"simulators; conversations by status: {by_status}")


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
