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
from agent.triage.injection import customer_part, instructs_assistant

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
        r"\b(a-?to-?z|a to z|chargeback|charge back|dispute (the|this|with)|disputed|disputing|"
        # a claim under the seller's warranty is the seller's own process, not a marketplace claim or a dispute
        r"(?:file|filed) a claim(?! (?:under|on|with|through|for|against) (?:the |your |my |its |a )?(?:\w+ )?warrant)|"
        r"opened an? (claim|case|dispute|item not received (request|claim|case)|inr|snad|return request with)|"
        r"(paypal|bank|card|credit card) (claim|dispute)|item not received (case|claim|request)|my bank|"
        r"(the|my) (claim|case|dispute) (i|we) (filed|opened)|contesting (my|the) dispute|"
        r"contracargo|disputa (con|en|a trav[eé]s de) (mi|el|la)|reclamo (con|en|a) (mi banco|la tarjeta|amazon|walmart|"
        r"tiktok|ebay))\b", re.I),
    "prompt_injection": re.compile(
        r"(ignore (all |your |the )?(previous |prior |above )?(instructions|rules|prompt)|system prompt|you are now|"
        r"act as (an? )?(admin|developer)|developer mode|disregard (your|all|the) ((previous|prior) )?(rules|instructions)|"
        r"override (policy|policies|rules)|"
        r"\[[^\]\n]{0,60}\b(system|admin|seller|internal|moderator|support team|routing|priority)\b[^\]\n]{0,20}"
        r"\b(notice|note|override|message|instruction|alert)\b|"
        r"\b(SYSTEM|ADMIN|SELLER|PRIORITY|POLICY) (NOTICE|OVERRIDE|NOTE|INSTRUCTION|MESSAGE)\b|"
        r"(assistant|agent|ai|bot) (is authorized|must (immediately |now )?(issue|approve|refund|update|disclose|"
        r"confirm|ignore))|disregard (prior|previous|all|any) (policies|policy|instructions|rules))", re.I),
    "off_platform_request": re.compile(
        # "your website" as the place the customer read something ("your website said it would arrive by the
        # 16th") asks for nothing off the platform
        r"\b(your (email|phone|number|instagram|insta|whatsapp)|your (website|site)(?!\s+(said|says|shows|showed|"
        r"listed|lists|stated|states|claimed|claims|promised|promises|mentioned|mentions|advertised|advertises)\b)|"
        r"email me|call me|text me|whatsapp|"
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
        # "my wife already bought the same plates": her purchase is why this one goes back, not her order asked about
        r"(?<!already )(?<!also )(?:ordered|placed an order|bought|purchased))\b)|"
        r"\b(her|his|their) (order|package|parcel|tracking( number)?|address|account)\b|"
        r"\bsomeone else'?s (order|package|tracking|address)|\bit'?s my (mom|mother|sister|brother|dad|father|friend|"
        r"neighbou?r|wife|husband)'?s\b", re.I),
    # what someone on the seller's side said or promised earlier ("your person said the right cooler would ship",
    # "I was told I'd get a full refund", "you promised a replacement"): nothing the agent can check, so a person
    # reads the reply before it stands. A denial in between ("your support never told me") is a complaint instead.
    "cites_promise": re.compile(
        r"\b(?:your|ur|y'?all'?s)\s+(?:\w+\s+)?(?:person|people|agent|rep|representative|associate|support|"
        r"customer service|cs|team|staff|employee|guy|lady|woman|man|manager|chat|colleague|coworker)\b"
        r"(?:(?!\b(?:nobody|no one|never|not|didn'?t|did not|wasn'?t|won'?t)\b)[^.?!\n]){0,40}?"
        r"\b(?:said|says|told|promised|assured|agreed|guaranteed|confirmed)\b"
        r"|\b(?:someone|somebody|a person|an agent|a rep|a representative|a lady|a guy)\s+(?:from|at|with|on)\s+"
        r"(?:your|the)\s+(?:\w+\s+)?(?:team|store|shop|company|support|customer service|chat|end)\b[^.?!\n]{0,40}?"
        r"\b(?:said|told|promised|assured|agreed|confirmed)\b"
        r"|\b(?:you|you guys|y'?all|u)\s+(?:\w+\s+)?(?:promised|assured (?:me|us)|guaranteed|agreed to)\b"
        r"|\b(?:i|we)\s+(?:was|were)\s+(?:told|promised|assured|guaranteed)\b"
        r"|\bme (?:dijeron|prometieron|aseguraron|confirmaron)\b|\b(?:su|el|la) (?:agente|representante|persona|"
        r"asesora?|equipo)\b[^.?!\n]{0,40}?\b(?:dijo|prometi[oó]|asegur[oó]|confirm[oó])\b|\bustedes? (?:me )?"
        r"prometi\w+", re.I),
    "abusive": re.compile(r"\b(f+u+c+k+\w*|f\*+\w*|shit\w*|bitch\w*|idiots?|morons?|clowns|scam(mer|mers)?|thie(f|ves)|"
                         r"crooks?|incompetent|useless (idiots|people|morons)|piece of (garbage|crap|junk) company|"
                         r"damn jobs?)\b", re.I),
}

