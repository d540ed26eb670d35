"""High-precision rules: risk flags, urgency, sentiment, language, confirmations.

Risk flags decide what must reach a human at once (legal threats, BBB/attorney-general
complaints, injuries, claims and chargebacks), so they are explicit patterns a reviewer can read,
not a model's guess. Anything they catch is routed to a person whatever the classifier says.

Every pattern is linear (bounded gaps, no nested quantifiers; tests/security/test_regex_linear.py). Risk
flags read the whole message, so padding cannot hide a threat; the softer signals (intent hint, sentiment,
urgency, language) read its first HINT_TEXT characters, which is where a person says what they want.
"""

from __future__ import annotations

import re

from agent.schemas import RiskFlag, Sentiment, Urgency

_FLAGS: dict[RiskFlag, re.Pattern[str]] = {
    "legal_threat": re.compile(
        r"\b(lawyer|attorney(?! general)|sue|suing|lawsuit|legal (action|team|department|counsel)|small claims|litigation|"
        r"(see you in|take you to|taking you to|go to|in) court)\b", re.I),
    "bbb_or_attorney_general": re.compile(
        r"\b(better business bureau|bbb|attorney general|\bag\b office|consumer protection (agency|bureau)|ftc complaint|"
        r"report(ing)? you to the ftc)\b", re.I),
    "injury_or_safety": re.compile(
        r"\b(injur(y|ed|ies)|hurt (me|my|him|her|myself)|burn(ed|t|s)? (my|me|him|her)|burned|caught (on )?fire|fire hazard|"
        r"(small|a|started a|on) fire|flames? (shot|came|burst|flared)|blister(ed|s)?|melt(ed|ing)|sparks?|overheat(ed|ing)|"
        r"burns?\b(?!\s*(time|rate|for|clean|cleanly|about|up to|evenly|longer|hot|hotter|through|fuel))|"
        r"scald(ed|ing)?|urgent care|doctor|bleeding|"
        r"exploded|explosion|smoke came|smell(s|ed)? (like )?gas|gas leak|leak(ing|ed)? (gas|propane)|shock(ed)?|electrocut|"
        r"chok(e|ed|ing)|hospital|emergency room|\ber\b visit|stitches|cut (my|his|her) (hand|finger)|poison|unsafe|dangerous)\b",
        re.I),
    "claim_or_chargeback": re.compile(
        r"\b(a-?to-?z|a to z|chargeback|charge back|dispute (the|this|with)|disputed|disputing|file a claim|filed a claim|"
        r"opened a (claim|case|dispute)|paypal (claim|dispute)|item not received case|my bank)\b", re.I),
    "prompt_injection": re.compile(
        r"(ignore (all |your |the )?(previous |prior |above )?(instructions|rules|prompt)|system prompt|you are now|"
        r"act as (an? )?(admin|developer)|developer mode|disregard (your|all|the) (rules|instructions)|"
        r"override (policy|policies|rules))", re.I),
    "off_platform_request": re.compile(
        r"\b(your (email|phone|number|website|site|instagram|insta|whatsapp)|email me|call me|text me|whatsapp|"
        r"outside (of )?(amazon|ebay|tiktok|walmart)|pay (you )?directly|venmo|zelle|cash ?app|text me|"
        r"(insta|instagram|ig) handle|dm me|skip the (ebay|amazon|tiktok|walmart) fees?)\b", re.I),
    "review_manipulation": re.compile(
        r"(\b(remove|delete|change|update|take down|edit)\b.{0,30}\b(review|feedback|rating|stars?)\b.{0,40}\b(if|for|refund|money|discount)\b|"
        r"\b(refund|money back|discount|free)\b.{0,40}\b(remove|delete|change|update|take down)\b.{0,30}\b(review|feedback|rating)\b|"
        r"\b(5|five)[- ]star(s)? (review|rating)?.{0,20}\b(if|for)\b)", re.I),
    "abusive": re.compile(r"\b(f+u+c+k+|shit|bitch|idiot|moron|scam(mer|mers)?|thie(f|ves)|crook)\b", re.I),
}

_NEGATIVE = re.compile(
    r"\b(angry|furious|upset|disappointed|terrible|horrible|awful|worst|ridiculous|unacceptable|never again|"
    r"still (haven't|have not|no)|waste|scam|useless|broken|damaged|late|lost|wrong|refund now|asap|!!+)", re.I)
_POSITIVE = re.compile(r"\b(thank(s| you)|love (it|this)|great|awesome|perfect|amazing|appreciate|happy with)\b", re.I)
_URGENT = re.compile(r"\b(asap|urgent|immediately|right now|today|tonight|emergency|need it by)\b", re.I)

