"""Contact details in replies (issue 18 item 3): links on any public suffix, international, underscored and
spelled-out phone numbers, however disguised, are found; ids, prices, dates, ZIPs and prose are not.

Two corpora: obfuscations that MUST be found, and legitimate reply text (the knowledge base, the templates
as the demo store fills them, hand-picked sentences full of numbers) that must NOT be.
"""

from __future__ import annotations

import re
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest

from agent.compliance import ComplianceInput, check_reply
from agent.templates import TEMPLATES, render
from channels.amazon import check_proactive_text
from channels.base import SendError
from tools import contacts
from tools.contacts import find_contacts, find_links, find_phones
from tools.models import PLATFORMS, Platform
from tools.policy.loader import load_policies

POLICIES = load_policies()
ROOT = Path(__file__).resolve().parents[2]

MUST_FIND_LINKS = [
    "evil.ru", "northforkgoods.com.evil.ru", "bit.ly/3xYz", "x.co", "https://evil.ru/pay", "http://evil.ru",
    "hxxps://evil.ru/x", "hxxp[:]//evil.ru", "www.evil.ru", "EVIL.RU", "evil[.]ru", "evil(.)ru", "evil{.}ru",
    "evil[dot]ru", "evil(dot)ru", "evil (dot) ru", "evil dot ru", "evil DOT ru", "evil-dot-ru", "evil . ru",
    "evil\u3002ru", "evil\uff0eru", "evil\uff61ru", "evil\u2024ru", "\uff45\uff56\uff49\uff4c.\uff52\uff55",
    "e\u200bvil.r\u200cu", "ev\u00adil.ru", "northforkgoods dot com dot evil dot ru", "пример.рф", "shop.evil.co.uk",
    "evil.zip", "evil.github.io/login", "wa.me/442079460958", "t.me/northfork", "93.184.216.34",
    "https://northforkgoods.com@evil.io/returns", "tracking.example/123",
]
MUST_FIND_PHONES = [
    "+44 20 7946 0958", "212_555_0199", "212-555-0199", "(212) 555-0199", "212.555.0199", "2125550199",
    "+1 212 555 0199", "1-800-555-0199", "+33 1 42 68 53 00", "+7 495 123-45-67", "0044 20 7946 0958",
    "+4420 7946 0958", "2_1_2_5_5_5_0_1_9_9", "555-0199",
    "two one two five five five zero one nine nine", "Two-One-Two Five-Five-Five Oh-One-Nine-Nine",
    "two one two 555 0199", "nine one seven, five five five, zero one nine nine",
    "212 555 0199 55",  # padded so libphonenumber rejects it
    "212\u200b555\u200b0199",
]
MUST_FIND_EMAILS = ["jane@evil.ru", "jane(at)evil(dot)ru", "jane [at] evil [dot] ru", "jane @ evil.ru",
                    "jane{at}evil.ru"]
MUST_FIND_HANDLES = ["@northforkgoods", "@north.fork_goods"]

LEGIT = [
    "It costs $12.50, or $1,234.56 with tax, and version 2.5 ships to the U.S. and Canada.",
    "Please reply by 9 a.m., e.g. tomorrow; i.e. before the carrier's 5 p.m. pickup. No. 2 is fine.",
    "Your order 113-4821907-5530216 shipped with UPS, tracking 1Z999AA10123456784 (1Z 999 AA1 01 2345 6784).",
    "Walmart PO 1858374962014, FedEx 123456789012 and 123456789012345, TikTok order 576543210987654321.",
    "eBay order 12-12345-12345 and store order #1234 and #100234, return R000123, subscription S00002.",
    "USPS 9400 1118 9922 3344 5566 77 and 9400111899223344556677, Amazon Logistics TBA123456789012.",
    "It goes to 455 Juniper Ave, Apt 3, Boise, ID 83702-1234, arriving 2026-11-28, that is 11/28/2026 or 11/28.",
    "Heat the 12 in skillet to 650\u00b0F for 48 hours; the 5.5 qt Dutch oven takes 1 1/2 cups; 10.25\" pan.",
    "Refunds post in 3-5 business days. We refunded $54.50 on Saturday, November 28.",
    "SKU NF-SKL-12 and NF-TNT-4P-GRN are in stock; a polka dot apron; a small dot in the middle.",
    "Open Your Orders on Amazon.com to print the label.",
]


def kinds(text: str) -> list[str]:
    return [c.kind for c in find_contacts(text)]


@pytest.mark.parametrize("link", MUST_FIND_LINKS)
@pytest.mark.parametrize("frame", ["{}", "Visit {} today.", "new address: 12 {} Street, Boise, ID 83702",
                                   "({})"])
def test_every_disguised_link_is_found(link: str, frame: str) -> None:
    assert find_links(frame.format(link)), frame.format(link)


@pytest.mark.parametrize("phone", MUST_FIND_PHONES)
@pytest.mark.parametrize("frame", ["{}", "Call us at {} any time.", "order 113-4821907-5530216, call {}"])
def test_every_disguised_phone_number_is_found(phone: str, frame: str) -> None:
    assert find_phones(frame.format(phone)), frame.format(phone)


@pytest.mark.parametrize("email", MUST_FIND_EMAILS)
def test_every_disguised_email_address_is_found(email: str) -> None:
    assert "email" in kinds(f"Write to {email} for a refund.")


