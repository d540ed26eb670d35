"""The answer check: does this text address what the question asks?

A reply goes out on its own only when it answers every question of the message, and a knowledge passage
is quoted only when it speaks to the question, so both need the same judgement, made the same way every
time and fast enough to run on every question of every message: pure Python over a small synonym table
(agent/data/answer_synonyms.yaml), no model call.

A question's focus terms are the words that say WHAT is asked ("restocking fee", "lid", "Canada"), not how
it is asked (question words, greetings, pronouns, the brand, politeness), plus the kind of answer a question
form asks for ("how long" wants a duration, "how much" an amount, "what colors" colour words). An answer
addresses a term when it uses the word in any form ("refunds" ~ "refunded"), a word of the same concept
("money back" ~ "refund", "Canada" ~ "internationally"), or, for a kind of answer, a number, date, amount or
duration of that kind. The check is conservative: a text that does not mention the asked topic does not
answer, whatever else it says; product names count only weakly, because a reply about the right product
can still miss the attribute asked about.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from agent.text_lines import unwrap

TermKind = Literal["topic", "generic", "product", "asks"]
AnswerKind = Literal["duration", "time", "amount", "cost", "count", "place", "color"]

# Weights of a covered term: a specific topic counts fully, a word common to most replies ("order") half,
# a product name a quarter (the right product is not yet the asked attribute). Asked kinds count fully.
WEIGHTS: dict[TermKind, float] = {"topic": 1.0, "generic": 0.5, "product": 0.25, "asks": 1.0}
SHARE_NEEDED = 0.5  # of the question's topic weight an answer must cover

# Closed-class words: they never say what is asked (English and Spanish, accents removed as in `normalise`).
_CLOSED = frozenset("""
a an the this that these those some any all each every no not nor none both either neither such own same
i i'm im i've ive i'd id i'll me my mine myself you you're youre you've you'll your yours yourself we we're
we've our ours us it it's its itself they them their theirs he she him her his hers there here who whom whose
which what whats what's when where wheres where's why how hows how's whether if than then so because as
is are was were be been being am isn't isnt aren't arent wasn't werent don't dont doesn't doesnt didn't didnt
do does did can can't cant could couldn't will won't wont would wouldn't should shouldn't shall may might must
has have had hasn't haven't hadn't to of in on at for with from by about into onto over under after before
until once out up down off than via per and or but also too yes yeah ok okay hi hello hey hiya dear thanks
thank please pls plz sorry lol btw u ur r ya yall thx ty abt bc cuz coz tho only just even
el la los las un una unos unas de del al que en y o u mi mis tu tus su sus es son era fue ser estar esta este
esto estos estas estan por para con sin se lo le les me te nos como cuando donde cual cuanto cuantos cuanta si
no pero hola ya muy
""".split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|°[a-z]?|\$")
_COMBINING = re.compile("[\u0300-\u036f]")
_NAME_RUN = re.compile(r"(?<=[\w,] )((?:[A-Z][a-z]+(?:-[A-Za-z]+)?\s){0,4}[A-Z][a-z]+(?:-[A-Za-z]+)?)(?:\s([a-z]+))?")
_PARTICLES = frozenset({"back", "up", "off", "out"})
_MOVABLE = frozenset({"it", "them", "this", "that", "these", "those", "something", "everything", "stuff", "one",
                      "things", "my", "the", "a", "item", "items", "order", "package", "all"})
_WH_WORDS = frozenset({"when", "where", "cuando", "donde"})
_PLACE = re.compile(r"\b(?:in|at|from|to|through|via|with)\s+(?:the\s+)?[A-Z][a-z]+")
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
                          "forty fifty sixty ninety hundred few several couple uno dos tres cuatro cinco seis siete "
                          "ocho nueve diez quince veinte treinta".split())
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|"
           "jun|jul|aug|sep|sept|oct|nov|dec|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
           "noviembre|diciembre")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes|sabado|domingo"
_UNITS = (r"(?:business |calendar |working |habiles )?(?:days?|hours?|hrs?|weeks?|months?|years?|minutes?|mins?|"
          r"dias|horas|semanas|meses|anos|minutos)")
_DURATION = re.compile(rf"\b(?:\d+(?:[.,]\d+)?|{'|'.join(sorted(_NUMBER_WORDS))})\s*(?:(?:-|–|to|or|a)\s*\d+\s*)?"
                       rf"-?{_UNITS}\b")  # "3-5 business days", "30-day window", "two weeks"
_DATE = re.compile(rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}\s+(?:de\s+)?(?:{_MONTHS})\b|"
                   rf"(?:{_WEEKDAYS})\b|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b|\d{{4}}-\d{{2}}-\d{{2}}\b)")
_DIGIT = re.compile(r"\d")
# money in an answer: "$5.99", "10%", "15 percent", "20 dollars" (a date or a count is not a price)
_MONEY = re.compile(r"\$\s?\d|\d\s?%|\b\d+(?:[.,]\d+)?\s?(?:dollars?|usd|percent|por ciento)\b")
_HOW_LONG_IS = re.compile(r"\bhow long (?:is|are) (?:the|it|this|that|they|these|those|your)\b")
# "when" and "where" ask for a time or a place when they open the question or lead a verb, not as a
# conjunction ("when it arrives, can I return it?")
_WH_ASKING = re.compile(r"\b(?:when|where|cuando|donde)(?:\s*(?:\?|$)|\s+(?:will|would|does|do|did|is|are|can|could|"
                        r"should|was|were|has|have|s|va|van|llega|llegan|puedo|es|esta|se)\b)")
_PART_BREAK = re.compile(r"(?<=[?!.;])\s+|\n+")
_JOINED_QUESTION = re.compile(
    r",?\s+(?:and|or|also|plus|y|o|tambi[eé]n)\s+(?=(?:how|what|when|where|which|who|why|is|are|was|were|do|does|"
    r"did|can|could|will|would|should|may|might|has|have(?=\s+(?:i|you|u|we|they)\b)|if|whether|c[oó]mo|cu[aá]ndo|"
    r"d[oó]nde|qu[eé]|cu[aá]l|"
    r"cu[aá]nto|puedo|pueden|hay)\b)", re.I)
_QUESTION_OPENING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|ok|okay|so|and|also|plus|but|btw|oh|y|pero|hola|tambien)\W+)*"
    r"(?:how|what|when|where|which|who|why|is|are|was|were|do|does|did|can|could|will|would|should|may|might|has|"
    r"have|any|como|cuando|donde|que|cual|cuanto|cuantos|puedo|pueden|puede|hay|tienen|es|esta)\b")
_WANTS_TO_KNOW = re.compile(r"\b(?:wondering|want to know|like to know|need to know|tell me|let me know|"
                            r"quisiera saber|me pueden decir)\b")


@dataclass(frozen=True)
class Term:
    """One thing the question asks about: `text` as the customer wrote it, its kind, and what answers it
    (`stems` all present, or any of `concepts`; for kind "asks", an answer of kind `asks`)."""

    text: str
    kind: TermKind
    stems: tuple[str, ...] = ()
    concepts: frozenset[str] = frozenset()
    asks: AnswerKind | None = None

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]


@dataclass(frozen=True)
class Coverage:
    """Which focus terms of the question the answer addresses, and whether that answers it."""

    covered: tuple[str, ...]
    missing: tuple[str, ...]
    answered: bool
    score: float  # covered weight: ranks candidate sentences for a question


Phrase = tuple[str, ...]  # a phrase as the stems of its words (see `words`, `stem`): "shipped it back" meets "ship back"


@dataclass(frozen=True)
class _Table:
    """The synonym table, by words: phrases are looked up as word n-grams, so a text is read in one pass."""

    word_concepts: dict[str, frozenset[str]]  # by stem
    phrase_concepts: dict[Phrase, frozenset[str]]  # entries of two words or more
    question_forms: dict[Phrase, AnswerKind]
    answer_phrases: dict[Phrase, frozenset[AnswerKind]]
    asked: dict[Phrase, frozenset[str] | AnswerKind]  # what a question may hold: concept phrases and forms
    generic: frozenset[str]
    ignore: frozenset[str]
    colours: frozenset[str]
    product_words: frozenset[str]
    situations: frozenset[str]  # concepts that tell the order's situation (the file's `situations`)

    @cached_property
    def generic_concepts(self) -> frozenset[str]:
        return frozenset(c for g in self.generic for c in self.word_concepts.get(g, ()))

    @cached_property
    def starts(self) -> dict[str, dict[str, int]]:
        return {"concepts": _starts(self.phrase_concepts), "asked": _starts(self.asked),
                "answers": _starts(self.answer_phrases)}


def normalise(text: str) -> str:
    """Lower case without accents or curly quotes, so "Garantía" meets "garantia" and "don’t" meets "don't"."""
    if text.isascii():
        return text.lower()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


def words(text: str) -> list[str]:
    """The words of a normalised text: letters and digits ("usb-c" is "usb", "c"), "°f" and "$" on their own.
    A phrasal verb's particle stands next to its verb ("send something back" reads "send back something"),
    so the table's "send back" meets it whatever the object in between."""
    found = _WORD.findall(text)
    for i, word in enumerate(found):
        if word in _PARTICLES:
            for gap in (2, 1):
                if i - gap >= 1 and all(w in _MOVABLE for w in found[i - gap:i]):
                    found[i - gap:i + 1] = [word, *found[i - gap:i]]
                    break
    return found


