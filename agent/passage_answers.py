"""Answers quoted from knowledge passages: which sentences a reply may quote, and which answer the question.

The seller's articles mix two audiences. Most sentences state policy and product facts a customer may read;
others brief the support team: instructions ("When a customer outside the US asks, say so plainly"), the
customer in the third person ("Customers abroad sometimes ask whether..."), sample wording ("For example:
"we've refunded $5.00...""), internal notes. A reply quotes only the first kind (`audience`), only
sentences about the customer's own channel (`about_another_channel`; a section or list written for other
channels, read from the article's structure by knowledge/scope.py, gives nothing), only sentences that stand
on their own ("on the platforms listed below" carries the customer's row of that list, or is not quoted:
`units`), and only when the quoted text answers the question (agent/answer_check.py), with the value a
"how long" or "how much" asks for, from the general rule rather than a special case the question does not ask
about (the return window, not the holiday extension: `unasked_case`); otherwise it is the nearest text, for a
person to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from agent.answer_check import Term, focus_terms, judge, question_parts, reading_of
from agent.passage_focus import (
    ANSWERS, DELIVERY_CONCEPTS, DELIVERY_PARTS, UNRELATED, delivery_time, destination, gives_delivery_time, names_all,
    rank, refers_back,
)
from agent.schemas import Passage
from knowledge.loader import kb_platform
from knowledge.scope import (
    PLATFORM_WORDS, Block, Reference, applies_to, blocks, platform_rows, platforms_named, reference, referent,
    section_scope,
)
from tools.platform_profiles import MARKETPLACES, META_SHOPS, PLATFORMS, STORE_FAMILY

# ---------------------------------------------------------------- channels

# The words that name each channel (knowledge/scope.py), for every platform in the table: a Meta shop is named
# by the words of Meta, the knowledge-base platform it is filed under.
CHANNELS: dict[str, str] = {p: PLATFORM_WORDS[kb_platform(p)] for p in PLATFORMS}


def about_another_channel(sentence: str, platform: str) -> bool:
    """A sentence about other channels does not answer this customer: a marketplace customer is never told
    about our other channels (it reads as off-platform contact), and a store or Meta customer is not given a
    marketplace's rule unless the sentence also covers the store."""
    if platform in MARKETPLACES:
        others = "|".join(pattern for channel, pattern in CHANNELS.items() if channel != platform)
        return bool(re.search(rf"\b(?:{others})\b", sentence, re.I))
    own = "|".join(CHANNELS[c] for c in sorted(STORE_FAMILY))
    marketplaces = "|".join(CHANNELS[c] for c in MARKETPLACES)
    return bool(re.search(rf"\b(?:{marketplaces})\b", sentence, re.I)) and \
        not re.search(rf"\b(?:{own})\b", sentence, re.I)


# ---------------------------------------------------------------- sentences

