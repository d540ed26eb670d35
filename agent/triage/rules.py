"""High-precision rules: risk flags, urgency, sentiment, language, confirmations.

Risk flags decide what must reach a human at once (legal threats, BBB/attorney-general
complaints, injuries, claims and chargebacks), so they are explicit patterns a reviewer can read,
not a model's guess. Anything they catch is routed to a person whatever the classifier says.

Every pattern is linear (bounded gaps, no nested quantifiers; tests/security/test_regex_linear.py). Risk
flags read the whole message, so padding cannot hide a threat; the softer signals (sentiment,
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
        r"(small|a|started a|on) fire|flames? (shot|came|burst|flared)|blister(ed|s)?|melt(ed|ing)|spark(s|ed|ing)?|overheat(ed|ing)|"
        r"smell(s|ed|ing)? (like )?(burn(ing|t)|smoke)|burn(ing|t) (plastic )?smell|smok(ing|ed)|fumes|"
        r"(swollen|swelling|bulging|puffed|puffy)( up| out)?( on| at)?( the)? (battery|bottom|base|side)|(battery|bottom|base) (is |was )?"
        r"(swollen|swelling|bulging|puffed)|(co|carbon monoxide|smoke|gas) (alarm|detector)|carbon monoxide|dizzy|"
        r"light-?headed|nause(a|ous)|smell(s|ed|ing)? (of )?(gas|propane)|huele a gas|fuga de gas|mon[oó]xido|chispas?|"
        r"se quem[oó]|me quem[eé]|humo|"
        r"burns?\b(?!\s*(time|rate|for|clean|cleanly|about|up to|evenly|longer|hot|hotter|through|fuel))|"
        r"scald(ed|ing)?|urgent care|doctor|bleeding|"
        r"exploded|explosion|smoke came|smell(s|ed)? (like )?gas|gas leak|leak(ing|ed)? (gas|propane)|shock(ed)?|electrocut|"
        r"chok(e|ed|ing)|hospital|emergency room|\ber\b visit|stitches|cut (my|his|her) (hand|finger)|poison|unsafe|dangerous)\b",
        re.I),
    "claim_or_chargeback": re.compile(
        r"\b(a-?to-?z|a to z|chargeback|charge back|dispute (the|this|with)|disputed|disputing|file a claim|filed a claim|"
        r"opened an? (claim|case|dispute|item not received (request|claim|case)|inr|snad|return request with)|"
        r"(paypal|bank|card|credit card) (claim|dispute)|item not received (case|claim|request)|my bank|"
        r"(the|my) (claim|case|dispute) (i|we) (filed|opened)|contesting (my|the) dispute|"
        r"contracargo|disputa (con|en|a trav[eé]s de) (mi|el|la)|reclamo (con|en|a) (mi banco|la tarjeta|amazon|walmart|"
        r"tiktok|ebay))\b", re.I),
    "prompt_injection": re.compile(
        r"(ignore (all |your |the )?(previous |prior |above )?(instructions|rules|prompt)|system prompt|you are now|"
        r"act as (an? )?(admin|developer)|developer mode|disregard (your|all|the) (rules|instructions)|"
        r"override (policy|policies|rules)|"
        r"\[[^\]\n]{0,60}\b(system|admin|seller|internal|moderator|support team|routing|priority)\b[^\]\n]{0,20}"
        r"\b(notice|note|override|message|instruction|alert)\b|"
        r"\b(SYSTEM|ADMIN|SELLER|PRIORITY|POLICY) (NOTICE|OVERRIDE|NOTE|INSTRUCTION|MESSAGE)\b|"
        r"(assistant|agent|ai|bot) (is authorized|must (immediately |now )?(issue|approve|refund|update|disclose|"
        r"confirm|ignore))|disregard (prior|previous|all|any) (policies|policy|instructions|rules))", re.I),
    "off_platform_request": re.compile(
        r"\b(your (email|phone|number|website|site|instagram|insta|whatsapp)|email me|call me|text me|whatsapp|"
        r"outside (of )?(amazon|ebay|tiktok|walmart)|pay (you )?directly|venmo|zelle|cash ?app|text me|"
        r"(insta|instagram|ig) handle|dm me|skip the (ebay|amazon|tiktok|walmart) fees?|"
        r"(give|send|share) me (a|your|the) (phone|telephone|number|email|e-mail)|"
        r"(phone number|email address) (so|to) (i can )?(talk|call|reach|contact))\b", re.I),
    "review_manipulation": re.compile(
        r"(\b(remove|delete|change|update|take down|edit)\b.{0,30}\b(review|feedback|rating|stars?)\b.{0,40}\b(if|for|refund|money|discount)\b|"
        r"\b(refund|money back|discount|free)\b.{0,40}\b(remove|delete|change|update|take down)\b.{0,30}\b(review|feedback|rating)\b|"
        r"\b(5|five)[- ]star(s)? (review|rating)?.{0,20}\b(if|for)\b|"
        r"\b(bump|change|raise|move|switch|update) (it|that|my (review|rating|feedback)) (up )?to (5|five)( stars?)?\b|"
        r"\b(take|took) (it|the review|my review) down\b.{0,40}\b(if|for)\b|"
        r"\bguaranteed (5|five)[- ]star\b|\b(leave|left|give) (5|five) stars? (and|to) (get|receive)\b)", re.I),
    "other_customer_data": re.compile(
        r"\b(my|our) (neighbou?r|friend|sister|brother|mom|mother|mum|dad|father|son|daughter|aunt|uncle|cousin|"
        r"co-?worker|roommate|boss|grandma|grandmother|grandpa|grandfather|wife|husband|partner|girlfriend|boyfriend)"
        r"(?:'s (order|package|parcel|tracking|address|account|purchase)\b|\b[^.?!\n]{0,60}\b(asked me to|wants me to|"
        r"ordered|placed an order|bought|purchased)\b)|"
        r"\b(her|his|their) (order|package|parcel|tracking( number)?|address|account)\b|"
        r"\bsomeone else'?s (order|package|tracking|address)|\bit'?s my (mom|mother|sister|brother|dad|father|friend|"
        r"neighbou?r|wife|husband)'?s\b", re.I),
    "abusive": re.compile(r"\b(f+u+c+k+\w*|f\*+\w*|shit\w*|bitch\w*|idiots?|morons?|clowns|scam(mer|mers)?|thie(f|ves)|"
                         r"crooks?|incompetent|useless (idiots|people|morons)|piece of (garbage|crap|junk) company|"
                         r"damn jobs?)\b", re.I),
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
