"""`shopdesk serve --simulate`: every marketplace's simulator on loopback, and customers who keep writing.

Starts the loopback mail server (Amazon and Walmart relays, the Shopify store mailbox) and one API
simulator per platform over the demo store, points the settings at them with fresh random secrets, and
feeds a steady stream of customer messages across all six platforms (texts from the development eval
scenarios, bound to real customers and orders of the store), so a new user sees messages flow in and
replies flow back. The simulators record what they receive in one `SimLog`.

The customers' script is played once, never in a loop: each message is sent at most once, and with a
`TrafficLedger` (shopdesk/demo_traffic.py) a restarted demo continues where the last run stopped instead of
replaying the same words into the same conversations. When a pass over the scenarios is used up, the next
pass ("lap") binds them to the next records of the store, so new customers keep writing.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from channels.serving import BackgroundServer
from channels.simulators import amazon as amazon_sim
from channels.simulators import ebay as ebay_sim
from channels.simulators import meta as meta_sim
from channels.simulators import shopify as shopify_sim
from channels.simulators import tiktok as tiktok_sim
from channels.simulators import walmart as walmart_sim
from channels.simulators.log import SimLog, SimRecord
from channels.simulators.mail import MailServer
from shopdesk.demo_traffic import TrafficLedger, fingerprint
from shopdesk.settings import Settings
from tools.sandbox.store import SandboxStore

log = logging.getLogger("shopdesk.simulate")

SETS = Path(__file__).resolve().parents[1] / "evals" / "sets"
PAGE_ID, IG_ID = "104857600000001", "17841400000000001"
TRAFFIC_PLATFORMS = ("amazon", "tiktok", "shopify", "walmart", "ebay", "facebook", "instagram")


@dataclass
class Ticket:
    platform: str
    customer_id: str
    text: str
    order_id: str | None
    unusual: bool = False  # an adversarial or must-handoff scenario

    @property
    def key(self) -> str:
        """Who writes what where: two tickets with one key would be the customer repeating themselves."""
        return fingerprint(self.platform, self.customer_id, self.text)


class _OrdersReadOnce:
    """The store as binding scenarios reads it, with each `find_orders` query answered once: binding ~700
    scenario variations re-read (and re-validated) every order of a platform each time, over a minute on 2
    cores before the first simulated customer could write; the same lists from memory take a few seconds."""

    def __init__(self, store: SandboxStore) -> None:
        self._store = store
        self._orders: dict[tuple[tuple[str, Any], ...], list[Any]] = {}

    def find_orders(self, **query: Any) -> list[Any]:
        key = tuple(sorted(query.items()))
        if key not in self._orders:
            self._orders[key] = self._store.find_orders(**query)
        return list(self._orders[key])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def demo_tickets(store: SandboxStore, *, seed: int = 7, variations: int = 3, lap: int = 0) -> list[Ticket]:
    """First turns of the development scenarios, bound to real records (the held-out set stays unseen).

    Lap n binds each scenario to its matches n*variations.. (the next orders that fit it). A binding that wraps
    around to a record already bound gives the same customer the same words: kept once, never sent twice."""
    from evals.runner import ScenarioSetupError, bind
    from evals.scenarios import fill, load_scenarios

    store = _OrdersReadOnce(store)  # type: ignore[assignment]
    tickets: list[Ticket] = []
    for path in sorted(SETS.glob("*.yaml")):
        if path.stem == "holdout":
            continue
        for scenario in load_scenarios(path):
            if not scenario.turns or scenario.platform not in TRAFFIC_PLATFORMS:
                continue
            for variation in range(lap * variations, (lap + 1) * variations):
                try:
                    customer_id, bindings = bind(store, scenario, variation)
                except (ScenarioSetupError, StopIteration, LookupError):
                    break
                if not store.get_customer(customer_id).identity_on(scenario.platform):
                    continue
                text = fill(scenario.turns[0], bindings)
                unusual = bool({"adversarial", "must_handoff", "handoff"} & set(scenario.tags))
                tickets.append(Ticket(scenario.platform, customer_id, text, (bindings.get("order") or {}).get("id"),
                                      unusual))
    tickets = _first_of_each(tickets)
    rng = random.Random(seed)
    common, unusual = [t for t in tickets if not t.unusual], [t for t in tickets if t.unusual]
    rng.shuffle(common)
    rng.shuffle(unusual)
    # a realistic stream: mostly everyday questions, an adversarial or must-handoff one every sixth message
    mixed: list[Ticket] = []
    for i, ticket in enumerate(common):
        mixed.append(ticket)
        if i % 5 == 4 and unusual:
            mixed.append(unusual.pop())
    return mixed + unusual


def _first_of_each(tickets: list[Ticket]) -> list[Ticket]:
    seen: set[str] = set()
    unique = []
    for ticket in tickets:
        if ticket.key not in seen:
            seen.add(ticket.key)
            unique.append(ticket)
    return unique


def play_order(tickets: list[Ticket]) -> list[Ticket]:
    """The order the customers write in: round-robin over the platforms, each platform's messages in their own
    order, a platform leaving the round when its messages are used up (each message once, none repeated)."""
    queues = {p: deque(t for t in tickets if t.platform == p) for p in TRAFFIC_PLATFORMS}
    ordered: list[Ticket] = []
    while any(queues.values()):
        ordered += [queues[p].popleft() for p in TRAFFIC_PLATFORMS if queues[p]]
    return ordered


class Simulation:
    """The marketplaces' side of a demo or an end-to-end test. `start()` -> `settings_for(base)` -> traffic."""

    ledger: TrafficLedger | None = None
    """What earlier runs on this data dir sent (None: remember only this run: tests, benchmarks)."""
    lap = 0
    """The pass over the scenarios the customers' messages come from (shopdesk/simulate.py: `demo_tickets`)."""

    def __init__(self, settings: Settings, *, ledger: TrafficLedger | None = None) -> None:
        self.settings = settings
        self.ledger = ledger
        self.log = SimLog()
        self._stack = ExitStack()
        self.secrets = {name: secrets.token_hex(16) for name in (
            "shopify_webhook", "shopify_token", "tiktok_key", "tiktok_secret", "tiktok_token", "ebay_token",
            "ebay_verification", "meta_secret", "meta_verify", "meta_token", "amazon_client_secret",
            "amazon_refresh", "walmart_secret", "walmart_webhook", "imap_password")}
        self.urls: dict[str, str] = {}
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None
        self._tickets: tuple[int, list[Ticket]] | None = None  # (seed, tickets) made by prepare_traffic
        self.sent: list[tuple[str, str, str]] = []

    def start(self) -> "Simulation":
        s = self.secrets
        self.store = self._stack.enter_context(SandboxStore(self.settings.store_path))
        self.mail = self._stack.enter_context(MailServer(self.log, self.settings.seller_email,
                                                         password=s["imap_password"]))
        self.ebay_key = ebay_sim.generate_signing_key()
        apps: dict[str, Any] = {
            "shopify": shopify_sim.create_app(self.store, self.log, access_token=s["shopify_token"]),
            "tiktok": tiktok_sim.create_app(self.store, self.log, app_key=s["tiktok_key"], app_secret=s["tiktok_secret"],
                                            access_token=s["tiktok_token"], shop_cipher="SIMCIPHER"),
            "ebay": ebay_sim.create_app(self.store, self.log, access_token=s["ebay_token"], signing_key=self.ebay_key),
            "meta": meta_sim.create_app(self.store, self.log, page_token=s["meta_token"], page_id=PAGE_ID),
            "amazon": amazon_sim.create_app(self.store, self.log, client_id="amzn1.application-oa2-client.sim",
                                            client_secret=s["amazon_client_secret"], refresh_token=s["amazon_refresh"]),
            "walmart": walmart_sim.create_app(self.store, self.log, client_id="walmart-sim",
                                              client_secret=s["walmart_secret"]),
        }
        for name, app in apps.items():
            self.urls[name] = self._stack.enter_context(BackgroundServer(app)).url
        self.http = self._stack.enter_context(httpx.Client(timeout=10.0))
        return self

    def settings_for(self, base: Settings) -> Settings:
        """`base` pointed at the simulators, with this run's secrets."""
        s, u = self.secrets, self.urls
        return _copy(base, {
            "shopify_webhook_secret": s["shopify_webhook"], "shopify_api_url": f"{u['shopify']}/admin/api/2026-10",
            "shopify_access_token": s["shopify_token"],
            "tiktok_api_url": u["tiktok"], "tiktok_app_key": s["tiktok_key"], "tiktok_app_secret": s["tiktok_secret"],
            "tiktok_access_token": s["tiktok_token"], "tiktok_shop_cipher": "SIMCIPHER",
            "ebay_api_url": u["ebay"], "ebay_access_token": s["ebay_token"],
            "ebay_verification_token": s["ebay_verification"], "ebay_seller_username": ebay_sim.SELLER,
            "meta_graph_url": u["meta"], "meta_app_secret": s["meta_secret"], "meta_verify_token": s["meta_verify"],
            "meta_page_token": s["meta_token"], "meta_page_id": PAGE_ID,
            "amazon_api_url": u["amazon"], "amazon_lwa_url": f"{u['amazon']}/auth/o2/token",
            "amazon_client_id": "amzn1.application-oa2-client.sim", "amazon_client_secret": s["amazon_client_secret"],
            "amazon_refresh_token": s["amazon_refresh"],
            "walmart_api_url": u["walmart"], "walmart_client_id": "walmart-sim",
            "walmart_client_secret": s["walmart_secret"],
            "walmart_webhook_auth": "basic", "walmart_webhook_secret": f"walmart:{s['walmart_webhook']}",
            "imap_host": "127.0.0.1", "imap_port": self.mail.imap_port, "imap_ssl": False,
            "imap_user": self.mail.user, "imap_password": self.mail.password, "smtp_host": "127.0.0.1",
            "smtp_port": self.mail.smtp_port, "smtp_starttls": False, "smtp_user": self.mail.user,
            "smtp_password": self.mail.password, "email_authserv_id": self.mail.authserv_id,
        })

    def connect(self, shopdesk_url: str) -> None:
        """Build the drivers that deliver customer messages and order events to shopdesk at `shopdesk_url`."""
        s, hooks = self.secrets, f"{shopdesk_url}/webhooks"
        self.tiktok = tiktok_sim.TikTokSimulator(self.store, self.log, f"{hooks}/tiktok", app_key=s["tiktok_key"],
                                                 app_secret=s["tiktok_secret"], http=self.http)
        self.meta = meta_sim.MetaSimulator(self.store, self.log, f"{hooks}/meta", app_secret=s["meta_secret"],
                                           page_id=PAGE_ID, ig_id=IG_ID, http=self.http)
        self.ebay = ebay_sim.EbaySimulator(self.store, self.log, f"{hooks}/ebay", signing_key=self.ebay_key,
                                           http=self.http)
        self.shopify = shopify_sim.ShopifySimulator(self.store, self.log, f"{hooks}/shopify",
                                                    webhook_secret=s["shopify_webhook"], http=self.http)
        self.walmart = walmart_sim.WalmartSimulator(self.store, self.log, f"{hooks}/walmart", auth="basic",
                                                    secret=f"walmart:{s['walmart_webhook']}", http=self.http)

    # ------------------------------------------------------------------ the customers' side

    def customer_writes(self, ticket: Ticket) -> str:
        """Deliver one customer message the way its platform does; returns the platform's message id."""
        customer = self.store.get_customer(ticket.customer_id)
        if ticket.platform in ("amazon", "walmart", "shopify"):
            kind = "relay_email" if ticket.platform != "shopify" else "email"
            address = next(i.value for i in customer.identity_on(ticket.platform) if i.kind == kind)  # type: ignore[arg-type]
            ref = self.mail.send_customer_email(address, None, ticket.text, order_id=ticket.order_id, name=customer.name)
        elif ticket.platform == "tiktok":
            ref = self.tiktok.customer_writes(ticket.customer_id, ticket.text, order_id=ticket.order_id)
        elif ticket.platform == "ebay":
            ref = self.ebay.customer_writes(ticket.customer_id, ticket.text, order_id=ticket.order_id)
        else:
            ref = self.meta.customer_writes(ticket.customer_id, ticket.text, order_id=ticket.order_id,
                                            platform=ticket.platform)
        self.sent.append((ticket.platform, ticket.customer_id, ticket.text))
        return ref

    def order_event(self, platform: str, order_id: str) -> str | None:
        """An order update webhook where the platform has one (Shopify, TikTok, eBay, Walmart)."""
        if platform == "shopify":
            return self.shopify.send_order_event(order_id, "orders/updated")
        if platform == "tiktok":
            return self.tiktok.send_order_event(order_id)
        if platform == "ebay":
            return self.ebay.send_order_event(order_id)
        if platform == "walmart":
            return self.walmart.send_order_event(order_id, "PO_CREATED")
        return None

    def prepare_traffic(self, *, seed: int = 7) -> int:
        """Bind the customers' messages to the store now (a few seconds), so that `start_traffic` sends the
        first one at once; returns how many are still to send (on a restart: those no earlier run sent)."""
        self._attempted: set[str] = set()  # this run's deliveries, refused ones too: each is tried once a run
        self.lap = self.ledger.lap if self.ledger is not None else 0
        pending = self._unsent(seed)
        if not pending:  # the earlier runs used up this lap
            pending = self._next_lap(seed)
        self._tickets = (seed, pending)
        return len(pending)

    @property
    def sent_earlier(self) -> int:
        """Scripted messages delivered by earlier runs on this data dir (not sent again)."""
        return len(self.ledger) if self.ledger is not None else 0

    def _unsent(self, seed: int) -> list[Ticket]:
        """This lap's messages in the order the customers write them, without those already delivered."""
        # the first lap is asked for as before `lap` existed (a `demo_tickets` stand-in need not know laps)
        tickets = demo_tickets(self.store, seed=seed) if self.lap == 0 else \
            demo_tickets(self.store, seed=seed, lap=self.lap)
        return [t for t in play_order(tickets) if not self._was_sent(t)]

    def _next_lap(self, seed: int) -> list[Ticket]:
        """The next pass over the scenarios, on the next matching records; [] when it brings nothing new (the
        script is used up: the traffic ends rather than repeat a customer's words)."""
        self.lap += 1
        try:
            return self._unsent(seed)
        except Exception as exc:  # noqa: BLE001 - the console keeps running without more simulated customers
            log.warning("no more simulated customer messages could be prepared: %s", type(exc).__name__)
            return []

    def _was_sent(self, ticket: Ticket) -> bool:
        return ticket.key in self._attempted or (self.ledger is not None and ticket.key in self.ledger)

    def start_traffic(self, *, per_minute: float = 20.0, seed: int = 7,
                      on_message: Callable[[Ticket], None] | None = None,
                      on_finished: Callable[[], None] | None = None) -> None:
        """A background thread: one customer message every 60/per_minute s, round-robin over the platforms, each
        message once. A delivery the platform refused is not recorded as sent (a later run tries it again);
        `on_finished` is called if the script is used up."""
        if self._tickets is None or self._tickets[0] != seed:
            self.prepare_traffic(seed=seed)
        queue = deque(self._tickets[1])  # type: ignore[index]

        def run() -> None:
            while not self._stop.is_set():
                if not queue:
                    queue.extend(self._next_lap(seed))
                    if not queue:
                        if on_finished:
                            on_finished()
                        return
                ticket = queue.popleft()
                self._attempted.add(ticket.key)
                try:
                    self.customer_writes(ticket)
                except Exception as exc:  # noqa: BLE001 - a refused delivery is shown, the stream goes on
                    log.warning("simulated %s message not delivered: %s", ticket.platform, exc)
                else:
                    self._remember(ticket)
                    if on_message:
                        on_message(ticket)
                self._stop.wait(60.0 / per_minute)

        self._feeder = threading.Thread(target=run, name="sim-traffic", daemon=True)
        self._feeder.start()

    def _remember(self, ticket: Ticket) -> None:
        if self.ledger is None:
            return
        try:
            self.ledger.record(ticket.key, lap=self.lap, platform=ticket.platform)
        except OSError as exc:  # the message went out; a later run may send it again, said here once per message
            log.warning("could not note a delivered simulated message in %s: %s", self.ledger.path, exc.strerror)

    def emails_waiting(self) -> int:
        """Customer emails in the seller's mailbox that shopdesk has not taken in yet (its poller marks an email
        seen only once it is stored): a stop waits for them, or they would be lost with this mailbox."""
        box = self.mail.mailbox
        with box.lock:
            return sum(1 for mail in box.mails if "\\Seen" not in mail.flags)

    def recipient(self, record: SimRecord) -> str:
        """Whom a reply reached, as the live feed names the customers who write (their store id), else the
        platform's address for them, whole."""
        to = str(record.data.get("to") or record.data.get("recipient") or "")
        customer_id = record.data.get("customer_id")
        if not customer_id and to:
            found = self.store.find_customer(record.platform, to)  # type: ignore[arg-type]
            customer_id = found.id if found else None
        return str(customer_id or to or "?")

    def stop_traffic(self) -> None:
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(timeout=10)

    def stop(self) -> None:
        self.stop_traffic()
        self._stack.close()

    def __enter__(self) -> "Simulation":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _copy(base: Settings, update: dict[str, Any]) -> Settings:
    """A validated copy (SecretStr fields get wrapped; model_copy(update=...) would skip validation)."""
    return Settings(_env_file=None, **{**base.model_dump(), **update})  # type: ignore[call-arg]