_YES = re.compile(
    r"^\s*(yes|yea|yeah|yep|yup|ya|yas|sure|ok(ay)?|okie|k|alright|please do|please go ahead|go ahead|do it|"
    r"confirm(ed)?|that'?s fine|"
    r"sounds good|correct|that works|y)\b[\s\S]{0,80}$", re.I)
_NO = re.compile(r"^\s*(no|nope|nah|don'?t|do not|cancel that|never ?mind|wait|stop|not yet)\b", re.I)

_EN_WORDS = frozenset(
    "the a an and is are was my i you your it to of in for on with this that not have has do does can order "
    "where when what how please hi hello thanks package refund return".split())
_OTHER_WORDS = {
    "es": frozenset("el la los las de que y en un una mi pedido por favor donde dónde cuando cuándo gracias hola no es "
                    "está esta quiero devolver reembolso paquete llegó".split()),
    "fr": frozenset("le la les de et un une mon ma commande où quand merci bonjour je veux pas est colis remboursement".split()),
    "de": frozenset("der die das und ist ein eine mein meine bestellung wo wann danke hallo ich nicht paket".split()),
    "pt": frozenset("o a os as de e um uma meu minha pedido onde quando obrigado olá não quero encomenda".split()),
}


HINT_TEXT = 4_000


def risk_flags(text: str) -> list[RiskFlag]:
    return [flag for flag, pattern in _FLAGS.items() if pattern.search(text)]


def sentiment(text: str) -> Sentiment:
    text = text[:HINT_TEXT]
    negative, positive = len(_NEGATIVE.findall(text)), len(_POSITIVE.findall(text))
    if negative > positive:
        return "negative"
    if positive > negative:
        return "positive"
    return "neutral"


def urgency(text: str, flags: list[RiskFlag]) -> Urgency:
    if {"injury_or_safety", "legal_threat", "bbb_or_attorney_general"} & set(flags):
        return "critical"
    if "claim_or_chargeback" in flags or _URGENT.search(text[:HINT_TEXT]):
        return "high"
    return "normal"


def language(text: str) -> str:
    """'en', a detected language code, or 'und' (undetermined). A word-list heuristic: good enough to
    send non-English messages to a person, which is all the embedded engine does with them."""
    text = text[:HINT_TEXT]
    letters = [c for c in text if c.isalpha()]
    if letters and sum(1 for c in letters if ord(c) > 0x24F) / len(letters) > 0.3:
        return "und"  # mostly non-Latin script
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    if len(words) < 3:
        return "en"
    english = sum(w in _EN_WORDS for w in words)
    best, score = "en", english
    for code, vocab in _OTHER_WORDS.items():
        hits = sum(w in vocab for w in words)
        if hits > score:
            best, score = code, hits
    return best


def is_confirmation(text: str) -> bool:
    return bool(_YES.search(text)) and not _NO.search(text)


def is_refusal(text: str) -> bool:
    return bool(_NO.search(text))


