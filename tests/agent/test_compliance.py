"""The compliance checker: each rule passes a clean Northfork Goods reply and catches a bad one, per platform,
with the platforms' real policy files."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from agent.compliance import ComplianceInput, check_reply
from agent.schemas import ComplianceReport
from tools.models import PLATFORMS, Platform
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

POLICIES = load_policies()
STORE_FRONTS: tuple[Platform, ...] = ("shopify", "facebook", "instagram")
MARKETPLACES: tuple[Platform, ...] = ("amazon", "walmart", "tiktok", "ebay")
SIGN_OFF = "\n\n— The Northfork Goods team"

AMAZON_ORDER = json.dumps({
    "id": "113-4821907-5530216",
    "platform": "amazon",
    "status": "in_transit",
    "created_at": "2026-11-20T17:42:10Z",
    "items": [{"sku": "NF-SKL-12", "title": "Northfork Pre-Seasoned Cast Iron Skillet, 12 in", "quantity": 1,
               "unit_price": 49.5}],
    "subtotal": 49.5, "shipping": 0.0, "tax": 5.0, "total": 54.5,
    "shipments": [{"carrier": "UPS", "service": "UPS Ground", "tracking_number": "1Z999AA10123456784",
                   "status": "in_transit", "shipped_at": "2026-11-24T21:05:00Z", "estimated_delivery": "2026-11-28"}],
})
REFUND = json.dumps({"id": "F000412", "order_id": "113-4821907-5530216", "amount": "24.99", "status": "processed",
                     "processed_at": "2026-11-25T16:30:00Z", "expected_by": "2026-12-02"})


def check(text: str, platform: Platform = "amazon", **fields: object) -> ComplianceReport:
    data = ComplianceInput(text=text, platform=platform, **fields)  # type: ignore[arg-type]
    return check_reply(data, POLICIES[platform])


def rules(report: ComplianceReport) -> set[str]:
    return set(report.rules)


# ---------------------------------------------------------------- whole replies

def test_a_realistic_amazon_reply_with_grounded_facts_is_compliant() -> None:
    reply = (
        "Hi Jordan,\n\nThanks for reaching out about your order. Here's what I found: your Northfork Pre-Seasoned "
        "Cast Iron Skillet, 12 in (order 113-4821907-5530216) shipped with UPS, tracking number 1Z999AA10123456784. "
        "UPS expects to deliver it on Friday, November 28. Your order total was $54.50.\n\n"
        "If it hasn't arrived by then, reply to this message and I'll open a trace with the carrier." + SIGN_OFF
    )
    report = check(reply, "amazon", evidence=[AMAZON_ORDER])
    assert report.ok is True
    assert report.violations == []


def test_a_reply_built_from_a_real_store_order_is_grounded(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="amazon", limit=None) if o.shipments)
    shipment = order.shipments[0]
    day = shipment.estimated_delivery
    reply = (f"Hi, your order {order.id} is on its way with {shipment.carrier}, tracking {shipment.tracking_number}. "
             f"The estimated delivery date is {day:%B} {day.day}, and the order total was ${order.total:.2f}.")
    assert check(reply, "amazon", evidence=[order.model_dump_json()]).rules == []
    assert check(reply, "amazon", evidence=[]).rules == ["ungrounded_fact"] * 4


def test_one_reply_breaking_many_rules_reports_each_rule_once_per_snippet() -> None:
    reply = ("<p>Your refund has been issued!</p> Leave us a 5-star review and use code THANKS10 for 10% off. "
             "Questions? Email help@northforkgoods.com or call us at (541) 555-0142.")
    report = check(reply, "amazon")
    assert report.ok is False
    assert rules(report) == {"html", "review_solicitation", "review_incentive", "marketing", "email_address",
                             "phone_number", "off_platform_contact", "action_honesty"}
    assert all(v.evidence for v in report.violations)


def test_the_input_model_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ComplianceInput(text="Hi", platform="amazon", channel="email")  # type: ignore[call-arg]


# ---------------------------------------------------------------- length

@pytest.mark.parametrize("platform", PLATFORMS)
def test_length_limit_comes_from_each_platforms_policy(platform: Platform) -> None:
    limit = POLICIES[platform].messaging.max_chars
    filler = ("Thanks for your patience while our team in Bend checks on your skillet. " * 100)
    assert check(filler[:limit], platform).rules == []
    report = check(filler[: limit + 1], platform)
    assert report.rules == ["length"]
    assert report.violations[0].evidence == f"{limit + 1} > {limit}"


def test_length_limits_differ_between_platforms() -> None:
    text = "Thanks for your patience. " * 100  # 2,600 characters
    assert check(text, "amazon").rules == ["length"]
    assert check(text, "walmart").rules == []
    assert check(text, "shopify").rules == []


# ---------------------------------------------------------------- html

@pytest.mark.parametrize("platform", PLATFORMS)
def test_html_tags_are_flagged_where_html_is_not_allowed(platform: Platform) -> None:
    report = check("Hi Sam,<br>your <b>Dutch oven</b> ships tomorrow.", platform)
    assert rules(report) == {"html"}
    assert [v.evidence for v in report.violations] == ["<br>", "<b>", "</b>"]


def test_plain_text_with_angle_brackets_is_not_html() -> None:
    assert check("The stove weighs < 5 lbs and boils water in <4 minutes.", "amazon").ok


# ---------------------------------------------------------------- links

@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_link_to_our_returns_page_passes_only_where_links_are_allowed(platform: Platform) -> None:
    report = check("You can print the label from https://northforkgoods.com/returns anytime.", platform)
    if platform in STORE_FRONTS:
        assert report.rules == []
    else:
        assert report.rules == ["link"]
        assert report.violations[0].evidence == "https://northforkgoods.com/returns"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_link_to_another_domain_fails_everywhere(platform: Platform) -> None:
    report = check("Care tips are at https://www.castironcare.example.com/seasoning.", platform)
    assert report.rules == ["link"]
    assert report.violations[0].evidence == "https://www.castironcare.example.com/seasoning"


@pytest.mark.parametrize("link", ["www.northforkgoods.com/warranty", "northforkgoods.com/returns",
                                  "help.northforkgoods.com"])
def test_bare_links_and_subdomains_of_an_allowed_domain_pass_on_the_store(link: str) -> None:
    assert check(f"See {link} for details.", "shopify").ok
    assert check(f"See {link} for details.", "tiktok").rules == ["link"]


@pytest.mark.parametrize("link", ["https://northforkgoods.com.deals.net/x", "bit.ly/nfg-returns",
                                  "shop-northforkgoods.com"])
def test_lookalike_and_shortened_links_fail_on_the_store(link: str) -> None:
    report = check(f"Start here: {link}", "instagram")
    assert report.rules == ["link"]
    assert report.violations[0].evidence == link


def test_a_link_hiding_its_host_behind_our_name_fails() -> None:
    report = check("Start here: https://northforkgoods.com@evil.io/returns", "shopify")
    assert report.rules == ["link"]
    assert "evil.io" in (report.violations[0].evidence or "")


def test_naming_the_marketplace_itself_is_not_a_link() -> None:
    assert check("Open Your Orders on Amazon.com and choose Return or Replace Items.", "amazon").ok
    assert check("Open https://www.amazon.com/returns to start.", "amazon").rules == ["link"]


# ---------------------------------------------------------------- email addresses and phone numbers

def test_an_email_address_passes_on_shopify_and_fails_on_amazon() -> None:
    text = "You can also write to help@northforkgoods.com with a photo of the chip."
    assert check(text, "shopify").ok
    report = check(text, "amazon")
    assert report.rules == ["email_address"]
    assert report.violations[0].evidence == "help@northforkgoods.com"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_email_addresses_follow_each_policy(platform: Platform) -> None:
    report = check("Send the photo to returns@northforkgoods.com.", platform)
    expected = [] if POLICIES[platform].messaging.email_addresses_allowed else ["email_address"]
    assert report.rules == expected


@pytest.mark.parametrize("phone", ["(541) 555-0142", "541-555-0142", "541.555.0142", "+1 541 555 0142",
                                   "1-800-555-0199", "+15415550142", "5415550142"])
def test_us_phone_numbers_fail_on_amazon_and_pass_on_shopify(phone: str) -> None:
    text = f"Our care team is at {phone} on weekdays."
    assert check(text, "shopify").ok
    report = check(text, "amazon")
    assert "phone_number" in report.rules
    assert next(v.evidence for v in report.violations if v.rule == "phone_number") == phone


def test_ids_tracking_numbers_zips_prices_and_dates_are_not_phone_numbers() -> None:
    text = ("Order 113-4821907-5530216 (UPS 1Z999AA10123456784) goes to Bend, OR 97702-1234. It cost $54.50 "
            "and arrives 2026-11-28, that is 11/28.")
    assert check(text, "amazon", evidence=[AMAZON_ORDER]).ok
    walmart = json.dumps({"id": "1858374962014", "shipments": [{"tracking_number": "9400111899223344556677"}]})
    assert check("PO 1858374962014, USPS 9400 1118 9922 3344 5566 77.", "walmart", evidence=[walmart]).ok


# ---------------------------------------------------------------- off-platform contact

@pytest.mark.parametrize("phrase", [
    "You'll find it cheaper if you order from our website.",
    "Text us and we'll sort it out.",
    "Give us a call and we'll help.",
    "Message us on WhatsApp for a faster answer.",
    "DM us on Instagram and we'll take it from there.",
    "Follow @northforkgoods for care tips.",
    "We can settle this outside of Amazon.",
    "Scan the QR code on the insert to register.",
    "Buy it directly from us next time and save.",
    "Reach out to us on Facebook for a faster answer.",
    "Feel free to send us an email anytime.",
])
@pytest.mark.parametrize("platform", MARKETPLACES)
def test_steering_buyers_off_the_marketplace_fails(platform: Platform, phrase: str) -> None:
    assert "off_platform_contact" in check(phrase, platform).rules


@pytest.mark.parametrize("platform", STORE_FRONTS)
def test_our_own_channels_may_point_to_our_website(platform: Platform) -> None:
    assert check("You can also reorder filters from our website or message us on Instagram.", platform).ok


def test_keeping_the_buyer_in_the_marketplace_passes() -> None:
    assert check("Just reply to this message in Amazon and I'll take care of it.", "amazon").ok
    assert check("We can't complete a sale outside of eBay, so please use the eBay listing.", "ebay").ok


# ---------------------------------------------------------------- marketing

@pytest.mark.parametrize("phrase", [
    "Use code NORTHFORK15 at checkout.",
    "Enjoy 15% off your next order!",
    "Here's a coupon for your next purchase.",
    "Check out our new enameled Dutch ovens.",
    "Our Black Friday sale starts Thursday.",
    "Sign up for our newsletter to hear about restocks.",
    "You might also like our chainmail scrubber.",
])
@pytest.mark.parametrize("platform", ["amazon", "shopify"])
def test_promotions_fail_where_marketing_is_not_allowed(platform: Platform, phrase: str) -> None:
    assert rules(check(phrase, platform)) == {"marketing"}


@pytest.mark.parametrize("text", [
    "We refunded the $12.50 difference because our price dropped within 14 days.",
    "The skillet's price on this order was $49.50 before tax.",
    "Marketplace coupons are applied at checkout, and we can't add a coupon or discount code after an order is placed.",
])
def test_stating_a_refund_or_price_is_not_marketing(text: str) -> None:
    evidence = [json.dumps({"price_difference": 12.5, "unit_price": "49.50"})]
    assert check(text, "shopify", evidence=evidence, done_actions=["refund"]).ok


# ---------------------------------------------------------------- reviews

REVIEW_REQUEST = "If you're happy with your skillet, please leave us a review!"


@pytest.mark.parametrize("platform", ["amazon", "ebay"])
def test_asking_for_a_review_fails_on_amazon_and_ebay(platform: Platform) -> None:
    report = check(REVIEW_REQUEST, platform)
    assert report.rules == ["review_solicitation"]
    assert report.violations[0].evidence == "leave us a review"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_review_requests_follow_each_policy(platform: Platform) -> None:
    expected = [] if POLICIES[platform].messaging.review_requests_allowed else ["review_solicitation"]
    assert check("Would you rate your experience with us?", platform).rules == expected


@pytest.mark.parametrize("phrase", ["Please leave feedback for this order.", "A 5-star rating would mean a lot.",
                                    "Could you write a quick review of the kettle?", "Give us five stars!"])
def test_review_solicitations_in_several_forms(phrase: str) -> None:
    assert check(phrase, "amazon").rules == ["review_solicitation"]


def test_acknowledging_feedback_is_not_a_review_request() -> None:
    text = ("Thank you for your feedback about the lid. I've shared your feedback with our product team, "
            "and I'll update you once we review the photos.")
    assert check(text, "amazon").ok


INCENTIVES = [
    "We'll refund your order in full if you update your review.",
    "Leave a 5-star review and we'll send you a free chainmail scrubber.",
    "If you remove the negative feedback, we can offer you a $20 gift card.",
    "Could you change your rating? In return we'll send you a free replacement lid.",
    "We'd be glad to send a free cutting board in exchange for an honest review.",
]


@pytest.mark.parametrize("text", INCENTIVES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_review_incentives_fail_on_every_platform_and_are_not_fixable(platform: Platform, text: str) -> None:
    report = check(text, platform)
    assert "review_incentive" in report.rules
    assert all(not v.fixable for v in report.violations if v.rule == "review_incentive")


def test_review_incentive_names_the_offending_sentence() -> None:
    report = check("I'm sorry about the crack. If you update your review, we'll refund the full $45.00.", "ebay")
    assert rules(report) == {"review_incentive", "feedback_removal", "ungrounded_fact"}
    incentive = next(v for v in report.violations if v.rule == "review_incentive")
    assert incentive.evidence == "If you update your review, we'll refund the full $45.00."


def test_a_refund_after_a_bad_review_without_a_condition_is_not_an_incentive() -> None:
    text = "I read your review and I'm sorry the handle loosened. I've issued a full refund of $24.99."
    assert check(text, "amazon", evidence=[REFUND], done_actions=["refund"]).ok


@pytest.mark.parametrize("text", ["Would you consider updating your review now that the replacement arrived?",
                                  "Could you please remove the negative feedback?",
                                  "We'd appreciate it if the 1-star rating could be removed.",
                                  "Is there any chance you could change it to 5 stars?"])
@pytest.mark.parametrize("platform", ["amazon", "shopify", "tiktok"])
def test_asking_to_remove_or_change_feedback_always_fails(platform: Platform, text: str) -> None:
    report = check(text, platform)
    assert "feedback_removal" in report.rules
    assert "review_incentive" not in report.rules


def test_mentioning_a_review_without_asking_to_change_it_passes() -> None:
    assert check("Thanks for taking the time to write about your 1-star experience; it helps us improve.", "amazon").ok


# ---------------------------------------------------------------- FTC Mail Order Rule

DELAY = ("Hi Priya, I'm sorry: your Hearth Enameled Cast Iron Dutch Oven will ship later than we promised. "
         "The new ship date is December 3.")


@pytest.mark.parametrize("offer", [
    " If you'd rather not wait, you can cancel the order for a full refund.",
    " If you prefer, reply and I'll cancel it; you won't be charged.",
    " Cancellation is always an option, with a full refund.",
])
def test_a_delay_notice_offering_cancellation_passes(offer: str) -> None:
    evidence = [json.dumps({"new_ship_date": "2026-12-03"})]
    assert check(DELAY + offer, "amazon", evidence=evidence, delay_notice=True).ok


@pytest.mark.parametrize("ending", ["", " Unfortunately we can no longer cancel it.", " We can't cancel it now."])
def test_a_delay_notice_without_a_cancellation_offer_fails(ending: str) -> None:
    evidence = [json.dumps({"new_ship_date": "2026-12-03"})]
    report = check(DELAY + ending, "walmart", evidence=evidence, delay_notice=True)
    assert report.rules == ["delay_notice_cancellation"]


def test_only_delay_notices_need_the_cancellation_offer() -> None:
    evidence = [json.dumps({"ship_date": "2026-12-03"})]
    assert check(DELAY, "amazon", evidence=evidence, delay_notice=False).ok


# ---------------------------------------------------------------- grounding

@pytest.mark.parametrize(("template", "value", "changed"), [
    ("Your order total was {}.", "$54.50", "$54.51"),
    ("Your order total was {}.", "54.50 USD", "54.51 USD"),
    ("Your skillet was {} before tax.", "$49.50", "$49.59"),
    ("UPS expects it on {}.", "November 28", "November 29"),
    ("UPS expects it on Friday, {}.", "Nov 28", "Nov 18"),
    ("UPS expects it on {}.", "11/28", "11/29"),
    ("UPS expects it on {}.", "2026-11-28", "2026-11-29"),
    ("It left our Bend warehouse on {}.", "November 24", "November 25"),
    ("Tracking: {}.", "1Z999AA10123456784", "1Z999AA10123456785"),
    ("Your order {} is on its way.", "113-4821907-5530216", "113-4821907-5530217"),
])
def test_facts_must_come_from_the_evidence(template: str, value: str, changed: str) -> None:
    assert check(template.format(value), "amazon", evidence=[AMAZON_ORDER]).ok
    report = check(template.format(changed), "amazon", evidence=[AMAZON_ORDER])
    assert report.rules == ["ungrounded_fact"]
    assert report.violations[0].evidence == changed
    assert changed in report.violations[0].message


@pytest.mark.parametrize("evidence", ['{"amount": 12.5}', '{"amount": "12.50"}', '{"amount": 12.50}',
                                      "Refund of $12.50 issued", '{"amount": -12.5}'])
def test_amounts_are_normalised_to_cents(evidence: str) -> None:
    assert check("Your refund of $12.50 is on its way.", "walmart", evidence=[evidence]).ok
    assert check("Your refund of $12.5 is on its way.", "walmart", evidence=[evidence]).ok
    assert check("Your refund of $12.05 is on its way.", "walmart", evidence=[evidence]).rules == ["ungrounded_fact"]


def test_whole_dollar_amounts_match_integer_evidence() -> None:
    evidence = [json.dumps({"free_shipping_threshold": 35})]
    assert check("Orders over $35 ship free.", "shopify", evidence=evidence).ok
    assert check("Orders over $35.00 ship free.", "shopify", evidence=evidence).ok
    assert check("Orders over $1,035 ship free.", "shopify", evidence=evidence).rules == ["ungrounded_fact"]


def test_dates_match_iso_datetimes_in_the_evidence() -> None:
    evidence = [json.dumps({"delivered_at": "2026-11-28T14:00:00Z"})]
    for written in ("November 28", "Nov. 28th", "28 November", "11/28/2026", "Friday, November 28, 2026"):
        assert check(f"It was delivered on {written}.", "tiktok", evidence=evidence).ok, written
    assert check("It was delivered on November 27.", "tiktok", evidence=evidence).rules == ["ungrounded_fact"]


def test_an_early_utc_timestamp_grounds_the_previous_us_day() -> None:
    evidence = [json.dumps({"delivered_at": "2026-11-29T02:15:00Z"})]  # the evening of November 28 in Oregon
    assert check("It was delivered on November 28.", "amazon", evidence=evidence).ok
    assert check("It was delivered on November 29.", "amazon", evidence=evidence).ok
    assert check("It was delivered on November 27.", "amazon", evidence=evidence).rules == ["ungrounded_fact"]


def test_dates_in_knowledge_passages_ground_the_reply() -> None:
    passage = "Orders placed November 1 to December 31 can be returned until January 31."
    assert check("Since you bought it on Amazon in November, you can return it until January 31.", "amazon",
                 evidence=[passage]).ok
    assert check("You can return it until Jan 30.", "amazon", evidence=[passage]).rules == ["ungrounded_fact"]


def test_tracking_numbers_and_order_ids_ignore_case_and_spaces() -> None:
    assert check("Tracking: 1z999aa10123456784", "amazon", evidence=[AMAZON_ORDER]).ok
    assert check("Tracking: 1Z 999 AA1 01 2345 6784", "amazon", evidence=[AMAZON_ORDER]).ok
    usps = json.dumps({"tracking_number": "9400111899223344556677"})
    assert check("USPS tracking 9400 1118 9922 3344 5566 77", "ebay", evidence=[usps]).ok
    assert check("USPS tracking 9400 1118 9922 3344 5566 78", "ebay", evidence=[usps]).rules == ["ungrounded_fact"]


@pytest.mark.parametrize(("platform", "value", "other"), [
    ("shopify", "#1042", "#1043"),
    ("ebay", "12-08341-55210", "12-08341-55211"),
    ("walmart", "1858374962014", "1858374962015"),
    ("tiktok", "576461413038785752", "576461413038785753"),
    ("amazon", "TBA304958221007", "TBA304958221008"),
    ("facebook", "#1042", "#10420"),
])
def test_every_platforms_order_ids_and_carriers_tracking_numbers_are_checked(
    platform: Platform, value: str, other: str
) -> None:
    evidence = [json.dumps({"id": value})]
    assert check(f"I found {value} in our records.", platform, evidence=evidence).ok
    report = check(f"I found {other} in our records.", platform, evidence=evidence)
    assert report.rules == ["ungrounded_fact"]
    assert report.violations[0].evidence == other


def test_percentages_counts_and_product_sizes_are_not_checked() -> None:
    text = ("Subscribers save 10% on every delivery of the 6-Pack silicone bags; the 12 in skillet and the "
            "5.5 qt Dutch oven both take 1 1/2 cups of water, and returns are open for 30 days.")
    assert check(text, "shopify").ok


def test_kitchen_fractions_are_not_dates_but_numeric_dates_are() -> None:
    assert check("Fill the kettle 1/2 full and add 3/4 of the beans.", "amazon").ok
    assert check("It ships 12/8.", "amazon").rules == ["ungrounded_fact"]
    assert check("It ships 1/2/2027.", "amazon").rules == ["ungrounded_fact"]


def test_every_ungrounded_fact_is_named() -> None:
    report = check("Order #1042 shipped November 20, total $88.00, tracking 1Z999AA10123456784.", "shopify")
    assert report.rules == ["ungrounded_fact"] * 4
    assert [v.evidence for v in report.violations] == ["#1042", "1Z999AA10123456784", "$88.00", "November 20"]


# ---------------------------------------------------------------- action honesty

@pytest.mark.parametrize(("claim", "action"), [
    ("I've refunded your order.", "refund"),
    ("Your refund of $24.99 has been issued.", "refund"),
    ("Good news: your refund was processed this morning.", "refund"),
    ("We have cancelled your order.", "cancel_order"),
    ("Your order 113-4821907-5530216 has been canceled.", "cancel_order"),
    ("I've started a return for you.", "start_return"),
    ("I've created your return.", "start_return"),
    ("The return label has been created.", "start_return"),
    ("Your prepaid return label has been emailed to you.", "start_return"),
    ("I've gone ahead and updated the shipping address to 44 Pine St.", "change_shipping_address"),
    ("Your subscription has been paused.", "update_subscription"),
    ("I've skipped your next delivery.", "update_subscription"),
    ("Your subscription is now cancelled.", "update_subscription"),
    ("Your subscription has been resumed.", "update_subscription"),
])
def test_claimed_writes_need_the_matching_done_action(claim: str, action: str) -> None:
    evidence = [AMAZON_ORDER, REFUND]
    report = check(claim, "shopify", evidence=evidence)
    assert report.rules == ["action_honesty"]
    assert report.violations[0].fixable is True
    assert action in report.violations[0].message
    assert check(claim, "shopify", evidence=evidence, done_actions=[action]).ok
    other = "refund" if action != "refund" else "cancel_order"
    assert check(claim, "shopify", evidence=evidence, done_actions=[other]).rules == ["action_honesty"]


def test_a_refund_claim_passes_when_the_refund_is_done() -> None:
    text = "I've issued a full refund of $24.99; banks usually take 3-5 business days to show it."
    assert check(text, "amazon", evidence=[REFUND]).rules == ["action_honesty"]
    assert check(text, "amazon", evidence=[REFUND], done_actions=["refund"]).ok


@pytest.mark.parametrize("text", [
    "I can cancel it if you confirm.",
    "Once we receive it, we will refund you.",
    "Shall I start a return?",
    "After your refund has been processed, your bank may take 3-5 business days to post it.",
    "Would you like me to change the shipping address before it ships?",
    "If your order has been cancelled by the marketplace, you won't be charged.",
    "Your order has not been cancelled yet.",
])
def test_future_or_conditional_phrasing_is_not_a_claim(text: str) -> None:
    assert check(text, "amazon").ok


# ---------------------------------------------------------------- other customers' data

def test_other_customers_data_is_never_allowed_and_not_fixable() -> None:
    forbidden = ["Dana Whitfield", "dana.w@example.net", "#1187"]
    report = check("Hi Morgan, I see dana whitfield also ordered #1187 last week.", "shopify",
                   forbidden_values=forbidden, evidence=[json.dumps({"id": "#1187"})])
    assert report.rules == ["other_customer_data", "other_customer_data"]
    assert [v.evidence for v in report.violations] == ["dana whitfield", "#1187"]
    assert all(v.fixable is False for v in report.violations)


def test_forbidden_values_match_whole_words_only() -> None:
    report = check("Also, your #11870 order is fine.", "shopify", forbidden_values=["Al", "#1187"],
                   evidence=[json.dumps({"id": "#11870"})])
    assert report.ok


@pytest.mark.parametrize("platform", ["amazon", "shopify", "ebay"])
def test_stating_the_review_rule_is_not_breaking_it(platform: str) -> None:
    policy = load_policies()[platform]
    text = ("Discounts are never offered in exchange for a review, a better rating, or removing a review. "
            "We will never ask you to change your feedback.")
    report = check_reply(ComplianceInput(text=text, platform=platform), policy)
    assert report.ok, report.rules
    offer = "We can refund you in full if you remove your 1-star review."
    assert {"review_incentive", "feedback_removal"} <= set(
        check_reply(ComplianceInput(text=offer, platform=platform), policy).rules)
    nudge = "Don't forget to leave us a 5-star review!"
    assert "review_solicitation" in check_reply(ComplianceInput(text=nudge, platform="amazon"), load_policies()["amazon"]).rules


def test_offering_an_action_in_a_question_is_not_claiming_it() -> None:
    policy = load_policies()["amazon"]
    offer = "I can start a return with a prepaid label right now. Shall I set up the return? Reply yes to confirm."
    assert check_reply(ComplianceInput(text=offer, platform="amazon"), policy).ok
    claim = "I set up the return for you."
    assert check_reply(ComplianceInput(text=claim, platform="amazon"), policy).rules == ["action_honesty"]


# ---------------------------------------------------------------- any public suffix, any phone format, no echo (issue 18)

@pytest.mark.parametrize("text", ["Pay at evil.ru today.", "See northforkgoods.com.evil.ru/returns.",
                                  "Go to evil[.]ru or evil dot ru.", "Start at hxxps://x.co/r"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_links_on_any_public_suffix_fail_however_written(text: str, platform: Platform) -> None:
    assert check(text, platform).rules == ["link"]


@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "212_555_0199", "two one two five five five zero one nine nine"])
def test_international_underscored_and_spelled_out_numbers_fail_on_amazon(phone: str) -> None:
    assert "phone_number" in check(f"Our care team is at {phone} on weekdays.", "amazon").rules
    assert "phone_number" not in check(f"Our care team is at {phone} on weekdays.", "shopify").rules


def test_a_contact_detail_the_customer_typed_is_never_echoed_even_where_allowed() -> None:
    typed = "my new number is 212 555 0199, text me there"
    report = check("Sure, we'll text 212 555 0199 when it ships.", "shopify", customer_text=typed, evidence=[typed])
    assert report.rules == ["echoed_contact"] and not report.violations[0].fixable
    assert check("Sure, we'll message you here when it ships.", "shopify", customer_text=typed, evidence=[typed]).ok