_NEGATIVE = re.compile(
    r"\b(angry|furious|upset|disappointed|terrible|horrible|awful|worst|ridiculous|unacceptable|never again|"
    r"still (haven't|have not|no)|waste|scam|useless|broken|damaged|late|lost|wrong|refund now|asap|!!+|"
    # dissatisfaction said plainly: "not impressed", "took forever", "nobody even told me", "fed up"
    r"not (?:very |too |at all |so )?(?:impressed|happy|pleased|satisfied)|(?:took|takes|taking) (?:forever|ages|"
    r"so long|way too long|too long)|frustrat\w*|annoy\w*|fed up|sucks|pathetic|disgust\w*|poor (?:service|"
    r"quality|communication)|(?:nobody|no one|no-one) (?:\w+ )?(?:told|said|mention\w*|responded|answered|replied|"
    r"let me know)|"
    r"decepcionad[oa]s?|molest[oa]s?|p[eé]sim[oa]|inaceptable|hart[oa]s?|frustrad[oa]s?)", re.I)
_POSITIVE = re.compile(r"\b(thank(s| you)|(?<!n't )(?<!not )(love (it|this)|happy with)|great|awesome|perfect|amazing|"
                       r"appreciate)\b", re.I)
# the customer says it can't wait: a deadline of theirs, not any mention of a day ("it arrived today" is none)
_URGENT = re.compile(r"\b(asap|urgent(ly)?|immediately|right away|emergency|time[- ]sensitive|"
                     r"needs? (it|this|them|that|these)( back)? (by|before|today|tonight|tomorrow|now|right now)|"
                     r"needed (it|this|them|that|these)( back)? (by|before)|(by|before) (today|tonight|tomorrow))\b", re.I)

_YES = re.compile(
    # a warm word or a greeting may come first ("Great, yes please start the return"), never instead of the yes
    r"^\s*(?:(?:great|perfect|awesome|cool|wonderful|excellent|amazing|lovely|fantastic|thanks|thank you|hi|hello|"
    r"hey|oh|ah|genial|perfecto|gracias|hola)\b[\s,!.]*)*"
    r"(yes|yea|yeah|yep|yup|ya|yas|sure|ok(ay)?|okie|k|alright|please do|please go ahead|go ahead|do it|"
    r"confirm(ed)?|that'?s fine|"
    r"sounds good|correct|that works|y|"
    # Spanish (a Spanish customer answers "sí" to a Spanish offer); a bare "si" is also "if": only on its own
    r"sí|si(?=\s*(?:[,.!]|$))|claro|dale|de acuerdo|adelante|est[aá] bien|h[aá]galo|proceda|correcto)\b[\s\S]{0,80}$",
    re.I)
_NO = re.compile(r"^\s*(no|nope|nah|don'?t|do not|cancel that|never ?mind|wait|stop|not yet|"
                 r"ya no|todav[ií]a no|a[uú]n no|mejor no|espere|espera|d[eé]jelo|olv[ií]delo)\b", re.I)

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
    flags: list[RiskFlag] = [flag for flag, pattern in _FLAGS.items() if pattern.search(text)]
    if "prompt_injection" not in flags and instructs_assistant(text):  # the class, by its shape
        flags.append("prompt_injection")
    if asks_for_exception(text):
        flags.append("asks_for_exception")
    return flags + assistant_flags(text)