@pytest.mark.parametrize("handle", MUST_FIND_HANDLES)
def test_handles_are_found(handle: str) -> None:
    assert kinds(f"Follow {handle} on Instagram.") == ["handle"]


@pytest.mark.parametrize("text", LEGIT)
def test_legitimate_reply_text_holds_no_contact_except_the_marketplace_name(text: str) -> None:
    found = [c.text for c in find_contacts(text)]
    assert found in ([], ["Amazon.com"]), found


def test_ids_the_tools_returned_are_never_phone_numbers() -> None:
    assert find_phones("Your claim 20931847 and case 5550199123.") != []
    assert find_phones("Your claim 20931847 and case 5550199123.", known_ids=["20931847", "5550199123"]) == []


def test_the_knowledge_base_holds_no_contact_detail() -> None:
    """Every article the agent quotes from: placeholders ({{ ... }}) aside, only marketplace names."""
    found = {}
    for doc in sorted((ROOT / "knowledge" / "docs").glob("*.md")):
        text = re.sub(r"\{\{.*?\}\}", "0", doc.read_text())
        hits = [c.text for c in find_contacts(text) if c.text.lower() not in ("walmart.com", "amazon.com")]
        if hits:
            found[doc.name] = hits
    assert found == {}


def test_the_templates_filled_from_the_demo_store_hold_no_contact_detail(store) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="amazon", limit=None) if o.shipments)
    shipment = order.shipments[0]
    values = {"order_id": order.id, "tracking_number": shipment.tracking_number, "carrier": shipment.carrier,
              "amount": f"{order.total:.2f}", "requested": order.id, "return_id": "R000123",
              "label_tracking": shipment.tracking_number, "subscription_id": "S00002", "sku": order.items[0].sku,
              "interval_days": 30, "refund_days": 14, "posting_days": "3-5", "new_address": "455 Juniper Ave, Boise, "
              "ID 83702", "item": order.items[0].title}

    def slot(name: str) -> object:
        if name in values:
            return values[name]
        return "Saturday, November 28" if "date" in name or name.endswith(("_by", "_ends")) else "fine"

    for key, template in TEMPLATES.items():
        names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        text = render(key, {name: slot(name) for name in names}, first_name="Jordan")
        assert find_contacts(text) == [], (key, text)


# ---------------------------------------------------------------- the reply check and Amazon's pre-send check

ISSUE_STRINGS = ["evil.ru", "northforkgoods.com.evil.ru", "+44 20 7946 0958", "212_555_0199"]


@pytest.mark.parametrize("value", ISSUE_STRINGS)
@pytest.mark.parametrize("platform", ["amazon", "walmart", "tiktok", "ebay"])
def test_the_issues_links_and_numbers_fail_on_every_marketplace(value: str, platform: Platform) -> None:
    report = check_reply(ComplianceInput(text=f"Sure, reach us at {value} anytime.", platform=platform),
                         POLICIES[platform])
    assert {"link", "phone_number"} & set(report.rules), report.rules


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lookalike_of_our_domain_fails_even_where_our_links_are_allowed(platform: Platform) -> None:
    report = check_reply(ComplianceInput(text="Pay at northforkgoods.com.evil.ru/checkout", platform=platform),
                         POLICIES[platform])
    assert "link" in report.rules


@pytest.mark.parametrize("value", ISSUE_STRINGS + ["jane@evil.ru", "@evil_shop"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_what_the_customer_typed_is_never_echoed_on_any_platform(value: str, platform: Platform) -> None:
    typed = f"please ship to 12 Elm St, Boise, ID 83702 and text {value}"
    report = check_reply(ComplianceInput(text=f"Sure: we'll note {value}.", platform=platform, customer_text=typed,
                                         evidence=[typed]), POLICIES[platform])
    assert "echoed_contact" in report.rules
    assert not next(v for v in report.violations if v.rule == "echoed_contact").fixable


def test_our_own_link_is_not_an_echo_when_the_tools_gave_it_too() -> None:
    typed = "is northforkgoods.com/returns the right page?"
    passage = "Start a return at northforkgoods.com/returns."
    report = check_reply(ComplianceInput(text="Yes: northforkgoods.com/returns is the page.", platform="shopify",
                                         customer_text=typed, evidence=[passage, typed]), POLICIES["shopify"])
    assert report.ok, report.rules


@pytest.mark.parametrize("value", ISSUE_STRINGS)
def test_amazons_pre_send_check_refuses_them(value: str) -> None:
    with pytest.raises(SendError):
        check_proactive_text(f"Your order ships today. Questions: {value}")


def test_a_name_holding_a_contact_detail_is_not_echoed_in_the_greeting() -> None:
    assert render("thanks_reply", {}, first_name="evil.ru").startswith("Hi there,")
    assert render("thanks_reply", {}, first_name="Jordan").startswith("Hi Jordan,")


# ---------------------------------------------------------------- offline and lazy

def test_the_suffix_list_is_the_bundled_snapshot_and_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: attempts.append(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: attempts.append(address))
    contacts._extractor.cache_clear()
    contacts._is_public_suffix.cache_clear()
    assert find_links("see evil.ru and x.co") and attempts == []
    assert contacts._extractor().suffix_list_urls == ()


def test_importing_builds_no_extractor() -> None:
    code = ("import sys, tools.contacts as c, agent.compliance, channels.amazon; "
            "print(c._extractor.cache_info().currsize, 'tldextract' in sys.modules, 'phonenumbers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False", "False"]
