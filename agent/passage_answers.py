"""Answers quoted from knowledge passages: which sentences a reply may quote, and which answer the question.

The seller's articles mix two audiences. Most sentences state policy and product facts a customer may read;
others brief the support team: instructions ("When a customer outside the US asks, say so plainly"), the
customer in the third person ("Customers abroad sometimes ask whether..."), sample wording ("For example:
"we've refunded $5.00...""), internal notes. A reply quotes only the first kind (`audience`), only
sentences about the customer's own channel (`about_another_channel`), and only when the quoted text
answers the question (agent/answer_check.py); otherwise it is the nearest text, for a person to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from agent.answer_check import Term, focus_terms, judge, question_parts
from agent.schemas import Passage
from tools.context import STORE_FAMILY

# ---------------------------------------------------------------- channels

CHANNELS = {
    "amazon": r"amazon", "walmart": r"walmart", "tiktok": r"tiktok", "ebay": r"ebay",
    "shopify": r"online store|our (?:web)?site|northforkgoods\.com|subscribe (?:&|and) save",
    "facebook": r"facebook|instagram|meta", "instagram": r"facebook|instagram|meta",
}
MARKETPLACES = ("amazon", "walmart", "tiktok", "ebay")


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
_MANY_PEOPLE = re.compile(rf"\b{_PERSON}s\b(?:\s+(?:who|whose|that)\b|(?:\s+(?!(?:{_MODAL})\b)\w+){{0,2}}?\s+"
                          rf"(?:{_COMMUNICATION})\b)", re.I)
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


def _staff_instruction(masked: str) -> bool:
    """An instruction to the team: an imperative clause that neither addresses the reader ("your", "us")
    nor is a care step for the product ("wash by hand", "never put it in the dishwasher")."""
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


def quotable(passage: Passage, platform: str) -> list[str]:
    """The sentences of a passage a reply to this customer may quote: for customers (whole, or the opening
    clauses a customer may read), about their channel."""
    body = passage.text.split("\n", 1)[-1]  # the first line is "title — heading"
    found = (customer_part(s) for s in sentences(body) if len(s) > MIN_SENTENCE and not about_another_channel(s, platform))
    return [s for s in found if s]


def _as_quote(sentence: str) -> str:
    """A sentence as quoted: a list item gets its full stop; a lead-in to a list keeps its colon."""
    return sentence if sentence.endswith((".", "!", "?", ":")) else sentence + "."


def _parts(query: str, titles: Sequence[str]) -> list[tuple[str, tuple[Term, ...]]]:
    """Each part of the question with its focus terms, the titles' words counting as product words."""
    return [(part, focus_terms(part, titles)) for part in question_parts(query) or [query]]


def extract_answer(passages: Sequence[Passage], query: str, limit: int = 3, platform: str = "shopify") -> PassageAnswer:
    """The sentences across the passages that best answer the question, for each of its parts.

    Only quotable sentences count (customer-facing, this channel). Words of the document titles are
    product words there (every section of a product page says "cast iron skillet"), so they count only
    weakly and the rest of the question tells the sections apart. A short single section is quoted whole
    (the sentences around the match carry the answer); with nothing relevant, the top passage's opening is
    the nearest text, and `matched` is False. A section with nothing a customer may read gives no text.
    """
    parts = _parts(query, [x.title for x in passages])
    candidates = [_Candidate(pi, si, s) for pi, passage in enumerate(passages)
                  for si, s in enumerate(quotable(passage, platform))]
    if not candidates:
        return PassageAnswer("", [], False, [part for part, _ in parts], [])
    scores = {c: [judge(terms, c.text).score for _, terms in parts] for c in candidates}
    if len(passages) == 1 and len(candidates) <= limit:
        chosen = list(candidates)
    else:
        chosen = []
        for index in range(len(parts)):  # the best sentence for each part first, then the next best overall
            best = max(candidates, key=lambda c: (scores[c][index], -c.passage, -c.position))
            if scores[best][index] > 0 and best not in chosen:
                chosen.append(best)
        ranked = sorted(candidates, key=lambda c: (-max(scores[c]), c.passage, c.position))
        chosen += [c for c in ranked if max(scores[c]) > 0 and c not in chosen][:max(0, limit - len(chosen))]
        if not chosen:
            nearest = candidates[0].passage  # nothing relevant: the opening of the first quotable passage
            chosen = [c for c in candidates if c.passage == nearest][:limit]
    chosen.sort(key=lambda c: (c.passage, c.position))
    quoted = [_as_quote(c.text) for c in chosen]
    for i, c in enumerate(chosen):  # a lead-in ("...orders from:") not followed by its list ends as a sentence
        if quoted[i].endswith(":") and not (i + 1 < len(chosen) and chosen[i + 1].passage == c.passage
                                             and chosen[i + 1].position == c.position + 1):
            quoted[i] = quoted[i][:-1] + "."
    text = " ".join(quoted)
    unanswered = [part for part, terms in parts if terms and not judge(terms, text).answered]
    cited = list(dict.fromkeys(passages[c.passage].id for c in chosen))
    return PassageAnswer(text, cited, not unanswered, unanswered, quoted)


def extract(passages: list[Passage], query: str, limit: int = 3, platform: str = "shopify") -> tuple[str, list[str], bool]:
    """The sentences (or spec lines) across the passages that best match the question: the text, the ids
    of the passages it quotes, and whether it answers every part of the question (the answer check:
    otherwise it is only the nearest text, not an answer)."""
    found = extract_answer(passages, query, limit=limit, platform=platform)
    return found.text, found.cited, found.matched


def best_section(top: Passage, question: str, search: Callable[[str, str | None], list[Passage]] | None,
                 platform: str = "shopify") -> Passage:
    """Among the sections of the best document, the one whose quotable sentences answer the question best
    (each part's two best sentences, summed: a section on the topic answers it more than once), then the one
    whose heading names what is asked; a section a customer may not read ranks last."""
    sections = [top] + [x for x in (search(question, top.doc_id) if search else []) if x.id != top.id]
    parts = _parts(question, [top.title])

    def score(index: int) -> tuple[float, float, int]:
        lines = quotable(sections[index], platform)
        if not lines:
            return (-1.0, 0.0, -index)
        best = [sorted((judge(terms, s).score for s in lines), reverse=True)[:2] for _, terms in parts]
        heading = sections[index].text.split("\n", 1)[0].split(" — ", 1)[-1]  # "title — heading"
        return (sum(map(sum, best)), sum(judge(terms, heading).score for _, terms in parts), -index)

    return sections[max(range(len(sections)), key=score)]