def stem(word: str) -> str:
    """A light suffix stripper, enough for "refunds/refunded/refunding", "boxes", "batteries", "colores":
    both sides of a comparison go through it, so only consistency matters, not linguistic truth."""
    return _stem(normalise(word).strip("'"))


@lru_cache(maxsize=16384)
def _stem(w: str) -> str:
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3:
        return w
    if w.endswith("ally") and len(w) > 6:
        w = w[:-2]
    elif w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes", "zes")):
        w = w[:-2]
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    elif w.endswith("able") and len(w) > 7:
        w = w[:-4]
    elif w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # shipp -> ship
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]  # charge/charged/charging -> charg
    return w


def data_path() -> Path:
    return Path(str(resources.files("agent"))) / "data" / "answer_synonyms.yaml"


@cache
def _table() -> _Table:
    raw = yaml.safe_load(data_path().read_text(encoding="utf-8")) or {}
    by_stem: dict[str, set[str]] = {}
    phrases: dict[Phrase, set[str]] = {}
    for concept, entries in (raw.get("concepts") or {}).items():
        for entry in entries:
            phrase = _key(str(entry))
            if len(phrase) > 1:
                phrases.setdefault(phrase, set()).add(str(concept))
            elif phrase:
                by_stem.setdefault(phrase[0], set()).add(str(concept))
    forms: dict[Phrase, AnswerKind] = {}
    answers: dict[Phrase, set[AnswerKind]] = {}
    for kind, spec in (raw.get("asks") or {}).items():
        forms.update({_key(str(q)): kind for q in spec.get("question") or []})
        for a in spec.get("answer") or []:
            answers.setdefault(_key(str(a)), set()).add(kind)
    product_words: set[str] = set()
    terms_file = Path(str(resources.files("agent"))) / "data" / "product_terms.yaml"
    if terms_file.exists():  # the catalog's everyday product words (agent/data/product_terms.yaml)
        for key, values in (yaml.safe_load(terms_file.read_text(encoding="utf-8")) or {}).items():
            for w in [key, *values]:
                product_words |= {_stem(t) for t in words(normalise(str(w)))}
    ignore = [normalise(str(w)) for w in raw.get("ignore") or []]
    return _Table(
        word_concepts={k: frozenset(v) for k, v in by_stem.items()},
        phrase_concepts={k: frozenset(v) for k, v in phrases.items()},
        question_forms=forms,
        answer_phrases={k: frozenset(v) for k, v in answers.items()},
        asked={**{k: frozenset(v) for k, v in phrases.items()}, **forms},
        generic=frozenset(_stem(normalise(str(w))) for w in raw.get("generic") or []),
        ignore=frozenset(ignore) | frozenset(_stem(w) for w in ignore),
        colours=frozenset(p[0] for p, kinds in answers.items() if "color" in kinds and len(p) == 1),
        product_words=frozenset(product_words),
        situations=frozenset(str(c) for c in raw.get("situations") or []),
    )