# Intent hints: precise phrasings that settle the intent whatever the nearest examples say.
# Checked in this order; the first that matches wins.
_INTENT_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("subscription_change", re.compile(
        r"\b(subscriptions?|subscribe(d)?|auto[- ]?(ship|delivery|renew)|recurring (order|delivery|shipment)|"
        r"skip (my |the |this |next )*(month'?s? )?(delivery|shipment|order|box|refill))\b", re.I)),
    ("damaged_or_wrong_item", re.compile(
        r"(\b(arrived|came|showed up|received|got it|got mine|delivered|opened)\b.{0,40}\b(broken|cracked|damaged|dented|"
        r"chipped|shattered|smashed|crushed|bent|leaking|torn|ripped|defective|in pieces)\b|"
        r"\b(broken|cracked|damaged|dented|chipped|shattered|smashed|crushed)\b.{0,30}\b(arrived|on arrival|in the box|when it came)\b|"
        r"\b(sent|received|got|came|arrived|shipped|delivered)( me| us)?\b.{0,25}\bwrong\b|"
        r"\bwrong (item|size|color|colour|product|one|model|thing) (was |got )?(sent|delivered|received|arrived|came)\b|"
        r"not what i ordered|"
        r"\bmissing (parts?|pieces?|the lid|a piece|screws)\b|"
        r"\b(stopped working|doesn'?t work|does not work|won'?t (turn on|charge|light|heat|ignite)|is defective|defective)\b)",
        re.I)),
    ("cancel_order", re.compile(
        r"(\bcancel+(ed|led)?\b.{0,40}\b(order|purchase|it|this|that)\b|\bdon'?t (ship|send) (it|my order)|"
        r"\bordered (it )?(twice|by mistake|the wrong)|\bplease cancel\b|\bcancel pl(s|z|ease)\b)", re.I)),
    ("change_address", re.compile(
        r"(\b(change|update|wrong|correct|fix|edit|new|different|old)\b.{0,30}\b(shipping |delivery |mailing )?"
        r"(address|adress|addres|addy)\b|\bship (it|this|my order) to (a |my )?(different|new|another)|\bi moved\b)", re.I)),
    ("return_request", re.compile(
        r"(\b(i want to|i wnat to|i wanna|i'?d like to|i would like to|i need to|want to|wanna|can i|could i|"
        r"how (do|can) i|please)"
        r"( still| just| please| now)? (return|retrun|retun|returm|send (it|this|them|back)|send back|exchange)\b|\b(start|open|initiate) a return\b|"
        r"\breturn label\b|\b(is|are) (this|it|they|these) returnable\b)", re.I)),
    ("refund_status", re.compile(
        r"(\bwhere('?s| is) (my|the) (refund|money)\b|\brefund\b.{0,30}\b(hasn'?t|has not|not yet|never|still not|didn'?t)\b|"
        r"\b(haven'?t|have not|never|still (haven'?t|have not|didn'?t)) (received|gotten|got|seen) (my|the|a|any) refund|"
        r"\bwas i (ever )?refunded\b|\bdid (you|u) (issue|send|process) (my|the) refund|"
        r"\bstatus of (my|the) refund\b)", re.I)),
    ("order_status", re.compile(
        r"(\bwhere('?s| is| are|s)? (my|the|me) (\w+ )?(order|ordr|oder|package|pakage|packge|pkg|stuff|item|parcel|box|"
        r"delivery|tent|skillet|cooler)|"
        r"\btracking\b|\btrack (my|the|it)\b|\bhasn'?t (arrived|shipped|moved|updated)|\bnot (arrived|delivered|shipped) yet|"
        r"\b(says|shows|marked( as)?) delivered\b|\bnever (arrived|got it|received (it|my))|"
        r"\bwhen (will|does|is) (it|my order|my package|this|the order) (ship|arrive|be delivered|get here|come)|"
        r"\bstill (waiting|haven'?t received)\b|\bstuck (in|at)\b|\blost (package|parcel|in transit)\b)", re.I)),
    ("policy_question", re.compile(
        r"(\bhow long (do|does|will|to|until)\b.{0,25}\b(refunds?|returns?|ship(ping)?|deliver(y|ies)?)\b(?!.{0,30}\b(my|order)\b)|"
        r"\b(do|can|will) (you|u) ship (to|internationally|outside|overseas|abroad)\b|"
        r"\b(your|the) (return|refund|shipping|exchange|price adjustment|price match|holiday|warranty) polic(y|ies)\b|"
        r"\b(is there|do you charge) a restocking fee\b|\bwho pays (for )?(the )?return shipping\b|"
        r"\bhow many days (do i have|do i get|to return)\b|\bhow long would (a|the) refund take\b)", re.I)),
    ("other", re.compile(
        r"\b(wholesale|bulk (pricing|order|orders|discount|purchase)|distributor|reseller|partnership|sponsor(ship)?|"
        r"collab(oration)?|influencer|ugc|job|hiring|career|resume|dropship(ping)?)\b", re.I)),
    ("review_feedback", re.compile(
        r"\b(review|feedback)\b|\b(left|leave|leaving|give|gave|giving|change|update|remove)\b.{0,20}\b(rating|stars?)\b|"
        r"\b[1-5][- ]?stars?\b|^\W*(thank(s| you)( so much)?|love (it|the|my|this)|great (quality|product|service))\b",
        re.I)),
)


def intent_hint(text: str) -> str | None:
    text = text[:HINT_TEXT]
    for intent, pattern in _INTENT_HINTS:
        if pattern.search(text):
            return intent
    return None


def mentions_product(text: str, product_names: list[str]) -> bool:
    """True when the message names a catalog product (two or more distinctive words of its name)."""
    words = set(re.findall(r"[a-z]{3,}", text.lower()))
    for name in product_names:
        distinctive = {w for w in re.findall(r"[a-z]{3,}", name.lower())} - {"northfork", "with", "and", "the"}
        if len(words & distinctive) >= 2:
            return True
    return False
