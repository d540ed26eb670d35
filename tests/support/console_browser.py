"""What every console browser test shares: Debian's Chromium driven by Playwright, pages that may reach only
the service under test, the login form, polling until a condition holds, and a customer writing in.

One copy, so a change to the login form, the browser's flags or the inbox table's markup is made once (these
were copied into six test modules before). Each module keeps its own service fixture: they differ on purpose
(email over loopback SMTP/IMAP, a recording sender, the Meta simulator, a new seller's missing settings file).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before anything imports gradio

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from pydantic import SecretStr

from channels.base import ChannelMessage
from channels.serving import BackgroundServer
from channels.simulators.log import SimLog
from channels.simulators.mail import MailServer
from shopdesk.console_service import ConsoleService
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS
from ui.app import mount_console

from polling import wait_until
from recording import RecordingSender
from testdata import ANCHOR

expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WAIT_MS = 20_000  # one console refresh is 1 s; a loaded 2-core CI machine needs far more than that
EMAIL_PLATFORMS = ("amazon", "walmart", "shopify")
SELLER = "support@shop.example.com"
USERS = "ana:ana-secret-1,bo:bo-secret-2:admin"  # an agent and an admin
PASSWORDS = {"ana": "ana-secret-1", "bo": "bo-secret-2"}
expect.set_options(timeout=WAIT_MS)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium for one test module; a missing browser fails loudly, it never skips."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is not at /usr/bin/chromium: `make test` installs it as root "
                    "(`apt-get install -y chromium`)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class ConsoleStack:
    """A running service with the console mounted, and the URL a browser reaches it at."""

    service: Service
    console: ConsoleService
    url: str

    replies_by_email = False  # a class fact, not a field: which customers `write` picks on the email platforms

    @property
    def store(self) -> Any:
        return self.service.runtime.context.backend


@dataclass
class RecordingStack(ConsoleStack):
    """Every channel's replies land in one RecordingSender: what reached the customer, without a mailbox."""

    sender: RecordingSender = field(kw_only=True)


@dataclass
class MailStack(ConsoleStack):
    """Amazon, Walmart and Shopify mail over a loopback SMTP/IMAP server; the other channels' simulators log."""

    mail: MailServer = field(kw_only=True)
    log: SimLog = field(kw_only=True)

    replies_by_email = True


@contextmanager
def console_server(service: Service, prepare: Callable[[ConsoleService], None] | None = None
                   ) -> Iterator[tuple[ConsoleService, str]]:
    """The console mounted on the service's app, served on 127.0.0.1 with a 1 s refresh."""
    console = ConsoleService(service)
    if prepare is not None:
        prepare(console)
    app = mount_console(build_app(service), console, refresh_s=1.0)
    with BackgroundServer(app) as server:
        yield console, server.url


@contextmanager
def recording_stack(settings: Settings, users: str = USERS) -> Iterator[RecordingStack]:
    """One worker, the console, and every platform's replies recorded in memory."""
    sender = RecordingSender()
    settings = settings.model_copy(update={"console_users": users, "workers": 1})
    with Service(settings, workers=1, senders={p: sender for p in PLATFORMS}) as service:
        with console_server(service) as (console, url):
            yield RecordingStack(service, console, url, sender=sender)


@contextmanager
def mail_stack(settings: Settings, prepare: Callable[[ConsoleService], None] | None = None) -> Iterator[MailStack]:
    """The service with its real channel registry: email platforms over a loopback mail server."""
    log = SimLog()
    with MailServer(log, SELLER) as mail:
        settings = settings.model_copy(update={
            "console_users": USERS, "workers": 1, "seller_email": SELLER,
            "smtp_host": "127.0.0.1", "smtp_port": mail.smtp_port, "smtp_starttls": False,
            "smtp_user": mail.user, "smtp_password": SecretStr(mail.password),
            "imap_host": "127.0.0.1", "imap_port": mail.imap_port, "imap_ssl": False,
            "imap_user": mail.user, "imap_password": SecretStr(mail.password)})
        with Service(settings, workers=1, start_threads=True) as service:  # senders=None: the registry builds them
            with console_server(service, prepare) as (console, url):
                yield MailStack(service, console, url, mail=mail, log=log)


def open_page(browser: Any, stack: ConsoleStack) -> Any:
    """A fresh browser context whose requests may reach only the service under test (tests stay offline)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith((stack.url, "data:", "blob:")) else route.abort())
    return context.new_page()


def login(browser: Any, stack: ConsoleStack, user: str = "ana") -> Any:
    """Sign in through the console's login form, as a person would; returns the page once it greets them."""
    page = open_page(browser, stack)
    page.goto(stack.url + "/")
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#whoami")).to_contain_text(f"Signed in as {user}")
    return page


def table_rows(page: Any, elem_id: str = "inbox-table") -> list[list[str]]:
    """The visible rows of a console table, as the text of their cells."""
    rows = page.locator(f"#{elem_id} [role=row].virtual-row")
    return [[c.inner_text().strip() for c in row.locator("[role=gridcell]").all()] for row in rows.all()]


def write(stack: ConsoleStack, platform: str, text: str, hour: int, index: int = 0) -> str:
    """The `index`-th customer of `platform` writes `text` at `hour` on the anchor day; returns the conversation
    key. On a MailStack's email platforms only customers with an email address write (the reply goes by mail)."""
    customers = [c for c in stack.store.list_customers() if c.identity_on(platform)
                 and (not stack.replies_by_email or platform not in EMAIL_PLATFORMS
                      or "@" in c.identity_on(platform)[0].value)]
    identity = customers[index].identity_on(platform)[0].value
    key = f"{platform}:c-{customers[index].id}"
    stack.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{hour}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=text, received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])
    return key


def waiting(stack: ConsoleStack, *keys: str, timeout_s: float = 120.0) -> None:
    """Until every conversation in `keys` has a draft waiting for a person."""
    wait_until(lambda: all((c := stack.service.conversations.get(k)) and c.status in ("draft_ready", "needs_approval")
                           for k in keys), "the drafts to wait for a person", timeout_s)