# Leniency beyond a stated rule (issue 11): the customer knows the rule is against them, or asks by name for an
# exception, a courtesy or a waived fee. The plan's answer is the rule ("the window closed on ..."), which is
# right as far as it goes, but whether to make the exception is the seller's call, so a person reads it first.
# The second kind is read as written ("I know the window closed last week" speaks of the rule, not of an
# earlier conversation), the first skips a request denied or told of as past (`_said`).
_OUT_OF_BOUNDS = (r"(?:past|passed|over\s+(?:the|your|\d+|a\s+month)|closed|expired|outside\s+(?:the|your|of)|beyond|"
                  r"after\s+the\s+(?:window|deadline|cutoff|\d+)|late\s+(?:for|on)\s+(?:the|a)\s+return)")
_ASKS_FOR_EXCEPTION: tuple[tuple[re.Pattern[str], bool | None], ...] = (
    # by name: "make an exception", "as a one-time courtesy", "bend the rules", "waive the restocking fee"
    (re.compile(r"\b(?:make|making|grant|granting|allow|do)\s+(?:me\s+|us\s+)?(?:an?|one|one[- ]time|a\s+one[- ]time)\s+"
                r"exception\b|\b(?:as\s+an?|one[- ]time)\s+(?:exception|courtesy|favou?r)\b|\bexception\s+for\s+"
                r"(?:me|us|this|my)\b|\bbend\s+(?:the|your|a)\s+(?:rules?|polic(?:y|ies))\b|\b(?:courtesy|goodwill)\s+"
                r"(?:refund|return|credit|exception|gesture)\b|\bwaive\s+(?:the|that|this|my|your)\s+(?:\w+\s+)?"
                r"(?:fee|fees|charge|restocking|shipping)\b|\blet\s+(?:it|this)\s+slide\b|"
                r"\b(?:hacer(?:me|nos)?|hagan|haga|hacen|una)\s+(?:una\s+)?excepci[oó]n\b", re.I), True),
    # knowing the rule is against them: "I know it's been a bit over 30 days, but...", "even though the window closed"
    (re.compile(r"\b(?:even\s+though|although|though|i\s+know|i\s+realize|i\s+realise|i\s+understand|i'?m\s+aware|"
                r"i\s+am\s+aware|i\s+get\s+that|s[eé]\s+que|aunque)\b[^.?!\n]{0,50}?\b" + _OUT_OF_BOUNDS + r"\b"
                r"|\b(?:days?|weeks?)\s+(?:past|over|after|outside)\s+(?:the|your|my)\s+(?:return\s+)?"
                r"(?:window|deadline|cutoff|return\s+period|period|policy)\b", re.I), None),
)


def asks_for_exception(text: str) -> bool:
    """"Could you make an exception?", "I know it's been a bit over 30 days, but could you take them back?",
    "can you waive the restocking fee?", "¿pueden hacer una excepción?": a request to go beyond a rule."""
    return any(p.search(s) if negatable is None else _said(s.strip(), p, negatable)
               for s in _SENTENCE.findall(text[:HINT_TEXT]) for p, negatable in _ASKS_FOR_EXCEPTION)


def sentiment(text: str) -> Sentiment:
    text = text[:HINT_TEXT]
    negative, positive = len(_NEGATIVE.findall(text)), len(_POSITIVE.findall(text))
    if negative > positive:
        return "negative"
    if positive > negative:
        return "positive"
    return "neutral"


def urgency(text: str, flags: list[RiskFlag]) -> Urgency:
    """What the words alone say; agent/urgency.py adds the tone, the clock, the order and what the tools found
    once the plan ran, and never goes below this."""
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


# ---------------------------------------------------------------- the customer asks about the assistant
# Not risks but questions about who answers: "are you a bot?" gets the honest answer of the seller's
# automated-replies-disclosure article (agent/tone.py), and "I want a human" goes to a person (routing).
# Read sentence by sentence; a clause that tells of an earlier conversation ("I talked to a real person
# last time and she said...", "she told me to ask an agent") is neither, and "I don't need a person" is no
# request for one. English and Spanish.

_BOT = (r"(?:ro)?bots?|chat\s?bots?|ai|a\.i\.?|artificial intelligence|chat\s?gpt|machines?|computers?|"
        r"automated (?:system|assistant|service|program)|virtual assistant")
_HUMAN = r"human(?: being)?|person"
_QUALIFIED = r"(?:(?:real|actual|live)\s+)?"
_WHO = r"(?:an?\s+|some\s+)?" + _QUALIFIED + rf"(?:{_BOT}|{_HUMAN}|(?:some|any)(?:one|body)\s+real)"
_CLAUSE_END = (r"(?=\s*(?:[?.!,;:)]|$|or\b|and\b|(?:reply|replying|response|responding|message|answer|answering|"
               r"talking|typing|writing|reading|here|there)\b))")
