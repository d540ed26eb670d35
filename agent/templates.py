"""Brand-voice reply templates for the deterministic engine.

Every slot is filled from a tool result or a knowledge passage (plans decide which), so a template
reply cannot state a fact the tools did not return. Voice follows the knowledge base's brand
articles: plain, warm, specific, one apology at most, no marketing, signed by the team.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from agent import templates_es as spanish
from tools.contacts import has_contact

SIGN_OFF = "— The Northfork Goods team"

TEMPLATES: dict[str, str] = {
    # where is my order
    "status_pending": "Your order {order_id} is placed and the payment is still being confirmed by {platform_name}. "
                      "Once it clears, it ships by {ship_by}.",
    # a split shipment: every parcel, after the answer about the first open one
    "parcels_summary": "This order comes in {count} parcels: {parcel_list}.",
    # part of the order in no parcel yet: what hasn't shipped first, then every parcel that has
    "status_partly_shipped": "Part of your order {order_id} hasn't shipped yet: the {items}. We're preparing it, and "
                             "it's due to ship by {ship_by}; you'll see its tracking as soon as the label is scanned. "
                             "What has shipped: {parcel_list}.",
    "status_partly_shipped_late": "I'm sorry: part of your order {order_id} hasn't shipped yet: the {items}. It was "
                                  "due to ship by {ship_by} and hasn't left us yet. You can wait for it, or cancel "
                                  "it for a full refund of that part; a member of our team will confirm which you'd "
                                  "like. What has shipped: {parcel_list}.",
    # an item whose listing ships only within the contiguous US, going outside it (the reply goes to review)
    "status_cannot_ship_there": "Your order {order_id} hasn't shipped yet, and I'm sorry: the {items} can only ship by "
                                "ground within the contiguous US, so we can't send it to {ship_place}. A member of our "
                                "team will follow up here about cancelling what can't ship, for a full refund, or "
                                "sending your order to an address in the contiguous US.{rest_line}",
    "status_unshipped": "Your order {order_id} hasn't shipped yet: we're preparing it, and it ships by {ship_by}. It "
                        "should arrive by {deliver_by}; you'll see tracking as soon as the label is scanned.",
    "status_late_unshipped": "I'm sorry: your order {order_id} was due to ship by {ship_by} and hasn't left us yet. "
                             "We're working to get it out, and I'll make sure you get tracking as soon as it ships. "
                             "If you'd rather not wait, I can cancel the order for a full refund instead. Just reply "
                             "\"cancel\" and I'll take care of it.",
    "status_shipped": "Your order {order_id} has shipped with {carrier} ({service}), tracking number "
                      "{tracking_number}. The carrier expects to deliver it by {estimated_delivery}.",
    "status_in_transit": "Your order {order_id} is on its way with {carrier}, tracking number {tracking_number}. "
                         "The latest scan was \"{last_event}\"{last_location} on {last_event_date}, and it's expected "
                         "by {estimated_delivery}.",
    "status_out_for_delivery": "Good news: your order {order_id} is out for delivery today with {carrier} "
                               "(tracking {tracking_number}).",
    "status_delayed": "I'm sorry your order {order_id} is running late. {carrier} reports: \"{last_event}\" on "
                      "{last_event_date}. The new estimated delivery is {estimated_delivery} (tracking "
                      "{tracking_number}). If it hasn't arrived by then, message us and we'll send a replacement or "
                      "refund you.",
    "status_lost": "I'm sorry: the tracking for your order {order_id} ({carrier} {tracking_number}) hasn't moved since "
                   "{last_event_date}, and the carrier has declared the package lost, so it won't arrive.{refund_line} "
                   "A member of our team is arranging {remedy} for you now.",
    "status_lost_refunded": "I'm sorry: the carrier has declared the package for your order {order_id} ({carrier} "
                            "{tracking_number}) lost, so it won't arrive. We already refunded ${amount} to your "
                            "original payment method on {issued_date}.{expected_line}",
    "status_delivered": "{carrier} shows your order {order_id} as delivered on {delivered_date} ({delivery_place}), "
                        "tracking {tracking_number}.",
    "delivered_not_received": "I'm sorry your package hasn't turned up. {carrier} marked order {order_id} as delivered "
                              "on {delivered_date} ({delivery_place}), tracking {tracking_number}. Parcels marked "
                              "delivered sometimes arrive a day or so later or get left with a neighbor, so please "
                              "check around {checks}. {guidance}If it still hasn't shown up {wait_hours} hours after "
                              "the delivery scan, reply here and we'll open a claim with the carrier and send you a "
                              "replacement (when the item is in stock) or a full refund. You don't need to file "
                              "anything with the carrier yourself.{marketplace_line}",
    # a delivered order asked about without saying it arrived: the status, and what to do if it can't be found
    "status_delivered_help": "{carrier} shows your order {order_id} as delivered on {delivered_date} "
                             "({delivery_place}), tracking {tracking_number}. If you can't find it, please check "
                             "around {checks}; parcels marked delivered sometimes arrive a day or so later. If it "
                             "still hasn't shown up {wait_hours} hours after the delivery scan, reply here and we'll "
                             "open a claim with the carrier and send you a replacement (when the item is in stock) or "
                             "a full refund.{marketplace_line}",
    # still missing after the seller's wait: the claim is due now (a person opens it; the reply goes to review)
    "delivered_not_received_claim": "I'm sorry your package hasn't turned up. {carrier} marked order {order_id} as "
                                    "delivered on {delivered_date} ({delivery_place}), tracking {tracking_number}, "
                                    "and it's been more than {wait_hours} hours since that scan. A member of our team "
                                    "is opening a claim with the carrier and will arrange a replacement (when the "
                                    "item is in stock) or a full refund for you. You don't need to file anything "
                                    "with the carrier yourself. If it does turn up in the meantime, please let us "
                                    "know.{marketplace_line}",
    # marked delivered, but the carrier's delivery scan is in another place than the ship-to: a misdelivery, the
    # claim is due now (a person opens it; the reply goes to review). "came from": a scan, never read as a destination
    "delivered_elsewhere": "{sorry_line}{carrier} marked order {order_id} as delivered on {delivered_date} (tracking "
                           "{tracking_number}), but that delivery scan came from {scan_place}, not {ship_place}, "
                           "where the order was going. That looks like it was left at the wrong address, so there's no "
                           "need to wait: a member of our team is opening a claim with {carrier} now and will arrange "
                           "a replacement (when the item is in stock) or a full refund for you. You don't need to "
                           "file anything with the carrier yourself.{marketplace_line}",
    # past the carrier's estimate, or no scan for the seller's trace threshold: never a past date as a promise
    "status_stalled_late": "I'm sorry your order {order_id} is running late{due_line}. The latest scan from {carrier} "
                           "(tracking {tracking_number}) was \"{last_event}\"{last_location} on {last_event_date}, "
                           "and the carrier's estimated delivery date has passed. A member of our team is checking on "
                           "it now. If there's no new scan {trace_days} days after the last one, we open a trace with "
                           "the carrier, and if the package is lost we send a replacement or a full refund.",
    "status_stalled_trace": "I'm sorry your order {order_id} is running late{due_line}. {carrier} hasn't scanned it "
                            "since \"{last_event}\"{last_location} on {last_event_date} (tracking {tracking_number}). "
                            "After {trace_days} days without a scan we open a trace with the carrier, so a member of "
                            "our team is opening one with {carrier} now. If it still hasn't moved {lost_days} days "
                            "after that last scan, we'll send you a replacement (when the item is in stock) or a full "
                            "refund, whichever you prefer.",
    "status_stalled_marketplace": "I'm sorry your order {order_id} is running late{due_line}. {carrier} hasn't scanned "
                                  "it since \"{last_event}\"{last_location} on {last_event_date} (tracking "
                                  "{tracking_number}). Because {marketplace} shipped this order, {marketplace} traces "
                                  "it with the carrier and handles a lost package; you can also report it in your "
                                  "{marketplace} account. A member of our team is following up on it now.",
    "status_cancelled": "Your order {order_id} was cancelled{cancelled_on}.{refund_line}",
    "status_returned": "Your order {order_id} was returned and refunded.{refund_line}",
    "which_order": "I'd be glad to check. Which order do you mean: {order_list}? Reply with the product or the "
                   "order number and I'll look it up.",
    "no_orders": "I couldn't find any orders on your account yet. Could you send me the order number? It's in your "
                 "order confirmation.",
    "order_not_found": "I couldn't find order {requested} on your account. Could you double-check the order number? "
                       "It's in your order confirmation.",
    # returns
    "return_offer": "{timing_lead}Your {item} from order {order_id} can be returned until {window_ends}{window_terms}. "
                    "{holiday_line}{shipping_line}"
                    "{fee_line}We refund within {refund_days} {refund_day_kind} days of receiving it. Would you like me "
                    "to start the return? Reply \"yes\" and I'll set it up.",
    "return_in_marketplace": "{timing_lead}Your {item} from order {order_id} can be returned until {window_ends}"
                             "{window_terms}. {holiday_line}{how_to_start} "
                             "{shipping_line}{fee_line}We refund within {refund_days} {refund_day_kind} days of "
                             "receiving it.",
    "return_started": "Your return for order {order_id} is set up (return {return_id}). The {label_carrier} label "
                      "tracking number is {label_tracking}. {shipping_line}{fee_line}We refund within {refund_days} "
                      "{refund_day_kind} days of receiving the item.",
    "return_window_closed": "I'm sorry: our {window_name} for order {order_id} closed on {window_ends}, so I can't "
                            "open a return for it.{warranty_line}",
    "return_not_delivered": "Your order {order_id} hasn't been delivered yet, so a return can't start until it "
                            "arrives. Once it's delivered you'll have until {window_note} to return it.",
    "return_not_shipped": "Your order {order_id} hasn't shipped yet, so there's nothing to send back. If you don't "
                          "want it, I can cancel it instead. Just reply \"cancel\".",
    "return_exists": "A return is already open for order {order_id} (return {return_id}, status: {return_status}).",
    # everything already came back: what happened to it, never "the window closed"
    "return_already_back": "Order {order_id} was already returned (return {return_id}).{back_line}{refunded_line}",
    "return_cancelled_order": "Order {order_id} was cancelled, so there's nothing to return.",
    "which_item": "Which item from order {order_id} would you like to return: {item_list}?",
    # exchanges (KB returns-exchanges): the store channels swap a variant through a person; marketplaces can't
    "return_exchange_offer": "Yes, we can exchange your {item} from order {order_id} for another size or color of the "
                             "same product, as long as the exchange starts by {window_ends}. {variant_line}A member "
                             "of our team will check stock and send you a return label, and the new one ships as soon "
                             "as the return has its first carrier scan. {exchange_shipping_line}If you'd rather "
                             "have a refund, you can return it instead. {shipping_line}{fee_line}We refund within "
                             "{refund_days} {refund_day_kind} days of receiving it.",
    "return_exchange_marketplace": "We can't exchange items directly on {platform_name}. The way to switch to "
                                   "{wanted} is to return this one for a refund and place a new order for it; placing "
                                   "the new order first secures it while the return is on its way. Your {item} from "
                                   "order {order_id} can be returned until {window_ends}. {how_to_start} "
                                   "{shipping_line}{fee_line}We refund within {refund_days} {refund_day_kind} days of "
                                   "receiving it.",
    # refunds
    "refund_issued": "{received_line}We issued a refund of ${amount} for order {order_id} on {issued_date}."
                     "{reason_line} Banks usually post it within {posting_days} business days, so you should see it "
                     "by {expected_by}.",
    "refund_pending_return": "Your return for order {order_id} is {return_status}. {return_line}",
    "refund_done": "We've refunded ${amount} for order {order_id} to your original payment method. It should reach "
                   "you by {expected_by}.",
    # a cancelled order with no refund: never charged where the platform charges at shipment (KB order-cancellation)
    "refund_cancelled_uncharged": "Order {order_id} was cancelled on {cancelled_date}, before it shipped, so you were "
                                  "never charged for it: {platform_name} charges your card only when an order ships. "
                                  "If you see a pending authorization for ${total}, it isn't a charge, and your bank "
                                  "releases it on its own schedule.",
    # ...and where it charges at order: a missing refund is an escalation (the reply goes to review)
    "refund_cancelled_missing": "I'm sorry: order {order_id} was cancelled on {cancelled_date}, and I don't see its "
                                "refund on record yet. A member of our team is checking it now and will make sure "
                                "your refund is issued.",
    "refund_none": "I don't see a refund or a return on order {order_id} yet. If you'd like to send something back, "
                   "tell me which item and I'll check your options.",
    # "what is this refund for?": what it was for first, from the refund's recorded reason (agent/refund_reasons.py)
    "refund_what_for": "The ${amount} refund is from your order {order_id} ({items}): it's {customer_reason}. We "
                       "issued it on {issued_date}, and {bank_line}",
    # ...and a recorded reason with no customer wording: never a guess (the reply goes to review)
    "refund_what_for_unknown": "We issued a refund of ${amount} for your order {order_id} ({items}) on {issued_date}. "
                               "I want to give you the exact reason rather than a guess, so a member of our team is "
                               "checking the record and will explain it here.",
    # no refund and no return on any order the message can mean: what was checked, and a person follows up
    "refund_no_record": "I checked your account, and I don't see a refund or a return on {scope}. Here's what I "
                        "looked at: {checked_orders}. Did you send something back to us, or did someone tell you a "
                        "refund was on its way? Let me know, and a member of our team will look into it with you.",
    # several orders asked about at once: this line, then each order's answer in turn
    "refund_each_order": "Here's where each of these orders stands: {checked_orders}.",
    # the bank's posting window is over: said in the past tense, and who looks if it still isn't there
    "refund_issued_posted": "{received_line}We issued a refund of ${amount} for order {order_id} on "
                            "{issued_date}.{reason_line} Banks usually post it within {posting_days} business days, so "
                            "it should have reached your original payment method by {expected_by}. If you don't see "
                            "it there, reply here and a member of our team will look into it.",
    # received, refund due date passed, no refund: an escalation (the reply goes to review)
    "refund_overdue": "I'm sorry: we received your return {return_id} for order {order_id} on {received_date}, and "
                      "its refund was due by {due_date}, so it's overdue. A member of our team is making sure it's "
                      "issued now. Once it is, banks usually post it within {posting_days} business days.",
    # "why is my refund less than I paid?": the amounts on record and what explains them
    "refund_difference": "You paid ${paid} for order {order_id}, and we refunded {refunds}. {explanation}",
    "refund_full": "You paid ${paid} for order {order_id}, and we refunded {refunds}, which is the full amount you "
                   "paid.",
    # cancellations
    "cancel_offer": "Order {order_id}{order_items} hasn't shipped yet, so I can cancel it. {charge_line}Shall I go ahead and "
                    "cancel it? Reply \"yes\" to confirm.",
    "cancel_done": "Done: order {order_id} is cancelled. {refund_line}",
    "cancel_too_late": "I'm sorry: order {order_id}{order_items} has already shipped ({carrier}, tracking "
                       "{tracking_number}), so it can't be cancelled now. Once it arrives you can return it until "
                       "{window_note}.{return_route}",
    "cancel_delivered": "Order {order_id}{order_items} was already delivered on {delivered_date}, so it can't be "
                        "cancelled, but you can return it until {window_ends}.{return_route} Would you like me to check the return for you?",
    "cancel_already": "Order {order_id} is already cancelled.{refund_line}",
    # address changes
    "address_not_allowed": "{platform_name} doesn't let sellers change the shipping address on an order, so I can't "
                           "edit it for order {order_id}. {platform_guidance}",
    "address_too_late": "Order {order_id} {shipped}, so I can't change its address "
                        "anymore. You can follow it with {carrier} tracking {tracking_number}, and ask "
                        "{carrier} whether its own redirect service can send it to the new address; once a parcel "
                        "has shipped, that is the only way to change where it goes.",
    "address_delivered": "Order {order_id} was already delivered on {delivered_date}, so I can't change its address "
                         "anymore.",
    "address_ask": "Order {order_id} hasn't shipped yet, so I can update the address. Please send the full new "
                   "address (street, city, state and ZIP).",
    "address_offer": "I can send order {order_id} to {new_address} instead. Shall I make that change? Reply \"yes\" "
                     "to confirm.",
    "address_changed": "Done: order {order_id} will now ship to {new_address}.",
    "address_check": "Order {order_id} hasn't shipped yet. A member of our team will check the new address you sent "
                     "and confirm the change with you here.",
    # a correction to part of the current address (a unit added, a ZIP or house-number typo): the whole new
    # address, built by the tool from the order's current one, for the customer's yes
    "address_amend_offer": "Order {order_id} hasn't shipped yet, so I can {correction}. It would then ship to "
                           "{new_address}. Shall I update it? Reply \"yes\" to confirm.",
    "address_ask_unit": "Order {order_id} hasn't shipped yet, so I can add it. Please reply with the apartment, suite "
                        "or unit number, with \"Apt\", \"Suite\" or \"Unit\" before it.",
    # where only our cancellation gets the order to the right address (eBay): offered now, done on the yes
    "address_cancel_offer": "{platform_name} doesn't let sellers change the shipping address on an order, so I can't "
                            "edit it for order {order_id}. It hasn't shipped yet, so I can cancel it now and you can "
                            "buy again with the right address. {charge_line}Shall I cancel it? Reply \"yes\" to "
                            "confirm.",
    # products and policies
    "product_answer": "{answer}{stock_line}",
    "policy_answer": "{answer}",
    # damaged or wrong item
    # (KB returns-damaged-defective: a replacement when in stock or a full refund, we pay the return shipping, a
    # photo helps but never blocks the remedy; after the window, the product's warranty and what a claim needs)
    "damage_offer": "I'm sorry your {item} from order {order_id} {problem}. We'll make it right with a full refund, "
                    "and we pay the return shipping. {replacement_line}I can start a return with a prepaid label "
                    "right now. Shall I set up the return? Reply \"yes\" to confirm. {photo_line}",
    "damage_in_marketplace": "I'm sorry your {item} from order {order_id} {problem}. You can return it for a full "
                             "refund until {window_ends}, and the return shipping is on us. {how_to_start} Choose "
                             "the reason that fits (damaged, defective or wrong item). We refund within {refund_days} "
                             "{refund_day_kind} days of receiving it. {replacement_line}{photo_line}",
    "damage_window_closed": "I'm sorry your {item} from order {order_id} {problem}. The return window closed on "
                            "{window_ends}, so a member of our team will look at warranty options for you."
                            "{warranty_line}{claim_line}",
    # subscriptions
    # (a subscription is named by its product, "your Cast Iron Conditioner, 8 fl oz (2-Pack) subscription":
    # never by the internal subscription id or SKU unless the customer wrote it; plans.plan_subscription)
    "subscription_offer": "I can {action_words} your {subscription} (every {interval_days} days{next_line}). Shall I "
                          "go ahead? Reply \"yes\" to confirm.",
    "subscription_done": "Done: your {subscription} is {status_words}.{next_line}",
    "subscription_none": "I couldn't find an active subscription on your account.",
    "subscription_all_cancelled": "I checked: {subscriptions} {verb} cancelled, and there's no active subscription on "
                                  "your account, so no further subscription orders or charges are scheduled.",
    "subscription_declined": "No problem, I'll leave your subscription as it is. Is there anything else I can help "
                             "with?",
    "subscription_change_by_person": "Changing the {what} of your {subscription} is something a person on our team "
                                     "does, so I've passed your request on{asked}.{offered_line}{fallback_line}",
    "subscription_not_offered": "We don't offer subscriptions on {channel}, so there's no subscription with us to "
                                "set up, change or cancel there.",
    "subscription_which_action": "I can skip the next delivery of your {subscription}, or pause, resume or cancel "
                                 "it. Which would you like?",
    # the assistant itself (automated-replies-disclosure article); agent/tone.py puts the honest "I'm Northfork
    # Goods' AI assistant, not a person." before it
    "bot_disclosure": "I look up orders, tracking and returns and answer from our policies and product information. "
                      "A person on our team checks many replies before they're sent, and anything I can't answer "
                      "confidently goes to them. If you'd rather talk with someone on our team, reply \"person\" and "
                      "I'll pass this conversation on with its full history, so you won't have to repeat anything.",
    # general
    "action_declined": "No problem, I won't make any changes to order {order_id}. Is there anything else I can help "
                       "with?",
    "review_policy": "Thank you for telling us about your experience. We can't offer anything in exchange for a "
                     "review or a change to one, but we'd like to fix what went wrong. Could you tell me more about the "
                     "problem with your order?",
    "thanks_reply": "Thank you so much for the kind words. We're glad it's working well for you.",
    "stay_on_platform": "To keep your order and payment protected, we handle everything right here in "
                        "{platform_name} messages, so I can't move this conversation or a payment elsewhere. I'm happy "
                        "to help with your order here.",
    "handoff": "",
}

GREETING = "Hi {first_name},"
GREETING_ANON = "Hi there,"


def format_date(value: str | date | datetime | None, *, language: str = "en") -> str:
    """'Saturday, November 28' from an ISO date or datetime ('sábado, 28 de noviembre' in Spanish)."""
    if value is None:
        return "pronto" if language == "es" else "soon"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    day = value.date() if isinstance(value, datetime) else value
    if language == "es":
        return spanish.format_day(day)
    return f"{day:%A}, {day:%B} {day.day}"


def render(key: str, slots: dict[str, Any], *, first_name: str | None,
           extra: list[dict[str, Any]] | None = None, language: str = "en", opening: str | None = None) -> str:
    """The template filled in, followed by the answers to the message's further requests (`extra`: template
    and slots each), under one greeting and sign-off. A customer-typed name holding a link, email or phone
    number is not echoed. `language="es"`: the Spanish twins (agent/templates_es.py); a part without one
    raises `templates_es.NoSpanish` (the reply goes to a person, never in English). `opening`: sentences that
    go first, right after the greeting (agent/tone.py: the honest answer to "are you a bot?", or one short
    acknowledgment for an upset customer), already in the reply's language."""
    if language == "es":
        parts = [spanish.body(key, slots), *(spanish.body(part["template"], part["slots"]) for part in extra or [])]
        hello, hello_anon, sign_off = spanish.GREETING, spanish.GREETING_ANON, spanish.SIGN_OFF
    else:
        parts = [TEMPLATES[key].format(**slots),
                 *(TEMPLATES[part["template"]].format(**part["slots"]) for part in extra or [])]
        hello, hello_anon, sign_off = GREETING, GREETING_ANON, SIGN_OFF
    body = "\n\n".join(parts)
    if opening:
        body = f"{opening} {body}" if body else opening
    if first_name and has_contact(first_name):
        first_name = None
    greeting = hello.format(first_name=first_name) if first_name else hello_anon
    return f"{greeting}\n\n{body}\n\n{sign_off}"
