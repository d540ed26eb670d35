"""The screenshots of the seller guide (docs/guide.md), taken in Debian's Chromium over the demo store.

    .venv/bin/python -m ui.guide_screenshots                  # writes docs/images/*.png
    .venv/bin/python -m ui.guide_screenshots --out /tmp/imgs --data-dir /tmp/demo

Uses ui/screenshot.py's demo (the seeded store at its fixed anchor, a clock frozen at 09:00, the email channels
on a loopback MailServer, the same customer messages) plus a few everyday email questions whose drafts the demo
admin approves, so the dashboard and the review outcomes have something to show. The seller settings are the
defaults: every channel draft-only. Images are 1280 px wide and palette-quantized to stay small.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ui.screenshot import ANCHOR, CHROMIUM_ARGS, PASSWORD, USER, _demo_messages, _settled

WIDTH = 1280
EVERYDAY = [  # platform, customer index, hour (UTC, store day), text: drafts the demo admin approves. The email
    # channels only: the demo points them at a loopback mail server, the other platforms have no sender here
    ("shopify", 1, 1, "what is your return policy?"),
    ("shopify", 2, 2, "how long do refunds take?"),
    ("shopify", 3, 3, "who pays for return shipping?"),
    ("shopify", 4, 4, "how long does shipping take?"),
    ("shopify", 5, 5, "Do you ship to Alaska?"),
    ("walmart", 1, 2, "How long do refunds take once you get the return?"),
    ("walmart", 2, 6, "how many days do I have to return something?"),
    ("amazon", 1, 7, "who pays return shipping if I just changed my mind?"),
]


def _everyday_messages(service: Any) -> list[str]:
    from channels.base import ChannelMessage

    store = service.runtime.context.backend
    keys = []
    for platform, index, hour, text in EVERYDAY:
        customers = [c for c in store.list_customers() if c.identity_on(platform)
                     and (platform not in ("amazon", "walmart", "shopify") or "@" in c.identity_on(platform)[0].value)]
        customer = customers[index]
        identity = customer.identity_on(platform)[0].value
        key = f"{platform}:c-{customer.id}"
        service.intake.accept([ChannelMessage(
            platform=platform, delivery_id=f"{key}-guide", conversation_key=key, customer_identity=identity,
            text=text, received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])
        keys.append(key)
    return keys


def _wait(check: Any, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)


def _save_small(raw: Path, out: Path, max_height: int) -> Path:
    from PIL import Image

    with Image.open(raw) as image:
        image = image.convert("RGB").crop((0, 0, image.width, min(image.height, max_height)))
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    raw.unlink()
    return out


def take_all(out_dir: Path, data_dir: Path) -> list[Path]:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from playwright.sync_api import expect, sync_playwright
    from pydantic import SecretStr

    from channels.serving import BackgroundServer
    from channels.simulators.log import SimLog
    from channels.simulators.mail import MailServer
    from shopdesk import kb_service, store_service
    from shopdesk.console_service import ConsoleService, User
    from shopdesk.server import build_app
    from shopdesk.service import Service
    from shopdesk.settings import Settings
    from ui.app import mount_console

    base = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    store_service.seed_store(base, seed=7, anchor=ANCHOR)
    kb_service.index_knowledge(base)
    out_dir.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with MailServer(SimLog(), "support@shop.example.com") as mail:
        settings = base.model_copy(update={
            "now": ANCHOR.replace(hour=9), "workers": 1, "poll_interval_s": 0.1,
            "console_users": f"{USER}:{PASSWORD}:admin", "seller_email": "support@shop.example.com",
            "smtp_host": "127.0.0.1", "smtp_port": mail.smtp_port, "smtp_starttls": False, "smtp_user": mail.user,
            "smtp_password": SecretStr(mail.password), "imap_host": "127.0.0.1", "imap_port": mail.imap_port,
            "imap_ssl": False, "imap_user": mail.user, "imap_password": SecretStr(mail.password)})
        with Service(settings, workers=1) as service:
            console = ConsoleService(service)
            _demo_messages(service)
            everyday = _everyday_messages(service)
            _wait(lambda: _settled(console))
            admin = User(name=USER, role="admin")
            for key in everyday:  # the admin reads each everyday draft and approves it as it is
                view = console.conversation(key)
                if view.awaiting_review and not view.pending_action and not view.row.risk_flags:
                    console.approve(key, admin)
            _wait(lambda: _settled(console))
            app = mount_console(build_app(service), console, refresh_s=2.0)
            with BackgroundServer(app) as server, sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": WIDTH, "height": 900}, device_scale_factor=1)
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server.url) else r.abort())
                page.goto(server.url + "/")
                page.get_by_label("username").fill(USER)
                page.get_by_label("password").fill(PASSWORD)
                page.get_by_role("button", name="Login").click()
                expect(page.locator("#inbox-table")).to_contain_text("draft ready", timeout=60_000)
                page.mouse.move(0, 0)

                def shot(name: str, max_height: int) -> None:
                    raw = out_dir / f"{name}.raw.png"
                    page.screenshot(path=str(raw), full_page=True)
                    shots.append(_save_small(raw, out_dir / f"{name}.png", max_height))

                shot("inbox", 760)
                drafted = page.locator("#inbox-table [role=row].virtual-row").filter(has_text="draft ready").first
                drafted.locator("[role=gridcell]").nth(3).click()
                expect(page.locator("#conv-header")).to_contain_text("draft ready", timeout=60_000)
                page.mouse.move(0, 0)
                shot("conversation", 1500)
                page.get_by_role("tab", name="Dashboard").click()
                expect(page.locator("#kpi-summary table")).to_be_visible(timeout=60_000)
                expect(page.locator("#review-by-intent")).to_contain_text("Approval rate", timeout=60_000)
                page.mouse.move(0, 0)
                shot("dashboard", 1150)
                raw = out_dir / "review-outcomes.raw.png"
                page.locator("#review-by-intent").screenshot(path=str(raw))
                shots.append(_save_small(raw, out_dir / "review-outcomes.png", 900))
                page.get_by_role("tab", name="Settings").click()
                expect(page.locator("#autopilot-summary")).to_contain_text("Draft-only", timeout=60_000)
                page.mouse.move(0, 0)
                shot("settings", 1100)
                browser.close()
    return shots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse this demo data dir (default: a temp dir).")
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        print("\n".join(map(str, take_all(args.out, args.data_dir))))
        return
    with tempfile.TemporaryDirectory(prefix="shopdesk-guide-") as tmp:
        print("\n".join(map(str, take_all(args.out, Path(tmp) / "data"))))


if __name__ == "__main__":
    main()