_PERSON = (r"(?:(?:an?|some|the|your|one of your)\s+)?(?:(?:real|actual|live|human)\s+){0,2}"
           r"(?:human(?: being)?|person|people|agent|representative|rep|operator|manager|supervisor|associate|"
           r"(?:some|any)(?:one|body)\s+(?:real|human|in charge|on (?:your|the) team)|"
           r"member\s+of\s+(?:your|the)\s+(?:support\s+|customer service\s+)?team|"
           r"customer\s+(?:service|support|care)\s+(?:agent|rep|representative|person))(?![-'\w])")
_ES_BOT = (r"(?:una?\s+)?(?:(?:ro)?bot|m[aá]quina(?!\s+de)|ia|inteligencia artificial|contestador(?:\s+autom[aá]tico)?|"
           r"(?:asistente|sistema)\s+(?:virtual|autom[aá]tico)|(?:respuesta|mensaje)\s+autom[aá]tic[oa]|"
           r"autom[aá]tic[oa])\b")
_ES_HUMAN = r"(?:una?\s+)?(?:ser\s+)?(?:humano|humana|persona(?:\s+real)?|alguien\s+real)\s*(?:\?|o\b|,|$)"
_ES_PERSON = (r"(?:un\s+|una\s+|alg[uú]n\s+|alguna\s+)?(?:(?:ser\s+)?humano|persona(?:\s+real)?|agente|representante|"
              r"asesora?|encargad[oa]|gerente|supervisora?|empleado|alguien\s+real|alguien\s+de\s+(?:su|tu)\s+equipo)\b")
_ANSWERED_BY = (r"(?:replies|responses|messages|answers|emails|reply|response|message|answer|chats?)\s+"
                r"(?:(?:all|even|just|really|actually)\s+)?")
_GENERATED = (r"(?:automated|automatic|auto[-\s]?generated|ai[-\s]?generated|computer[-\s]?generated|canned|"
              rf"auto[-\s]?reply|(?:written|sent)\s+by\s+(?:an?\s+)?(?:{_BOT}|{_HUMAN}))")