_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "approx", "no", "st", "mr", "mrs", "ms", "dr", "u.s", "inc"})
_STOP = re.compile(r"[.!?]+[\"”’')\]]*(?=\s|$)")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of a passage body: one per list item, and a quotation stays whole with the sentence
    that quotes it (a sample reply of three sentences is one unit, never three loose customer sentences)."""
    found: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line or line.startswith("#"):
            continue
        quotes = [(m.start(), m.end()) for m in _QUOTED.finditer(line)]
        start = 0
        for stop in _STOP.finditer(line):
            if any(a < stop.start() and stop.end() < b for a, b in quotes):
                continue  # a full stop inside a quotation
            word = re.search(r"([\w.]+)$", line[start:stop.start()])
            if stop.group(0) == "." and word and word.group(1).lower() in _ABBREVIATIONS:
                continue
            following = re.match(r"\S+", line[stop.end():].lstrip())
            if following and following.group(0).islower():
                continue  # "approx. 3 lb", "vs. the 12 in": not the end of a sentence ("eBay" may start one)
            found.append(line[start:stop.end()].strip())
            start = stop.end()
        if line[start:].strip():
            found.append(line[start:].strip())
    return found


# ---------------------------------------------------------------- audience

Audience = Literal["customer", "staff"]

# Nouns for the person being served. Followed by one of _COMPOUND_HEADS they only qualify a thing
# ("customer service", "buyer messages"), and then they do not refer to the person.
_PERSON = r"(?:customer|buyer|shopper|purchaser|requester)"
_COMPOUND_HEADS = (r"service|services|support|care|experience|satisfaction|message|messages|messaging|data|"
                   r"information|info|records?|privacy|rights|feedback|reviews?|protection|communications?|"
                   r"relations|base|success|center|centre|portal|chat|inbox|facing|journey|-")
# "the customer", "a buyer's", "this customer": one person's case, told to the team. "Any customer" and
# "every customer" are general statements a customer may read, and so is the agent of a passive ("paid by
# the buyer"): it says who bears a cost under the policy.
_ONE_PERSON = re.compile(rf"(?<!\bby )\b(?:the|a|an|this|that|another|same|each)\s+(?:\w+\s+)?{_PERSON}(?!\s+(?:{_COMPOUND_HEADS})\b)"
                         rf"(?:'s|’s)?\b", re.I)
# "customers who...", "customers abroad sometimes ask": what customers do or say, from the team's side
# ("eBay buyers can request it in My eBay" says what they may do: customer-facing).
_COMMUNICATION = (r"ask|asks|asking|say|says|write|writes|message|messages|contact|contacts|call|calls|email|"
                  r"emails|chat|want|wants|expect|expects|worry|worries|complain|complains|mention|mentions|"
                  r"request|requests|report|reports|tell|tells|wonder|wonders|think|thinks|believe|believes|"
                  r"assume|assumes|prefer|prefers|often|sometimes|usually|frequently|occasionally|rarely|"
                  r"commonly|typically|mistake|confuse")
_MODAL = r"can|could|may|might|will|would|must|should|cannot|can't"
# "Customers who bought through Facebook can start a return" names a group by what it bought and says what it
# may do (a modal follows): a general statement a customer may read, unless the group is named by what it says.
_MANY_PEOPLE = re.compile(rf"\b{_PERSON}s\b(?:\s+(?:who|whose|that)\s+(?:[\w'-]+\s+){{0,2}}?(?:{_COMMUNICATION})\b|"
                          rf"\s+(?:who|whose|that)\b(?!(?:\s+[\w'-]+){{1,6}}?\s+(?:{_MODAL})\b)|"
                          rf"(?:\s+(?!(?:{_MODAL})\b)\w+){{0,2}}?\s+(?:{_COMMUNICATION})\b)", re.I)
# Who does the work, named: the team's roles and the assistant itself.
_STAFF_ACTOR = re.compile(r"(?<![\w-])(?:the |an? |our |support |service )?agents?\b(?!\s+of\b)|\brepresentatives?\b|"
                          r"\breps\b|\bteam members?\b|\bstaff\b|\bthe (?:assistant|bot)\b|\bmoderators?\b", re.I)
# The team telling itself what it must do.
_OBLIGATION = re.compile(r"\b(?:we|agents?|the team|our team|staff|support)\s+(?:\w+\s+)?(?:should|must|ought to|"
                         r"is expected to|are expected to|are required to|is required to)\b", re.I)
# Sample wording: labelled, or a reply written out in quotation marks.
_SAMPLE = re.compile(r"\b(?:sample|example|suggested|model|template)\s+(?:reply|replies|response|responses|answer|"
                     r"message|wording|phrasing|text)\b|^\s*(?:example|sample)\s*:|\b(?:for example|for instance|"
                     r"e\.g\.)\s*[:,]?\s*[\"“]|\bsay something like\b", re.I)
_SPEAKER = re.compile(r"\b(?:i|i'm|im|i've|i'll|i'd|me|my|we|we're|we've|we'll|us|our|you|your|you're|you've|"
                      r"you'll)\b", re.I)
# Notes for the team and the seller's own tools, which customers never see.
_INTERNAL = re.compile(r"^\s*(?:internal|note to (?:staff|agents|the team)|team note|staff note|for (?:staff|agents|"
                       r"the team))\b\s*[:\-]|\binternal (?:only|note|use)\b|\(internal\)|\bseller (?:central|center|"
                       r"hub|portal)\b|\baccount health\b|\bthe console\b|\btickets?\b|\bmacros?\b|"
                       r"\bdo not share (?:this )?with\b", re.I)

# Imperative mood. A clause opens with a verb in the base form, after optional adverbs or a negation.
_OPENERS = frozenset("always never also then just only first please simply politely gently kindly instead "
                     "otherwise next finally again immediately promptly clearly briefly still now".split())
# Care and handling of a product: instructions for whoever owns it, so for the customer too.
_PHYSICAL = frozenset("""
wash handwash hand-wash rinse dry air-dry wipe scrub soak store heat preheat warm cool oil re-oil season reseason
clean brush descale flush refill empty drain pour boil brew grind cook bake fry sear recharge plug unplug fold
unfold roll unroll pack unpack assemble disassemble tighten loosen twist screw unscrew insert rub spray sand seal
reseal dust tumble machine freeze thaw ignite extinguish stir melt wrap unwrap shake ventilate inflate deflate
pitch stake hang lay apply remove put place set fill charge light turn cover lift carry press push pull attach
detach dry-clean spot-clean line-dry
""".split())
# Steps a buyer takes in a marketplace or store ("choose the item, then Return this item"): process
# instructions for the customer even without "you".
_CUSTOMER_STEPS = frozenset("""
choose pick select click tap go visit sign log print drop enter submit upload scan reorder buy download return
see
""".split())
# Verbs whose base form is also a common noun opening a statement ("Return shipping is free", "Order
# numbers start with #"): imperative only when a determiner, pronoun, particle or the like follows.
_NOUNLIKE = frozenset("""
return order ship store check charge cancel change record handle note stock track trace light dry cover set place
lift turn pack label claim report review process exchange refund credit transfer contact call email message text
chat mark tag flag log link copy name sign point hand address word phrase lead end finish start stop test plan
schedule book search list match count measure pay cost drop print update request file issue promise quote offer
answer reply display support care season oil heat seal sand dust line machine spot time air fire pitch stake
plug press fold roll brush water
""".split())
_VERBS = _PHYSICAL | _CUSTOMER_STEPS | _NOUNLIKE | frozenset("""
say tell ask explain suggest apologize apologise respond mention advise remind reassure acknowledge thank invite
assure recommend escalate waive invent guess accuse blame argue lecture refuse decline repeat share give describe
spell write greet mirror direct redirect refer route forward cite disclose admit threaten pressure hint pretend
confirm verify look compare approve treat follow keep use rely make let send open close wait provide include move
stay show collect gather leave begin continue avoid consider remember ensure be expect try add adjust allow
arrange choose pick select click tap go visit reach submit replace reorder buy deliver find read see watch learn
enter type complete upload take bring download create save hold reserve deduct subtract calculate inspect
photograph document summarize paraphrase translate reference skip pause resume resend retry reship restock
suspend block delete keep encourage urge welcome help offer promise check confirm ship cancel handle clarify
double-check investigate contact reassure apologize sympathize empathize point steer push nudge wait ignore
""".split())
# A preposition after a verb that is also a noun reads as a noun phrase ("Rust from storage is normal wear",
# "Orders to a PO Box"), so it does not count for those.
_PREPOSITIONS = frozenset("by with to for on in at from into over about around through under after before until "
                          "as".split())
_FOLLOWS_A_VERB = frozenset("""
the a an this that these those every each any all some no both its it them him her us me you your their his our
everything anything something nothing someone anyone everyone one by with to for on in at from into out off up down
over about back away around through under after before until whether if how what when where why which who so not
once only again first right and or as instead too
""".split())
_LEAD_CLAUSE = re.compile(r"^(?:when|whenever|if|once|before|after|until|unless|while|where|wherever|since|because|as|"
                          r"though|although|for|in|on|with|during|to|otherwise|instead|at|from|by|within|under|upon|"
                          r"without|except|besides|regardless|even|\w+ly)\b", re.I)
_CLAUSE_BREAK = re.compile(r"\s*[;:]\s+|\s+[—–-]\s+|,?\s+then\s+")
_SUBJECT = re.compile(r"(?:we|they|it|you|i|he|she|there|the|a|an|this|that|these|those|our|their|his|her|its|"
                      r"[A-Z]\w*\s+[A-Z]\w*|[A-Z]\w*\s+(?:is|are|was|were|has|have|does|do|can|will|may|must|"
                      r"should|\w+s))\b")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|us)\b", re.I)


@dataclass(frozen=True)
class Verdict:
    """Who a sentence is written for, and the rule that decided it (None for the customer)."""

    audience: Audience
    rule: str | None = None


def _mask_quotes(sentence: str) -> str:
    return _QUOTED.sub(lambda m: '"' + "x" * (len(m.group(0)) - 2) + '"', sentence)


def _quoted_speech(sentence: str) -> bool:
    """A quotation that is someone speaking (a reply or a customer's words), not a label like "Delivered":
    three or more words with I/we/you in them, or a full sentence of five or more words."""
    for m in _QUOTED.finditer(sentence):
        inner = m.group(0)[1:-1].strip()
        words = inner.split()
        if (len(words) >= 3 and _SPEAKER.search(inner)) or (len(words) >= 5 and inner.rstrip("\"”").endswith(
                (".", "!", "?", ","))) or len(words) >= 8:
            return True
    return False


def _clauses(masked: str) -> list[str]:
    """Where a main clause may open: the sentence start, after a semicolon, colon or dash, after "then",
    and after each comma that closes a leading adjunct ("When ..., say so"; "If ..., offer ...")."""
    found: list[str] = []
    for part in _CLAUSE_BREAK.split(masked):
        part = part.strip()
        found.append(part)
        if _LEAD_CLAUSE.match(part):
            for m in re.finditer(r",\s*", part):  # the adjunct may hold a list: try each comma ...
                segment = part[m.end():]
                found.append(segment)
                if re.match(_SUBJECT, segment):
                    break  # ... up to the main clause: it has a subject, so it is no imperative
    return [re.sub(r"^(?:and|or|but)\s+", "", c, flags=re.I) for c in found if c]


def _imperative(clause: str) -> tuple[str, bool] | None:
    """(verb, negated or led by an adverb) when the clause opens in the imperative mood."""
    words = re.findall(r"[a-z][a-z'-]*|\"|\d+", clause.lower())
    i, led = 0, False
    while i < len(words) and (words[i] in _OPENERS or words[i] in ("do", "don't") and i + 1 < len(words)
                              and words[i + 1] in ("not", "never") or words[i] == "not"):
        led = True
        i += 1
    if i >= len(words):
        return None
    verb = words[i]
    if verb == "hand" and i + 1 < len(words) and words[i + 1] in ("wash", "washed"):
        verb = "handwash"
    if verb not in _VERBS:
        return None
    follower = words[i + 1] if i + 1 < len(words) else ""
    if not follower:
        return None  # a bare word before a colon is a label ("Skip: skips the next delivery")
    if verb in _NOUNLIKE and not led and (follower in _PREPOSITIONS or follower not in _FOLLOWS_A_VERB
                                          and follower != '"' and not follower.endswith("ly") and not follower.isdigit()):
        return None
    return verb, led


# A capitalised step after "then" inside a sentence is the name of a button or menu item ("Account, Purchase
# history, choose the order, then Start a return"), like a quoted label: it names, it does not instruct.
_MENU_ITEM = re.compile(r"(?<=\bthen )[A-Z][^,.;:!?()]*")


def _staff_instruction(masked: str) -> bool:
    """An instruction to the team: an imperative clause that neither addresses the reader ("your", "us")
    nor is a care step for the product ("wash by hand", "never put it in the dishwasher")."""
    masked = _MENU_ITEM.sub(lambda m: '"' + "x" * max(len(m.group(0)) - 2, 0) + '"', masked)
    for clause in _clauses(re.sub(r"\([^()]*\)", " ", masked)):  # asides in brackets hold lists, not clauses
        found = _imperative(clause)
        if found is None:
            continue
        verb, _ = found
        if _SECOND_PERSON.search(clause):
            continue  # "reply with your order number", "contact us": the customer is told what to do
        if verb in _PHYSICAL or verb in _CUSTOMER_STEPS or verb == "handwash":
            continue
        if verb == "avoid" and not re.search(r"\bavoid\s+\w+ing\b", clause, re.I):
            continue  # "avoid metal scouring pads" is care; "avoid promising dates" is not
        return True
    return False


@lru_cache(maxsize=8192)
def audience(sentence: str) -> Verdict:
    """Who the sentence is written for. Staff when it names the customer in the third person (one
    customer's case, or what customers ask and say), names the team's roles, tells the team what it must
    do (an obligation, or an imperative that is not a care step or addressed to the reader), writes out
    sample wording, or is an internal note. Otherwise the customer may read it."""
    text = sentence.strip()
    masked = _mask_quotes(text)
    if _SAMPLE.search(text) or _quoted_speech(text):
        return Verdict("staff", "sample wording")
    if _INTERNAL.search(masked):
        return Verdict("staff", "internal note")
    if _ONE_PERSON.search(masked) or _MANY_PEOPLE.search(masked):
        return Verdict("staff", "customer in the third person")
    if _STAFF_ACTOR.search(masked):
        return Verdict("staff", "names the team")
    if _OBLIGATION.search(masked):
        return Verdict("staff", "obligation for the team")
    if _staff_instruction(masked):
        return Verdict("staff", "instruction to the team")
    return Verdict("customer")


def staff_guidance(sentence: str) -> bool:
    """Articles also brief the support team ("Keep everything on eBay..."); those lines are not for customers."""
    return audience(sentence).audience == "staff"


# ---------------------------------------------------------------- answers

SECTION_SENTENCES = 4  # a policy answer quotes up to this many sentences of the best section, in order
MIN_SENTENCE = 13  # characters, list bullet left out: shorter fragments ("Notes:") are never quoted
NO_ANSWER = "no passage answers the question: the nearest text is quoted for a person to check"

# What customers ask for, in the words the articles answer with ("policy" is answered by a window of days).
# Kept for callers that rank by shared words; the answer check (agent/answer_check.py) decides answers.
EXPANSIONS: dict[str, set[str]] = {
    "polic": {"windo", "days", "withi"}, "long": {"days", "busin", "withi"}, "pays": {"paid", "cost", "free"},
    "pay": {"paid", "cost", "free", "pays"}, "sale": {"price", "diffe", "drops"}, "cheap": {"price", "diffe"},
    "drop": {"price", "diffe"}, "drope": {"price", "diffe"},
}
QUESTION_WORDS = {"the", "and", "you", "does", "how", "can", "what", "whats", "your", "take", "this", "that"}


def query_words(query: str) -> set[str]:
    """The question's words by their first five letters, with the words articles answer them with."""
    words = {key_word(w) for w in re.findall(r"[a-z0-9]{3,}", query.lower())} - QUESTION_WORDS
    for word in list(words):
        words |= EXPANSIONS.get(word, set())
    return words


def key_word(word: str) -> str:
    """Words compared by their first five letters: 'refunds' meets 'refund', 'dishwaser' meets 'dishwasher'."""
    return word[:5]


@dataclass(frozen=True)
class _Candidate:
    passage: int
    position: int
    text: str
    lead: str | None = None
    row: str | None = None


@dataclass
class PassageAnswer:
    """Quoted sentences, the passages they come from, whether they answer every question part, and the
    parts nothing quoted answers."""

    text: str
    cited: list[str] = field(default_factory=list)
    matched: bool = False
    unanswered: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # the quoted sentences, as they appear in `text`


# Where a sentence joins independent clauses: a semicolon, or a colon or ", and/but/so" before a new subject.
_JOIN = re.compile(r";\s+|(?::|,\s+(?:and|but|so|while|whereas))\s+(?=" + _SUBJECT.pattern + ")")


def customer_part(sentence: str) -> str | None:
    """The sentence if a customer may read it; else its opening clauses when only a later clause briefs the
    team ("...return shipping is paid by the buyer, and Amazon takes the label cost out of the refund when the
    customer uses Amazon's label" keeps its first clause); None when nothing of it is for the customer. A cut
    that would end on a list item ("damaged, defective, and the ...") is no clause boundary."""
    if not staff_guidance(sentence):
        return sentence
    kept = None
    for join in _JOIN.finditer(_mask_quotes(sentence)):
        head = sentence[:join.start()].rstrip(" ,;")
        if staff_guidance(head):
            break
        if join.group(0).startswith(";") or len(head.rsplit(",", 1)[-1].split()) >= 3:
            kept = head
    return _as_quote(kept) if kept and len(kept) > MIN_SENTENCE else None


# ---------------------------------------------------------------- what a passage says to this customer

# The names of the channels as a series of them is written ("on Amazon, Walmart, TikTok Shop, or eBay").
_NAME = (r"(?:(?:the |our )?(?:own )?online store|our (?:own )?store|northforkgoods\.com|amazon|walmart|"
         r"tiktok(?: shop)?|ebay|facebook(?: shops?)?|instagram(?: shops?)?|meta(?: shops?)?)(?![\w'’])")
_LINK_PREP = r"(?:on|for|from|through|via|in|at|to|of|by|with)"
_NAMES = (rf"{_NAME}(?:(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)(?:{_LINK_PREP}\s+)?{_NAME})+")
# Where cutting a series keeps the grammar: after a preposition ("on TikTok Shop or eBay"), or before the
# noun the names qualify ("an Amazon, Walmart, or eBay order"). As a subject ("Amazon and Walmart charge")
# the verb agrees with the series, so it stays whole.
_QUALIFIED = (r"(?:orders?|customers?|buyers?|shoppers?|returns?|refunds?|gifts?|purchases?|items?|listings?|"
              r"accounts?|shipments?|packages?|messages?|sellers?|checkouts?|prices?)")
_SERIES = re.compile(rf"\b(?P<prep>{_LINK_PREP})\s+(?P<article>(?:an?|the)\s+)?(?P<items>{_NAMES})|"
                     rf"\b(?P<article2>(?:an?|the)\s+)?(?P<items2>{_NAMES})(?=\s+{_QUALIFIED}\b)", re.I)
_SERIES_BREAK = re.compile(rf"\s*,\s*(?:(?:and|or)\s+)?(?:{_LINK_PREP}\s+)?|\s+(?:and|or)\s+(?:{_LINK_PREP}\s+)?", re.I)
# How a channel is named in place of "these platforms" ("for eBay"), and before a noun ("your eBay orders").
CHANNEL_NAMES = {"amazon": "Amazon", "walmart": "Walmart", "tiktok": "TikTok Shop", "ebay": "eBay",
                 "shopify": "our online store", "facebook": "Facebook Shop", "instagram": "Instagram Shop"}
CHANNEL_QUALIFIERS = {**CHANNEL_NAMES, "shopify": "online store"}
_LOWER_FIRST = frozenset("our the a an all any each every orders items".split())
MAX_ROWS = 6  # a list or table quoted inside a sentence: at most this many rows ...
MAX_ROWS_CHARS = 300  # ... and this many characters, or the sentence is not quoted
_HEAD_END = re.compile(r"\s*(?:\(|:|;|,\s*which\b|\s[—–-]\s)")


def _kb_platform(platform: str) -> str:
    return "meta" if platform in META_SHOPS else platform


def _own(names: frozenset[str], platform: str) -> bool:
    """Whether channel names (knowledge-base platforms) include the customer's: a store or Meta customer's
    orders check out on the store, so either of the two is theirs."""
    if platform in STORE_FAMILY:
        return bool(names) and names <= {"shopify", "meta"}
    return _kb_platform(platform) in names


def _among(names: frozenset[str], platform: str) -> bool:
    """Whether the customer's channel is among channels named together (a store or Meta customer's: the
    store's or Meta's, whose orders check out on the store)."""
    return bool(names & {"shopify", "meta"}) if platform in STORE_FAMILY else _kb_platform(platform) in names


# "On every channel, our online store, Amazon, ..., and eBay, we ship...": the names only spell out "every channel".
_EVERY_CHANNEL = re.compile(rf"(?P<head>\b(?:every|each|all(?: of)?(?: our)?)\s+(?:channels?|platforms?|marketplaces?)),"
                            rf"\s*(?P<items>{_NAMES}),", re.I)


def narrowed(sentence: str, platform: str) -> str:
    """The sentence with each series of channels after a preposition ("on TikTok Shop or eBay") cut down to
    the customer's own ("on eBay"), so a rule stated for several channels reads as theirs and names no other.
    A series that does not name the customer's channel stays whole (the sentence is about other channels); one
    that spells out "every channel" is left out ("On every channel, we ship only...")."""
    def cut(match: re.Match[str]) -> str:
        series = match.group("items") or match.group("items2")
        items = [x.strip() for x in _SERIES_BREAK.split(series) if x.strip()]
        kept = [x for x in items if _own(platforms_named(x), platform)]
        if not kept or len(kept) == len(items):
            return match.group(0)
        joiner = " or " if re.search(r"\bor\b", series, re.I) else " and "
        listed = kept[0] if len(kept) == 1 else ", ".join(kept[:-1]) + joiner + kept[-1]
        article = (match.group("article") or match.group("article2") or "").strip()
        if article.lower() in ("a", "an"):  # "an Amazon, Walmart, or eBay order" -> "a Walmart order"
            article = ("an" if listed[:1].lower() in "aeiou" else "a")
            article = article.capitalize() if (match.group("article") or match.group("article2") or "")[:1].isupper() \
                else article
        lead = " ".join(x for x in (match.group("prep"), article) if x)
        return f"{lead} {listed}" if lead else listed

    def every(match: re.Match[str]) -> str:
        return match.group("head") + "," if _among(platforms_named(match.group("items")), platform) else match.group(0)
    return _SERIES.sub(cut, _EVERY_CHANNEL.sub(every, sentence))


def _joined(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _head(row: str) -> str:
    """What a row of a list of channels names ("Amazon (normally 30 days from delivery)" names Amazon)."""
    return _HEAD_END.split(row, maxsplit=1)[0].strip().rstrip(".")


def _rows_for(target: Block, platform: str) -> list[str]:
    """The rows of a list or table that a customer on this channel may be told: rows about another
    channel are left out."""
    rows = [narrowed(r.strip(), platform) for r in target.rows]
    return [r for r in rows if r and not about_another_channel(r, platform)]


def resolved(sentence: str, position: int, parts: Sequence[Block], platform: str, before: Sequence[str],
             heading: str) -> str | None:
    """The sentence made to stand on its own for this customer, or None when it cannot be.

    A sentence that points at other lines ("on the platforms listed below", "the following items", "for these
    platforms", "this table") carries what it points at: the rows of that list or table a customer on this
    channel may read, in place of the pointing words (a list of channels by their names: "on Amazon"), or
    after the sentence when it introduces them ("see the table below: ..."). A pointer at a list of
    channels that leaves out the customer's channel makes the sentence not theirs; a pointer at nothing the
    passage holds leaves it unquotable. "These marketplaces" with no list means the channels named just
    before (or in the heading): the customer's own when it is among them."""
    text = sentence
    for _ in range(3):  # a sentence may point more than once
        pointer = reference(text)
        if pointer is None:
            return text
        target = referent(pointer, position, list(parts))
        if target is None:
            if not ((pointer.names_platforms or pointer.orders) and pointer.direction == "back"):
                return None
            if platforms_named(text[:pointer.start]):
                return text if _among(platforms_named(text[:pointer.start]), platform) else None  # carried along
            named = next((platforms_named(x) for x in reversed(before) if platforms_named(x)), platforms_named(heading))
            if not _among(named, platform):
                return None
            if pointer.orders:  # "when one of these orders is cancelled" -> "...one of your eBay orders..."
                text = _spliced(text, pointer, f"your {CHANNEL_QUALIFIERS.get(platform, platform)} {pointer.noun}")
                continue
            if not re.search(rf"\b{_LINK_PREP}\s+$", text[:pointer.start], re.I):
                return None  # as a subject, a channel's name would not agree with the verb: not quoted
            text = _spliced(text, pointer, CHANNEL_NAMES.get(platform, platform))
            continue
        rows = _rows_for(target, platform)
        if not rows or len(rows) > MAX_ROWS:
            return None
        if pointer.introduces:
            if pointer.direction == "back":
                return None
            listed = " ".join(_as_quote(r) for r in rows)
            return f"{text.rstrip(' .:')}: {listed}" if len(listed) <= MAX_ROWS_CHARS else None
        listed = _joined([_head(r) for r in rows] if platform_rows(target) else [r.rstrip(".") for r in rows])
        if len(listed) > MAX_ROWS_CHARS:
            return None
        text = _spliced(text, pointer, listed)
    return None


def _spliced(text: str, pointer: Reference, words: str) -> str:
    """The pointing words replaced: lower case inside the sentence ("our own online store"), capitalised at
    its start."""
    first = words.split(" ", 1)[0]
    if pointer.start == 0:
        words = words[:1].upper() + words[1:]
    elif first.lower() in _LOWER_FIRST:
        words = words[:1].lower() + words[1:]
    return text[:pointer.start] + words + text[pointer.end:]


@dataclass(frozen=True)
class Unit:
    """One thing a reply may quote from a passage: a sentence, or a row of a list or table after the lead-in
    that introduces it (`lead`, ending with a colon; `text` then reads "lead row")."""

    text: str
    lead: str | None = None
    row: str | None = None


def units(passage: Passage, platform: str) -> list[Unit]:
    """What a reply to a customer on this channel may quote from the passage, in order.

    Nothing when the section applies to other channels (knowledge/scope.py reads that from its heading
    and lists); each sentence for customers (whole, or the opening clauses a customer may read), cut down
    to the customer's channel where it lists several (`narrowed`) and made to stand alone (`resolved`);
    each row of a list or table with the lead-in that introduces it ("Time to issue the refund...: Amazon:
    within 2 business days"): a lead-in is never quoted without a row, and a row only with its lead-in
    when a customer may read that (none of a list introduced as another channel's)."""
    return list(_units(passage.text, passage.platform, platform))


@lru_cache(maxsize=4096)
def _units(passage_text: str, doc_platform: str, platform: str) -> tuple[Unit, ...]:
    """`units`, once per passage text and channel (the knowledge base is small and asked again and again)."""
    heading_line, _, body = passage_text.partition("\n")
    heading = heading_line.split(" — ", 1)[-1]
    if not applies_to(section_scope(heading, body, doc_platform), platform):
        return ()
    parts = blocks(body)
    found: list[Unit] = []
    said: list[str] = []
    for position, block in enumerate(parts):
        if block.kind == "text":
            lines = [s for line in block.lines for s in sentences(line)]
            nxt = parts[position + 1] if position + 1 < len(parts) else None
            kept = True  # whether the sentence before is for customers: one pointing back at the team's is not
            for index, sentence in enumerate(lines):
                if index == len(lines) - 1 and sentence.endswith(":") and nxt is not None and nxt.rows:
                    continue  # a lead-in: quoted with the rows it introduces
                text = _for_customer(sentence, position, parts, platform, said, heading) \
                    if len(sentence) > MIN_SENTENCE and (kept or index == 0 or not _leans_on(sentence)) else None
                if text:
                    found.append(Unit(text))
                kept = bool(text) or not staff_guidance(sentence)
                said.append(sentence)
            continue
        lead = _lead_in(parts, position, platform, said, heading)
        if lead == "":
            continue  # the list is introduced as another channel's: none of it is this customer's
        for row in block.rows:
            for sentence in sentences(row):
                if len(sentence) <= MIN_SENTENCE:
                    continue
                text = customer_part(narrowed(sentence, platform))
                if not text or about_another_channel(text, platform):
                    continue
                found.append(Unit(f"{lead} {_as_quote(text)}", lead, _as_quote(text)) if lead else Unit(text))
    return tuple(found)


def _leans_on(sentence: str) -> bool:
    """Whether the sentence needs the one before it to be understood ("We treat that as a normal US order" after
    a line for the team): it points back, and not at channels or orders `resolved` names in its place ("one of
    these orders")."""
    return refers_back(sentence) and reference(sentence) is None


def _for_customer(sentence: str, position: int, parts: Sequence[Block], platform: str, before: Sequence[str],
                  heading: str) -> str | None:
    text = resolved(narrowed(sentence, platform), position, parts, platform, before, heading)
    if text is None:
        return None
    if about_another_channel(text, platform):
        text = _own_clauses(text, platform)
    return customer_part(text) if text else None


def _own_clauses(sentence: str, platform: str) -> str | None:
    """The opening clauses of a sentence whose later clause is about another channel ("Orders we ship leave
    within 2 business days; orders fulfilled by Amazon or Walmart leave within 1 business day" keeps its first
    clause for a TikTok buyer); None when the first clause already is."""
    clauses = re.split(r";\s+", sentence)
    kept: list[str] = []
    for clause in clauses:
        if about_another_channel(clause, platform):
            break
        kept.append(clause)
    text = "; ".join(kept).rstrip(" ,;")
    return _as_quote(text) if kept and len(kept) < len(clauses) and len(text) > MIN_SENTENCE else None


def _lead_in(parts: Sequence[Block], position: int, platform: str, before: Sequence[str], heading: str) -> str | None:
    """The sentence that introduces the list at `position` (the paragraph just before it ends with a colon),
    when a customer on this channel may read it whole; "" when it introduces another channel's list; None
    when there is none a customer may read (the rows then stand alone: "Weight: 5.2 lb")."""
    if position == 0 or parts[position - 1].kind != "text":
        return None
    last = sentences(parts[position - 1].lines[-1])
    if not last or not last[-1].endswith(":"):
        return None
    if about_another_channel(narrowed(last[-1], platform), platform):
        return ""
    text = _for_customer(last[-1], position - 1, parts, platform, before, heading)
    return text if text == narrowed(last[-1], platform) and text.endswith(":") else None


def quotable(passage: Passage, platform: str) -> list[str]:
    """The sentences of a passage a reply to this customer may quote (see `units`)."""
    return [u.text for u in units(passage, platform)]


def _as_quote(sentence: str) -> str:
    """A sentence as quoted: a list item gets its full stop; a lead-in to a list keeps its colon."""
    return sentence if sentence.endswith((".", "!", "?", ":")) else sentence + "."


def _parts(query: str, titles: Sequence[str]) -> list[tuple[str, tuple[Term, ...]]]:
    """Each part of the question with its focus terms, the titles' words counting as product words."""
    return [(part, focus_terms(part, titles)) for part in question_parts(query) or [query]]


def product_titles(passages: Sequence[Passage]) -> list[str]:
    """The titles whose words are product words: a product page's ("Northfork Cast Iron Skillet, 12 in"), which
    every section of the page repeats. A policy article's title names the channel and the topic the question
    asks about ("Returns and refunds for Walmart orders"): weakened, the channel's own article could answer a
    question only with the words the question adds ("something I bought"), and an article whose title does not
    repeat the question would answer it instead."""
    return [x.title for x in passages if x.topic == "product"]


def heading_of(passage: Passage) -> str:
    """The section heading of a passage ("Walmart holiday return extension" from "title — heading\n...")."""
    return passage.text.split("\n", 1)[0].split(" — ", 1)[-1]


# "How does X work?" asks how X is done: "work" is the question's form, not a topic an answer must name.
_HOW_IT_WORKS = re.compile(r"\bhow\b[^?.!]*\bwork(?:s|ed|ing)?\b", re.I)
_MONTH = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b",
                    re.I)


def specific_terms(question: str, terms: Sequence[Term]) -> list[Term]:
    """The question's words that name something specific ("January", "gift", "dishwasher"): topic and product
    words, not the generic ones ("return", "order"), the words of a channel's name ("your online store") nor the
    "work" of "how does it work?"."""
    channel_words = {w.lower() for words in PLATFORM_WORDS.values()
                     for m in re.finditer(rf"\b(?:{words})\b", question, re.I) for w in re.findall(r"\w+", m.group(0))}
    form = {"work"} if _HOW_IT_WORKS.search(question) else set()
    return [t for t in terms if t.kind in ("topic", "product") and t.stems and not set(t.stems) <= form
            and not set(t.text.lower().split()) <= channel_words and not platforms_named(t.text)]


@lru_cache(maxsize=256)
def _loose(concept: str) -> bool:
    """A concept the answer check counts as generic ("ship": ship, send, deliver, mail...): sharing it says little
    about what a text is about ("do I mail it back?" is not met by "Walmart sends the money back")."""
    return any(t.kind == "generic" for t in focus_terms(concept.replace("_", " ")))


def mentions(term: Term, text: str) -> bool:
    """Whether the text speaks of what the term names: its words, a concept of the answer check's table that is
    not a generic one ("my card" ~ "the original payment method"), and for a month ("can I return it in
    January?"), the months the text names ("December purchases follow the same window")."""
    reading = reading_of(text)
    if term.stems and set(term.stems) <= reading.stems:
        return True
    if any(c in reading.concepts for c in term.concepts if not _loose(c)):
        return True
    return bool(_MONTH.fullmatch(term.text)) and bool(_MONTH.search(text))


def unasked_case(passage: Passage, question: str, terms: Sequence[Term], platform: str,
                 said: Sequence[str] | None = None) -> frozenset[str]:
    """The case a section is about that the question does not ask about, or nothing.

    An article answers a general question in its general section and keeps special cases apart: "Walmart
    holiday return extension" and "Returning a gift" beside "Walmart return window and when it starts". A
    special case's sentences often match the general question better (they repeat "bought", "returned until"),
    yet quoted for "how long do I have to return it?" they give the exception instead of the rule. A section is
    about a case the question does not ask about when its heading names specific topics of the answer check's
    table (a holiday, a gift, a refund, a fee: not the generic return or shipping), none of them asked, and
    the sentences it would quote (`said`; default: all a customer may read) speak of nothing specific the
    question names (`mentions`: "returned in January" reaches the holiday extension, "is it dishwasher safe?"
    the care section; "do I mail it?" does not reach the refund section by its "Walmart sends the money back").
    Those topics are returned. The parts of a delivery estimate (the handling time) are asked by "how long does
    shipping take?" (agent/passage_focus.py: `delivery_time`)."""
    asked = frozenset(c for t in terms for c in t.concepts)
    if delivery_time(terms):
        asked |= _delivery_part_concepts()
    named = frozenset(c for t in focus_terms(heading_of(passage)) if t.kind == "topic" for c in t.concepts)
    if not named or named & asked:
        return frozenset()
    text = " ".join(quotable(passage, platform) if said is None else said)
    return frozenset() if any(mentions(t, text) for t in specific_terms(question, terms)) else named


# A question about how something is done ("how do returns work?", "how can I start a return?"), and a heading
# that explains how ("How to start a Walmart return", "How an exchange works"), not how long or how much.
_HOW_QUESTION = re.compile(r"\bhow\s+(?:do|does|did|can|could|should|would|will|is|are|to)\b", re.I)
_HOW_HEADING = re.compile(r"^\s*how\b(?!\s+(?:long|much|many|soon|quickly|fast|far|often|big|large|old)\b)", re.I)


def about_the_value(passage: Passage, terms: Sequence[Term], question: str = "") -> bool:
    """Whether the section's heading is about what the question asks for: the kind of value ("Walmart return
    window" and "How long a refund takes" for "how long", where another section may give a duration in
    passing), or how a thing is done ("How to start a Walmart return" for "how do returns work?")."""
    asks = {t.asks for t in terms if t.kind == "asks"}
    heading = heading_of(passage)
    if asks & {t.asks for t in focus_terms(heading) if t.kind == "asks"}:
        return True
    return bool(_HOW_QUESTION.search(question)) and bool(_HOW_HEADING.match(heading))


def gives_value(terms: Sequence[Term], text: str) -> bool:
    """Whether the text gives the kind of value the question asks for ("how long": a duration, "how much": an
    amount, "when": a date or time) and speaks of the question's topic: the sentence that answers "how long
    till I get my money back" has the number of days, not only the word refund."""
    asks = {t.text for t in terms if t.kind == "asks"}
    if not asks:
        return False
    covered = set(judge(terms, text).covered)
    topic = {t.text for t in terms if t.kind != "asks"}
    return asks <= covered and (not topic or bool(covered & topic))


class Section(Passage):
    """A section chosen to answer a question (`best_section`), with the sections that complete its answer: the
    transit time beside the handling time, the extra days and the items that cannot go beside "we ship to
    Hawaii". `extract_answer` quotes from them what answers the question."""

    complements: tuple[Passage, ...] = ()


COMPLEMENT_UNITS = 3  # a complementing section adds at most this many quoted units (one less than the limit)


def extract_answer(passages: Sequence[Passage], query: str, limit: int = 3, platform: str = "shopify") -> PassageAnswer:
    """The sentences across the passages that best answer the question, for each of its parts.

    Only what a customer on this channel may read counts (`units`). Words of a product page's title are
    product words there (every section of a product page says "cast iron skillet"), so they count only
    weakly and the rest of the question tells the sections apart (`product_titles`). For a part that asks for
    a value (a duration, amount, date), a sentence that gives one about the topic comes before one that only
    names the topic. A short single section is quoted whole (the sentences around the match carry the
    answer) but for sentences that share nothing with the question; with nothing relevant, the top passage's
    opening is the nearest text, and `matched` is False (and so it is when only a special case the question
    does not ask about speaks to it: `_answers`). A section with nothing a customer may read gives no text,
    and so does a question that names nothing to look for ("what is that for?": no passage can answer it).
    A `Section`'s complements add what answers the question in them (`_completing`). The quoted sentences
    that answer come first, then those that only touch the question (`_in_order`; agent/passage_focus.py).
    """
    parts = _parts(query, product_titles(passages))
    if not any(terms for _, terms in parts):
        return PassageAnswer("", [], False, [part for part, _ in parts], [])
    candidates = [_Candidate(pi, si, u.text, u.lead, u.row) for pi, passage in enumerate(passages)
                  for si, u in enumerate(units(passage, platform))]
    if not candidates:
        return PassageAnswer("", [], False, [part for part, _ in parts], [])
    scores = {c: [judge(terms, c.text).score for _, terms in parts] for c in candidates}
    values = {c: [gives_value(terms, c.text) for _, terms in parts] for c in candidates}
    ranks = {c: rank([terms for _, terms in parts], c.text) for c in candidates}
    nearest = False
    if len(passages) == 1 and len(candidates) <= limit:
        chosen = _with_followers([c for c in candidates if ranks[c] < UNRELATED], candidates)
        if not chosen:
            chosen, nearest = list(candidates), True
    else:
        chosen = []
        for index in range(len(parts)):  # the best sentence for each part first, then the next best overall
            best = max(candidates, key=lambda c: (values[c][index], scores[c][index], -c.passage, -c.position))
            if scores[best][index] > 0 and best not in chosen:
                chosen.append(best)
        ranked = sorted(candidates, key=lambda c: (-max(scores[c]), c.passage, c.position))
        chosen += [c for c in ranked if max(scores[c]) > 0 and c not in chosen][:max(0, limit - len(chosen))]
        chosen = _with_followers(chosen, candidates)
        if not chosen:
            nearest = True
            first = candidates[0].passage  # nothing relevant: the opening of the first quotable passage
            chosen = [c for c in candidates if c.passage == first][:limit]
    everything = list(passages)
    if not nearest:
        for passage in passages:
            for complement in getattr(passage, "complements", ()):
                if complement.id not in {x.id for x in everything}:
                    chosen += _completing(complement, len(everything), parts, platform, chosen,
                                          min(COMPLEMENT_UNITS, max(1, limit - 1)))
                    everything.append(complement)
    ordered = _in_order(chosen, [terms for _, terms in parts])
    quoted = _quoted(ordered)
    text = " ".join(quoted)
    unanswered = [part for part, terms in parts if terms and not _answers(part, terms, chosen, everything, platform)]
    cited = list(dict.fromkeys(everything[c.passage].id for c in ordered))
    return PassageAnswer(text, cited, not unanswered, unanswered, quoted)


def _with_followers(kept: Sequence[_Candidate], candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """The kept units with each unit after them that opens by pointing back at them ("Packages to these
    places..."): it says what the kept one means, and is never quoted without it."""
    found = list(kept)
    for c in candidates:
        before = next((x for x in found if x.passage == c.passage and x.position == c.position - 1), None)
        if c not in found and before is not None and refers_back(c.text):
            found.append(c)
    return sorted(found, key=lambda c: (c.passage, c.position))


def _completing(passage: Passage, index: int, parts: Sequence[tuple[str, tuple[Term, ...]]], platform: str,
                chosen: Sequence[_Candidate], most: int) -> list[_Candidate]:
    """What a complementing section adds: at most `most` of its units that answer a part of the question, none
    already quoted, each with the units that point back at it (the extra days after "we ship to Hawaii"), at
    most `COMPLEMENT_UNITS` in all."""
    candidates = [_Candidate(index, si, u.text, u.lead, u.row) for si, u in enumerate(units(passage, platform))]
    said = {c.text for c in chosen}
    answering = [c for c in candidates if c.text not in said and rank([t for _, t in parts], c.text) == ANSWERS]
    return _with_followers(answering[:most], candidates)[:COMPLEMENT_UNITS]


def _in_order(chosen: Sequence[_Candidate], parts: Sequence[Sequence[Term]]) -> list[_Candidate]:
    """The chosen units, the answer first: runs of units (a unit with those that point back at it) by their
    best rank (agent/passage_focus.py: `rank`), then in the order of the passages; a run keeps its order."""
    runs: list[list[_Candidate]] = []
    for c in sorted(chosen, key=lambda c: (c.passage, c.position)):
        last = runs[-1][-1] if runs else None
        if last is not None and last.passage == c.passage and last.position == c.position - 1 and refers_back(c.text):
            runs[-1].append(c)
        else:
            runs.append([c])
    runs.sort(key=lambda run: (min(rank(parts, c.text) for c in run), run[0].passage, run[0].position))
    return [c for run in runs for c in run]


def _answers(part: str, terms: Sequence[Term], chosen: Sequence[_Candidate], passages: Sequence[Passage],
             platform: str) -> bool:
    """Whether the quoted sentences answer a part of the question (agent/answer_check.py), with two conditions of
    a passage answer. Sentences from sections about a case the part does not ask about (`unasked_case`) do not
    count: they are at most the nearest text. And a part that names something specific (`specific_terms`: "in
    January", "a Christmas gift") is answered only by text that speaks of it: in the customer's own channel's
    article every sentence names the channel, which on its own says nothing about what is asked. A question
    how long delivery takes is answered by both parts of the estimate, each from its own section, whatever
    word it uses for the delivery ("get here", "arrive")."""
    general = {i for i in {c.passage for c in chosen}
               if not unasked_case(passages[i], part, terms, platform, [c.text for c in chosen if c.passage == i])}
    text = " ".join(_quoted([c for c in chosen if c.passage in general]))
    if delivery_time(terms) and len({c.passage for c in chosen if c.passage in general
                                     and gives_delivery_time(c.text)}) >= len(DELIVERY_PARTS):
        # both parts of the estimate are quoted: "arrive", "get here" are what they answer, in other words
        terms = [t for t in terms if not t.concepts & DELIVERY_CONCEPTS]
    named = [t for t in specific_terms(part, terms) if t.kind == "topic"]
    return judge(terms, text).answered and (not named or any(mentions(t, text) for t in named))


def _quoted(chosen: Sequence[_Candidate]) -> list[str]:
    """The chosen units as quoted sentences: rows of one list under its lead-in once ("Refunds are issued:
    Amazon: within 2 days. Walmart: within 2 days.")."""
    quoted: list[str] = []
    previous: _Candidate | None = None
    for c in chosen:
        if c.lead and previous is not None and previous.lead == c.lead and previous.passage == c.passage:
            quoted[-1] = f"{quoted[-1]} {c.row}"
        else:
            quoted.append(_as_quote(c.text))
        previous = c
    return quoted


def extract(passages: list[Passage], query: str, limit: int = 3, platform: str = "shopify") -> tuple[str, list[str], bool]:
    """The sentences (or spec lines) across the passages that best match the question: the text, the ids
    of the passages it quotes, and whether it answers every part of the question (the answer check:
    otherwise it is only the nearest text, not an answer)."""
    found = extract_answer(passages, query, limit=limit, platform=platform)
    return found.text, found.cited, found.matched


def best_section(top: Passage, question: str, search: Callable[[str, str | None], list[Passage]] | None,
                 platform: str = "shopify") -> Passage:
    """Among the sections of the best document, the one that gives the value each part asks for (a duration,
    an amount, a date: `gives_value`); then the general rule over a special case the question does not ask
    about (`unasked_case`: the return window, not the holiday extension, for "how long do I have to return
    it?"); then the one that speaks of the specific things the question names ("January": `mentions`), by
    their own words more than by a related one ("Canada" over "a US address"); then
    the one whose heading is about what is asked (`about_the_value`: "return window" for "how long", "How to
    start a return" for "how do returns work?"); then whose quotable sentences answer the question best (each
    part's two best sentences, summed: a section on the topic answers it more than once), then whose heading
    names what is asked; a section a customer may not read (the team's, or another channel's) ranks last. In
    those last two the words of the document's title count only weakly: every section of the article is about
    them ("Hawaii" in "Shipping to Alaska, Hawaii..."), and the rest of the question tells its sections apart."""
    sections = [top] + [x for x in (search(question, top.doc_id) if search else []) if x.id != top.id]
    parts = _parts(question, product_titles([top]))
    apart = [terms for _, terms in _parts(question, [top.title])]

    def score(index: int) -> tuple[float, float, float, float, float, float, int]:
        section = sections[index]
        lines = quotable(section, platform)
        if not lines:
            return (-1.0, -1.0, -1.0, -1.0, -1.0, 0.0, -index)
        valued = sum(any(gives_value(terms, s) for s in lines) for _, terms in parts)
        best = [sorted(lines, key=lambda s, terms=terms: judge(terms, s).score, reverse=True)[:2] for _, terms in parts]
        read = list(zip(parts, best, strict=True))
        general = sum(not unasked_case(section, part, terms, platform, said) for (part, terms), said in read)
        text = " ".join(lines)
        specific = sum(mentions(t, text) + names_all([t], text) for part, terms in parts
                       for t in specific_terms(part, terms))
        about = sum(about_the_value(section, terms, part) for part, terms in parts)
        matching = sum(sum(sorted((judge(terms, s).score for s in lines), reverse=True)[:2]) for terms in apart)
        heading = heading_of(section)
        return (valued, general, specific, about, matching, sum(judge(terms, heading).score for terms in apart), -index)

    chosen = sections[max(range(len(sections)), key=score)]
    return completed(chosen, question, sections, search, platform)


@lru_cache(maxsize=1)
def _delivery_part_concepts() -> frozenset[str]:
    """The answer check's concepts of the parts of a delivery estimate ("handling")."""
    return frozenset(c for words in DELIVERY_PARTS for t in focus_terms(words) for c in t.concepts)


def _named(words: str) -> list[Term]:
    return [t for t in focus_terms(words) if t.kind == "topic"]


def completed(section: Passage, question: str, sections: Sequence[Passage],
              search: Callable[[str, str | None], list[Passage]] | None, platform: str) -> Passage:
    """The chosen section with the sections that complete its answer (a `Section`; agent/passage_focus.py).

    "How long does shipping take?" is answered by the parts of a delivery estimate, each from the section
    that is about it (`delivery_section`: the handling time, then the transit time), whatever section was
    chosen. A question about shipping to a place the article is about ("do you ship to Hawaii?") gets the
    article's other sections whose headings name that place (the extra transit time, the items that cannot
    go there), and, when it asks how long, the parts of the estimate the section does not speak of."""
    main = section
    found: dict[str, Passage] = {}
    for _, terms in _parts(question, product_titles([section])):
        place = destination(terms, section.title)
        if place:
            nearby = [*sections, *(search(" ".join(t.text for t in place), section.doc_id) if search else [])]
            for x in nearby:
                if x.doc_id == section.doc_id and x.id != section.id and names_all(place, heading_of(x)) \
                        and quotable(x, platform):
                    found.setdefault(x.id, x)
        if not delivery_time(terms) or search is None:
            continue
        said = " ".join(quotable(section, platform))
        parts = [x for words in DELIVERY_PARTS if not (place and names_all(_named(words), said))
                 and (x := delivery_section(words, question, search, platform)) is not None]
        if parts and not place:
            main = parts[0]
        found |= {x.id: x for x in parts if x.id != main.id}
    found.pop(main.id, None)
    return Section(**main.model_dump(), complements=tuple(found.values())) if found else main


def delivery_section(words: str, question: str, search: Callable[[str, str | None], list[Passage]],
                     platform: str) -> Passage | None:
    """The section about one part of a delivery estimate ("transit time"): among the sections a search for it
    finds, and the sections of their articles, one whose heading names it and a customer on this channel may
    read; the one whose heading names the fewest specific things the question does not ("Transit time by
    service" before "Extra transit time for Alaska, Hawaii and Puerto Rico")."""
    named = _named(words)
    found = {x.id: x for x in search(words, None)}
    for doc in dict.fromkeys(x.doc_id for x in list(found.values())):
        found |= {x.id: x for x in search(words, doc) if x.id not in found}
    about = [x for x in found.values() if names_all(named, heading_of(x)) and quotable(x, platform)]
    if not about:
        return None
    asked = reading_of(question).stems | {s for t in named for s in t.stems}

    def unasked(x: Passage) -> int:
        heading = heading_of(x)
        return sum(1 for t in specific_terms(heading, focus_terms(heading)) if not set(t.stems) <= asked)

    return min(about, key=unasked)
