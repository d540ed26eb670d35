"""A customer's photo in the console, in a real browser (Debian's Chromium via Playwright) over a running service.

A Messenger customer sends a photo alone through the Meta simulator (a signed webhook whose attachment is a
CDN link the simulator serves); shopdesk fetches it through its Meta client, re-encodes it, hands the
conversation to a person and acknowledges the photo. The person opens the conversation and sees the
thumbnail in the thread, served by the console's authenticated attachment route; the same URL without a
session is refused. The browser helpers are tests/support/console_browser.py's (a service on 127.0.0.1,
one browser per module); the page may only talk to the loopback server.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from channels.simulators import meta as meta_sim
from shopdesk.service import Service
from shopdesk.settings import Settings
from shopdesk.simulate import IG_ID, PAGE_ID, Simulation

from console_browser import ConsoleStack, console_server, expect, login, wait_until

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]
USERS = "ana:ana-secret-1"


@dataclass
class Stack(ConsoleStack):
    sim: Simulation = field(kw_only=True)
    meta: meta_sim.MetaSimulator = field(kw_only=True)


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    """The Meta simulator (Send API and media host) and the service with the console, on loopback."""
    base = service_settings.model_copy(update={"now": None, "workers": 1, "poll_interval_s": 0.05,
                                               "console_users": USERS})
    with Simulation(base) as sim:
        with Service(sim.settings_for(base), workers=1) as service:
            with console_server(service) as (console, url):
                driver = meta_sim.MetaSimulator(
                    sim.store, sim.log, f"{url}/webhooks/meta", app_secret=sim.secrets["meta_secret"],
                    page_id=PAGE_ID, ig_id=IG_ID, http=sim.http, media_url=sim.urls["meta"])
                yield Stack(service, console, url, sim=sim, meta=driver)


def camera_photo() -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmeCam"
    place = exif.get_ifd(ExifTags.IFD.GPSInfo)
    place[ExifTags.GPS.GPSLatitudeRef] = "N"
    place[ExifTags.GPS.GPSLatitude] = (40.0, 26.0, 46.0)
    out = io.BytesIO()
    Image.new("RGB", (240, 180), (180, 40, 40)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_sent_on_messenger_shows_in_the_thread(browser: Any, stack: Stack) -> None:
    customer = next(c for c in stack.sim.store.list_customers() if meta_sim._identity(c, "facebook"))
    psid = meta_sim._identity(customer, "facebook")
    key = f"facebook:{PAGE_ID}:{psid}"
    stack.meta.customer_sends_photo(customer.id, camera_photo(), filename="IMG_0042.jpg")
    kept = wait_until(lambda: (m := stack.service.conversations.messages(key)) and m[0].attachments
                      and m[0].attachments[0]["state"] == "stored" and m[0].attachments[0], "the photo stored")
    wait_until(lambda: (c := stack.service.conversations.get(key)) and c.status == "handed_off", "the handoff")
    digest = kept["sha256"]

    page = login(browser, stack)
    picker = page.locator("#open-select input")
    picker.fill(customer.name.split()[0])
    page.get_by_role("option", name=re.compile(re.escape(customer.name))).first.click()
    page.locator("#open-button").click()
    expect(page.locator("#conv-header")).to_contain_text("customer sent a photo")
    expect(page.locator("#conv-thread")).to_contain_text("1 photo attached")
    thumb = page.locator(f"#conv-attachments img[src='/attachments/{digest}?size=thumb']")
    expect(thumb).to_be_visible()
    expect(page.locator("#conv-attachments")).to_contain_text("IMG_0042.jpg")
    wait_until(lambda: thumb.evaluate("img => img.complete && img.naturalWidth") == 240, "the thumbnail to load")
    assert thumb.get_attribute("alt") and "Photo" in thumb.get_attribute("alt")

    # the full image, as the signed-in browser fetches it: re-encoded, no EXIF, served with locked-down headers
    full = page.request.get(f"{stack.url}/attachments/{digest}")
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff" and "sandbox" in full.headers["content-security-policy"]
    assert b"AcmeCam" not in full.body() and not Image.open(io.BytesIO(full.body())).getexif()

    # without a session, the same address is refused (and a made-up name is simply not found)
    anonymous = httpx.get(f"{stack.url}/attachments/{digest}?size=thumb")
    assert anonymous.status_code == 401 and anonymous.content == b"sign in to the console"
    assert page.request.get(f"{stack.url}/attachments/{'0' * 64}").status == 404
    assert page.request.get(f"{stack.url}/attachments/..%2F..%2Fapp.db").status == 404
    page.context.close()