_ASKS_IF_AUTOMATED = re.compile("|".join([
    # are you a bot / a real person / human / automated / real?
    rf"\b(?:are|r)\s+(?:you|u|ya)\s+(?:(?:even|just|really|actually|also|still)\s+)?{_WHO}(?![-'\w])",
    r"\b(?:are|r)\s+(?:you|u|ya)\s+(?:(?:even|just|really|actually)\s+)?(?:automated|automatic|real)\s*(?:[?.!,]|$|or\b)",
    # is this (reply) a bot / automated / written by AI; are these replies automated?
    r"\b(?:is|was)\s+(?:this|that)(?:\s+(?:chat|reply|response|message|answer|conversation|email))?\s+"
    r"(?:(?:even|just|really|actually|all|an?)\s+){0,2}" + _QUALIFIED + rf"(?:{_BOT}|{_HUMAN}|{_GENERATED})" + _CLAUSE_END,
    rf"\b(?:are|is)\s+(?:these|those|the|your|this)\s+{_ANSWERED_BY}{_GENERATED}\b",
    # am I talking to a bot / a real person?; I'm talking to a bot; who am I talking to?
    r"\b(?:am\s+i|are\s+we|was\s+i|have\s+i\s+been)\s+(?:(?:even|just|really|actually|still|now)\s+)?"
    rf"(?:talking|chatting|speaking|texting|messaging|writing|corresponding|dealing)\s+(?:to|with)\s+{_WHO}(?![-'\w])",
    r"\b(?:i'?m|i\s+am|feels?\s+like\s+i'?m)\s+(?:(?:just|really|actually|still)\s+)?(?:talking|chatting|speaking)\s+"
    rf"(?:to|with)\s+(?:an?\s+)?(?:{_BOT})(?![-'\w])",
    r"\bwho\s+(?:am\s+i|are\s+we)\s+(?:talking|chatting|speaking|texting)\s+(?:to|with)\b",
    r"\bwho(?:'s|\s+is)\s+(?:this|replying|answering|responding|typing|writing)\s*\?",
    # is there a real person reading this?
    r"\b(?:is|are)\s+(?:there\s+)?(?:an?\s+|any\s+)?" + _QUALIFIED +
    r"(?:human(?: being)?|person|people|(?:any|some)(?:one|body)\s+(?:real|human))\s+(?:(?:actually|even|really)\s+)?"
    r"(?:there|here|reading|on the other end|behind|answering|replying|responding|typing|writing|looking)\b",
    # you're a bot; you sound like a robot; you're human, right?
    r"\b(?:you(?:'re|’re|\s+are)|u\s+r|ur)\s+(?:(?:just|obviously|clearly|definitely|probably|only|another)\s+){0,2}"
    r"(?:an?\s+)?(?:(?:ro)?bot|chat\s?bot|ai|a\.i\.?|chat\s?gpt|automated)(?![-'\w])",
    r"\b(?:you|u|this|that|your\s+(?:replies|answers|responses|messages|reply|answer|response|message))\s+"
    r"(?:sound|sounds|talk|write|writes|read|reads)\s+like\s+(?:an?\s+)?(?:(?:ro)?bot|chat\s?bot|ai|script)\b",
    r"\b(?:you(?:'re|’re|\s+are)|u\s+r)\s+(?:an?\s+)?(?:real\s+)?(?:human|person|real)\s*(?:,?\s*(?:right|correct)\b|\?)",
    # a sentence that is only "bot?", "human or bot?"
    rf"^\W*(?:an?\s+)?{_QUALIFIED}(?:{_BOT}|{_HUMAN})(?:\s+or\s+(?:an?\s+)?{_QUALIFIED}(?:{_BOT}|{_HUMAN}))?\s*\?",
    # Spanish: ¿eres un robot?, ¿es usted una persona real?, ¿hablo con una máquina?, ¿hay alguien real ahí?
    r"(?:\b(?:eres|sos|es\s+usted|usted\s+es|es\s+esto|esto\s+es|es\s+este\s+(?:chat|mensaje))|¿\s*es)\s+"
    rf"(?:(?:realmente|de verdad|solo|s[oó]lo)\s+)?(?:{_ES_BOT}|{_ES_HUMAN})",
    r"\b(?:hablo|estoy\s+hablando|estoy\s+chateando|estamos\s+hablando|me\s+(?:responde|contesta|escribe))\s+"
    rf"(?:con\s+)?(?:{_ES_BOT}|{_ES_HUMAN})",
    r"\bhay\s+(?:una\s+persona|alguien|un\s+(?:ser\s+)?humano)(?:\s+real)?\s+(?:ah[ií]|leyendo|del\s+otro\s+lado|"
    r"detr[aá]s|respondiendo|contestando)",
]), re.I)

