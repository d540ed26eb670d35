"""Take the README screenshot of the console (the inbox above the top conversation opened) in Debian's Chromium.

    .venv/bin/python -m ui.screenshot                      # writes docs/console.png
    .venv/bin/python -m ui.screenshot --out /tmp/c.png --data-dir /tmp/demo

Builds a throwaway demo: the seeded store and knowledge base in a temporary data dir (or `--data-dir`, reused
when already seeded), a service on a clock frozen at 09:00 of the store's day with its email channel pointed
at a loopback MailServer, a few customer messages across channels, and the console served on 127.0.0.1.
Needs the test extras (Playwright for Python) and /usr/bin/chromium; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ANCHOR = datetime(2026, 11, 26, tzinfo=UTC)
USER, PASSWORD = "demo", "screenshot-only"  # the user `make run` creates, as the guide says
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MESSAGES = [  # platform, hour (UTC, store day), text
    ("amazon", 5, "My order arrived damaged, the lid is cracked and it leaks all over the counter."),
    ("walmart", 6, "Is the cedar patio table available in a darker stain?"),
    ("shopify", 7, "What is your return policy for a gift?"),
    ("ebay", 8, "My lawyer will sue you over this."),
]


def _demo_messages(service: Any) -> None:
    from channels.base import ChannelMessage

    store = service.runtime.context.backend
    for platform, hour, text in MESSAGES:
        customer = next(c for c in store.list_customers() if c.identity_on(platform)
                        and (platform == "ebay" or "@" in c.identity_on(platform)[0].value))
        identity = customer.identity_on(platform)[0].value
        key = f"{platform}:c-{customer.id}"
        service.intake.accept([ChannelMessage(
            platform=platform, delivery_id=f"{key}-demo", conversation_key=key, customer_identity=identity,
            text=text, received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))
    relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value
    service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id="lost-demo", conversation_key=f"amazon:{relay}", customer_identity=relay,
        text=f"Where is my package {order.id}? Tracking says lost, I want my money back.",
        received_at=ANCHOR.replace(hour=8), reply_route={"to": relay})])


def _settled(console: Any) -> bool:
    entries = console.inbox(include_closed=True)
    return bool(entries) and all(e.status not in ("new", "working", "queued") for e in entries)


def take(out: Path, data_dir: Path, width: int = 1440) -> Path:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright
    from pydantic import SecretStr

    from channels.serving import BackgroundServer
    from channels.simulators.log import SimLog
    from channels.simulators.mail import MailServer
    from shopdesk import kb_service, store_service
    from shopdesk.console_service import ConsoleService
    from shopdesk.server import build_app
    from shopdesk.service import Service
    from shopdesk.settings import Settings
    from ui.app import mount_console

    base = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    store_service.seed_store(base, seed=7, anchor=ANCHOR)
    kb_service.index_knowledge(base)
    with MailServer(SimLog(), "support@shop.example.com") as mail:
        settings = base.model_copy(update={
            "now": ANCHOR.replace(hour=9), "workers": 1, "poll_interval_s": 0.1, "console_users": f"{USER}:{PASSWORD}",
            "smtp_host": "127.0.0.1", "smtp_port": mail.smtp_port, "smtp_starttls": False, "smtp_user": mail.user,
            "smtp_password": SecretStr(mail.password), "imap_host": "127.0.0.1", "imap_port": mail.imap_port,
            "imap_ssl": False, "imap_user": mail.user, "imap_password": SecretStr(mail.password)})
        with Service(settings, workers=1) as service:
            console = ConsoleService(service)
            _demo_messages(service)
            deadline = time.monotonic() + 120
            while not _settled(console) and time.monotonic() < deadline:
                time.sleep(0.2)
            app = mount_console(build_app(service), console, refresh_s=2.0)
            with BackgroundServer(app) as server, sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server.url) else r.abort())
                page.goto(server.url + "/")
                page.get_by_label("username").fill(USER)
                page.get_by_label("password").fill(PASSWORD)
                page.get_by_role("button", name="Login").click()
                expect(page.locator("#inbox-table [data-testid='cell-0-6']")).to_contain_text("draft ready",
                                                                                          timeout=30_000)
                out.parent.mkdir(parents=True, exist_ok=True)
                top = out.with_suffix(".inbox.tmp.png")
                bottom = out.with_suffix(".conversation.tmp.png")
                boxes = [page.locator(f"#{e}").bounding_box() for e in ("open-select", "open-button")]
                bottom_edge = max((b["y"] + b["height"] for b in boxes if b), default=684)
                page.screenshot(path=str(top), clip={"x": 0, "y": 0, "width": width, "height": bottom_edge + 16})
                page.locator("#inbox-table [data-testid='cell-0-3']").click()
                expect(page.locator("#conv-header")).to_contain_text("draft ready", timeout=30_000)
                expect(page.locator("#draft textarea")).not_to_have_value("", timeout=30_000)
                page.mouse.move(0, 0)
                page.screenshot(path=str(bottom), full_page=True)
                browser.close()
    with Image.open(top) as a, Image.open(bottom) as b:
        b = b.crop((0, 0, b.width, min(b.height, 1250)))
        sheet = Image.new("RGB", (max(a.width, b.width), a.height + 6 + b.height), "#d0d4db")
        sheet.paste(a, (0, 0))
        sheet.paste(b, (0, a.height + 6))
        sheet.save(out, optimize=True)
    top.unlink()
    bottom.unlink()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/console.png"))
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse this demo data dir (default: a temp dir).")
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        print(take(args.out, args.data_dir))
        return
    with tempfile.TemporaryDirectory(prefix="shopdesk-screenshot-") as tmp:
        print(take(args.out, Path(tmp) / "data"))


if __name__ == "__main__":
    main()
