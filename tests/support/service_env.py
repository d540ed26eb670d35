"""Running services for tests: the whole simulated deployment, or a console over a recording sender.

Shared so the channel, console and security tests build them one way (they had drifted into copies).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from channels.serving import BackgroundServer
from shopdesk.console_service import ConsoleService
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from shopdesk.simulate import Simulation
from tools.models import PLATFORMS

from recording import RecordingSender

CONSOLE_USERS = "ana:pw1,bo:pw2:admin"
"""ana is an agent, bo an admin."""


@contextmanager
def simulated_service(service_settings: Settings) -> Iterator[tuple[Simulation, Service]]:
    """Every marketplace simulated on loopback, the service with 2 workers and the server it answers on."""
    base = service_settings.model_copy(update={"now": None, "workers": 2, "poll_interval_s": 0.05})
    with Simulation(base) as sim:
        settings = sim.settings_for(base)
        with Service(settings) as service, BackgroundServer(build_app(service)) as server:
            sim.connect(server.url)
            yield sim, service


@contextmanager
def recording_console(service_settings: Settings) -> Iterator[ConsoleService]:
    """A console over a service without threads whose every reply goes to one `RecordingSender`
    (reachable as `console.sender`)."""
    sender = RecordingSender()
    settings = service_settings.model_copy(update={"console_users": CONSOLE_USERS})
    with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as svc:
        console = ConsoleService(svc)
        console.sender = sender  # type: ignore[attr-defined]
        yield console