# (pattern, negatable): "I don't need to talk to a person" is no request for one; "no more bots" is one
_ASKS_FOR_PERSON: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(r"\b(?:talk|speak|chat|connect|transfer|escalate|pass(?:\s+(?:me|this|it))?(?:\s+(?:on|along))?|"
                r"put\s+(?:me\s+)?through|hand\s+(?:me|this|it)\s+(?:off|over)|"
                r"(?:be|get)\s+(?:connected|transferred|put\s+through))\s+(?:me\s+|this\s+|it\s+)?(?:to|with)\s+"
                + _PERSON, re.I), True),
    (re.compile(r"\b(?:want|need|'d\s+like|would\s+like|prefer|rather\s+have|get\s+me|give\s+me|bring\s+me|"
                r"send\s+me|requesting|request|demand)\s+(?:an?\s+|to\s+have\s+an?\s+|some\s+)"
                r"(?:(?:real|actual|live|human)\s+)?(?:human(?: being)?|person|agent|representative|rep|operator|"
                r"manager|supervisor)(?![-'\w])", re.I), True),
    (re.compile(r"\b(?:person|human|agent|some(?:one|body)|any(?:one|body))\s+(?:i|we)\s+(?:can|could)\s+"
                r"(?:talk|speak|chat)\s+(?:to|with)\b", re.I), True),
    (re.compile(r"^\W*(?:(?:an?|the)\s+)?(?:(?:real|actual|live)\s+)?(?:human(?: being)?|person|agent|representative|"
                r"rep|operator|manager|supervisor|persona|humano|agente|representante|asesora?)"
                r"(?:\s+(?:please|pls|plz|now|asap|por\s+favor|real))?\W*$", re.I), False),
    (re.compile(r"\b(?:human|person|people|persona|humano)\s*,?\s*(?:not|no)\s+(?:an?\s+|un\s+|una\s+)?"
                r"(?:(?:ro)?bots?|machines?|ai|m[aá]quina|ia)\b", re.I), False),
    (re.compile(r"\b(?:no\s+more\s+|stop\s+(?:the\s+|with\s+the\s+|sending\s+(?:me\s+)?)?|"
                r"(?:don'?t|do\s+not)\s+want\s+(?:to\s+(?:talk|chat|deal)\s+(?:to|with)\s+)?(?:an?\s+|the\s+)?|"
                r"tired\s+of\s+(?:the\s+|talking\s+to\s+(?:an?\s+|the\s+)?)?|prefer\s+no\s+|"
                r"rather\s+not\s+(?:talk|chat)\s+(?:to|with)\s+(?:an?\s+|the\s+)?)"
                r"(?:(?:automated|automatic|canned|ai)\s+(?:replies|responses|messages|answers|assistants?|chat|emails)|"
                r"(?:ro)?bots?|chat\s?bots?)(?![-'\w])", re.I), False),
    (re.compile(r"\b(?:quiero|necesito|quisiera|me\s+gustar[ií]a|puedo|podr[ií]a|prefiero|deseo|exijo)\s+"
                r"(?:hablar|chatear|comunicarme|tratar)\s+con\s+" + _ES_PERSON, re.I), True),
    (re.compile(r"\b(?:p[aá]s[ae]me|comun[ií]qu[ae]me|transfi[eé]r[ae]me|con[eé]ct[ae]me)\s+con\s+" + _ES_PERSON,
                re.I), False),
    (re.compile(r"\bno\s+quiero\s+(?:hablar\s+con\s+)?(?:un\s+|una\s+)?(?:(?:ro)?bot|m[aá]quina|contestador)", re.I),
     False),
)
_SENTENCE = re.compile(r"[^.?!\n;]+[.?!;]*")
_CLAUSE_BREAK = re.compile(r",|\b(?:and|but|so|then|y|pero)\b", re.I)
_EARLIER = re.compile(
    r"\b(?:last\s+(?:time|week|month|year|night)|yesterday|earlier|previously|the\s+other\s+day|ago|tried|"
    r"was\s+told|(?:she|he|they)\s+(?:said|told)|told\s+me|la\s+(?:vez\s+)?pasada|ayer|antes)\b", re.I)
_DENIED = re.compile(r"\b(?:don'?t|do\s+not|doesn'?t|no\s+need|not|never|without|no\s+necesito|no)\b\s*(?:\w+\s+){0,3}$",
                     re.I)


def _said(sentence: str, pattern: re.Pattern[str], negatable: bool) -> bool:
    """The sentence says this now: a match outside a clause about an earlier conversation (and, for a
    request, not denied within the three words before it)."""
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
    for m in pattern.finditer(sentence):
        left = max((b for b in breaks if b <= m.start()), default=0)
        right = min((b for b in breaks if b >= m.end()), default=len(sentence))
        if _EARLIER.search(sentence, left, right):
            continue
        if negatable and _DENIED.search(sentence, left, m.start()):
            continue
        return True
    return False


def asks_if_automated(text: str) -> bool:
    """"Are you a bot?", "is this a real person?", "am I talking to AI?", "¿eres un robot?"."""
    return any(_said(s.strip(), _ASKS_IF_AUTOMATED, False) for s in _SENTENCE.findall(text[:HINT_TEXT]))


def asks_for_person(text: str) -> bool:
    """"I want a human", "can I talk to a real person?", "agent please", "quiero hablar con una persona"."""
    return any(_said(s.strip(), p, negatable) for s in _SENTENCE.findall(text[:HINT_TEXT])
               for p, negatable in _ASKS_FOR_PERSON)


def assistant_flags(text: str) -> list[RiskFlag]:
    """The flags of the two questions about the assistant, carried with the risk flags on `Triage`."""
    flags: list[RiskFlag] = []
    if asks_for_person(text):
        flags.append("asks_for_person")
    if asks_if_automated(text):
        flags.append("asks_if_automated")
    return flags


def without_assistant_questions(text: str) -> str:
    """The message with every "are you a bot?" taken out (what else it says decides whether the disclosure
    is the whole reply)."""
    return _ASKS_IF_AUTOMATED.sub(" ", text[:HINT_TEXT])


def without_injection(text: str) -> str:
    """What the customer asks, without the instructions to the assistant their message holds (an injected note
    does not decide the intent, the order or the questions; agent/triage/injection.py `customer_part`)."""
    return customer_part(text, _FLAGS["prompt_injection"])