def situation_concepts() -> frozenset[str]:
    """The concepts that tell the order's situation or the action wanted (the synonym file's `situations`): a
    plan's answer speaks to them by answering its request."""
    return _table().situations


def _key(entry: str) -> Phrase:
    return tuple(_stem(w) for w in words(normalise(entry)))


def _starts(phrases: Iterable[Phrase]) -> dict[str, int]:
    """The first word of each phrase, with the length of the longest phrase it starts."""
    longest: dict[str, int] = {}
    for phrase in phrases:
        longest[phrase[0]] = max(longest.get(phrase[0], 0), len(phrase))
    return longest


def _phrases(tokens: list[str], table: Mapping[Phrase, object], starts: Mapping[str, int], *,
             single: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the table's phrases in the words, leftmost and longest first, not overlapping;
    `starts`: the table's first words (see `_starts`). Single words count only with `single` (concept
    words are matched by stem instead)."""
    found: list[tuple[int, int]] = []
    i, count, shortest = 0, len(tokens), 0 if single else 1
    while i < count:
        longest = starts.get(tokens[i], 0)
        if longest <= shortest:
            i += 1
            continue
        for n in range(min(longest, count - i), shortest, -1):
            if tuple(tokens[i:i + n]) in table:
                found.append((i, i + n))
                i += n
                break
        else:
            i += 1
    return found


def question_parts(text: str) -> list[str]:
    """The questions of a message, one per part ("how long do refunds take and does it go back on my card"
    is two; "is there a fee? how much?" is one: the second part names nothing of its own); the whole text
    when no piece has the form of a question ("tell me your return policy")."""
    pieces: list[str] = []
    for sentence in _PART_BREAK.split(unwrap(text).strip()):  # a wrapped line is not a new part
        pieces += [p.strip(" ,") for p in _JOINED_QUESTION.split(sentence) if p.strip(" ,")]
    asked = [p for p in pieces if "?" in p or p.startswith("¿") or _QUESTION_OPENING.search(normalise(p))
             or _WANTS_TO_KNOW.search(normalise(p))]
    merged: list[str] = []
    for piece in asked:  # "how much?" after "do you charge a restocking fee?" asks about the fee
        if merged and not any(t.kind != "asks" for t in focus_terms(piece)):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged or ([text.strip()] if text.strip() else [])


@lru_cache(maxsize=2048)
def _focus(question: str, product_names: frozenset[str]) -> tuple[Term, ...]:
    table = _table()
    text = normalise(question)
    terms: list[Term] = []
    if _HOW_LONG_IS.search(text):  # "how long is the cord" asks a length, not a time
        terms.append(Term("how long", "asks", asks="count"))
        text = _HOW_LONG_IS.sub(" ", text)
    tokens = words(text)
    stems = [_stem(w) for w in tokens]
    wh_asking = bool(_WH_ASKING.search(text))
    used: set[int] = set()
    for start, end in _phrases(stems, table.asked, table.starts["asked"], single=True):
        phrase, written = tuple(stems[start:end]), " ".join(tokens[start:end])
        asks = table.question_forms.get(phrase)
        if asks is not None:  # a question form asking for a kind of answer
            if tokens[start] in _WH_WORDS and end - start == 1 and not wh_asking:
                continue
            if not any(t.asks == asks for t in terms):
                terms.append(Term(written, "asks", asks=asks))
        elif len(phrase) > 1:  # an entry of the table: an attribute or topic, never a product name
            concepts = table.phrase_concepts[phrase]
            kind = "generic" if concepts & table.generic_concepts else "topic"  # "send back" ~ "return"
            terms.append(Term(written, kind, phrase, concepts))
        else:
            continue
        used |= set(range(start, end))
    for index, word in enumerate(tokens):
        if index in used or word in _CLOSED or len(word) < 2 or _DIGIT.search(word):
            continue
        s = stems[index]
        if s in table.colours:
            if not any(t.asks == "color" for t in terms):
                terms.append(Term(word, "asks", asks="color"))
            continue
        if s in table.ignore or word in table.ignore or s in _CLOSED:
            continue
        terms.append(Term(word, _kind(s, table, product_names), (s,), table.word_concepts.get(s, frozenset())))
    unique: dict[tuple[TermKind, tuple[str, ...], AnswerKind | None], Term] = {}
    for term in terms:
        unique.setdefault((term.kind, term.stems, term.asks), term)
    return tuple(unique.values())


def _kind(stemmed: str, table: _Table, product_names: frozenset[str]) -> TermKind:
    if stemmed in product_names or stemmed in table.product_words:
        return "product"
    if stemmed in table.generic:
        return "generic"
    return "topic"


def _product_stems(product_names: Iterable[str]) -> frozenset[str]:
    return frozenset(_stem(w) for name in product_names for w in words(normalise(name))
                     if w not in _CLOSED and not _DIGIT.search(w))


def _names(question: str) -> frozenset[str]:
    """Model names: capitalised words inside a sentence that lead up to a product word ("does the Summit
    bottle come in green?", "the Big Haul tumbler"). A capitalised word alone is more often a place
    ("do you ship to Hawaii?") and stays a topic, as do acronyms ("PO", "UPS")."""
    table = _table()
    found: set[str] = set()
    for m in _NAME_RUN.finditer(question):
        run = [_stem(normalise(w)) for w in m.group(1).split()]
        if {*run, _stem(normalise(m.group(2) or ""))} & table.product_words:
            found |= set(run)
    return frozenset(found)


def focus_terms(question: str, product_names: Iterable[str] = ()) -> tuple[Term, ...]:
    """What the question asks about: topic words and phrases, product words (weak), and the kind of answer
    its form asks for. `product_names`: names whose words count as product words here (a page's title);
    capitalised names inside a sentence count as product words too."""
    return _focus(question.strip(), _product_stems(product_names) | _names(question))


@dataclass(frozen=True)
class _Reading:
    stems: frozenset[str]
    concepts: frozenset[str]
    kinds: frozenset[AnswerKind]


@lru_cache(maxsize=4096)
def _read(answer: str) -> _Reading:
    """What an answer text offers: word stems, concepts, and the kinds of answer it gives."""
    table = _table()
    text = normalise(answer)
    tokens = words(text)
    sequence = [_stem(w) for w in tokens]
    stems = frozenset(sequence)
    concepts: set[str] = set()
    for start, end in _phrases(sequence, table.phrase_concepts, table.starts["concepts"]):
        concepts |= table.phrase_concepts[tuple(sequence[start:end])]
    for s in stems:
        concepts |= table.word_concepts.get(s, frozenset())
    said: set[AnswerKind] = set()
    for start, end in _phrases(sequence, table.answer_phrases, table.starts["answers"], single=True):
        said |= table.answer_phrases[tuple(sequence[start:end])]
    kinds: set[AnswerKind] = set()
    if "duration" in said or _DURATION.search(text):
        kinds.add("duration")
    if "duration" in kinds or "time" in said or _DATE.search(text):
        kinds.add("time")
    if "cost" in said or _MONEY.search(text):  # a price or a fee, or that there is none
        kinds |= {"cost", "amount"}
    if "amount" in said or _DIGIT.search(text):  # a price, a percentage, or any quantity
        kinds.add("amount")
    if _DIGIT.search(text) or set(tokens) & _NUMBER_WORDS:
        kinds.add("count")
    if "place" in said or _PLACE.search(answer):
        kinds.add("place")
    if "color" in said:
        kinds.add("color")
        concepts.add("color")  # a colour word ("Juniper", "slate") speaks of colour too
    return _Reading(stems, frozenset(concepts), frozenset(kinds))


def _covers(term: Term, reading: _Reading) -> bool:
    if term.kind == "asks":
        return term.asks in reading.kinds
    return bool(term.concepts & reading.concepts) or (bool(term.stems) and set(term.stems) <= reading.stems)


def judge(terms: Iterable[Term], answer: str) -> Coverage:
    """Coverage of already extracted focus terms by an answer text (see `coverage`)."""
    terms = tuple(terms)
    reading = _read(answer)
    hit = [t for t in terms if _covers(t, reading)]
    missed = [t for t in terms if t not in hit]
    asks = [t for t in terms if t.kind == "asks"]
    core = [t for t in terms if t.kind in ("topic", "generic")]
    products = [t for t in terms if t.kind == "product"]
    answered = all(t in hit for t in asks)
    if core:
        share = sum(t.weight for t in core if t in hit) / sum(t.weight for t in core)
        specific = [t for t in core if t.kind == "topic"]
        answered = answered and share >= SHARE_NEEDED and (not specific or any(t in hit for t in specific))
    elif products and not asks:
        answered = answered and any(t in hit for t in products)
    return Coverage(covered=tuple(t.text for t in hit), missing=tuple(t.text for t in missed), answered=answered,
                    score=sum(t.weight for t in hit))


@dataclass(frozen=True)
class Given:
    """Words a plan's result already answers (agent/intent_vocabulary.py): stems and concepts of the table."""

    stems: frozenset[str] = frozenset()
    concepts: frozenset[str] = frozenset()

    def holds(self, term: Term) -> bool:
        """A term the table knows is held by its concepts alone: "original box" names the packaging whatever
        words a return's examples share ("box" is common in them, and a return offer still says nothing of
        the box). A term the table does not know is held by its stems."""
        if term.kind not in ("topic", "generic"):
            return False
        if term.concepts:
            return term.concepts <= self.concepts
        return bool(term.stems) and set(term.stems) <= self.stems

    def with_concepts(self, more: frozenset[str]) -> Given:
        return Given(stems=self.stems, concepts=self.concepts | more)


def reading_of(text: str) -> _Reading:
    """What a text offers (stems, concepts, kinds of answer): the same reading an answer gets."""
    return _read(text)


# Kinds of answer no plan's result stands in for: a question about money ("is there a fee?", "how much do I
# save?") is answered only by money in the reply's words ($, %, "free", "no fee"), whichever plan ran.
ALWAYS_ASKED: frozenset[AnswerKind] = frozenset({"cost"})


def residual(question: str, answer: str, given: Given, *, product_names: Iterable[str] = (),
             keep_asks: bool = True) -> Coverage:
    """Whether `answer` addresses what `question` asks beyond what a plan's result answers: the kind of answer
    it asks for (unless `keep_asks` is False) and the topics of the synonym table that `given` does not hold
    must be answered as in `coverage` (a cost is asked even then: `ALWAYS_ASKED`). Words the table does not
    know ("parcel", "nah", a street name) are left out: on their own they rarely say what is asked, and a
    plan's reply seldom repeats them. Nothing left to check counts as answered."""
    terms = [t for t in focus_terms(question, product_names)
             if (t.kind == "asks" and (keep_asks or t.asks in ALWAYS_ASKED))
             or (t.kind in ("topic", "generic") and t.concepts and not given.holds(t))]
    if not terms:
        return Coverage(covered=(), missing=(), answered=True, score=0.0)
    return judge(terms, answer)


def coverage(question: str, answer: str, product_names: Iterable[str] = ()) -> Coverage:
    """Whether `answer` addresses `question`: covered and missing focus terms, and `answered` when every
    kind of answer asked for is given and the asked topic is there (at least half of the topic weight, and
    a specific topic word when the question has one). A question with nothing to check (no focus terms)
    counts as answered: there is no topic an answer could miss."""
    return judge(focus_terms(question, product_names), answer)
