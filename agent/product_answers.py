"""Product questions answered from the catalog: which product, every attribute asked, one sentence each.

Why this exists: quoting the product-page sentences that share most words with the question pasted spec
lines ("Dishwasher safe: No."), answered one of two questions, answered a neighbouring attribute (charging
port for battery run time) and described a random product for "which of your tents suits a family of four?".
Here the attributes a question asks are recognised with a lexicon (agent/data/product_attributes.yaml:
everyday words -> catalog spec keys or product fields), each is answered with one sentence that names the
product and states the catalog's value as written, and what the catalog does not answer is reported, so the
reply waits for a person. A recommendation or comparison chooses among the products of the kind it names by
the spec that decides it (people, a height, cans, "longest"), or says what each option offers.

Pure functions over the dicts `get_product`/`search_products` return, except `find_products`, which calls
those tools through the plan's runner (so every fact stated is in a tool result the grounding check reads).
The lexicon and the everyday product words (agent/data/product_terms.yaml) are read at first use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from agent.schemas import Passage
from agent.templates import format_date
from tools.results import ToolResult

Product = dict[str, Any]
Runner = Callable[[str, dict[str, Any]], ToolResult]
Search = Callable[[str, str | None], list[Passage]]  # (query, doc id) -> passages, as the plans get it
Extract = Callable[..., tuple[str, list[str], bool]]  # the plans' passage extract: (text, cited ids, matched)
FieldName = Literal["price", "colour", "sizes", "variants", "warranty", "stock", "description"]

GAP = 4  # "*" in a phrase stands for up to this many words
KEY_WINDOW = 4  # a spec key's words asked together ("how high is the seat") lie within this many words
MAX_OPTIONS = 3  # a reply names at most this many products (or sizes) side by side
SEARCH_LIMIT = 10
SPEC = "spec:"  # an attribute named by a catalog spec key itself ("weight capacity")


# ---------------------------------------------------------------- the lexicon

class Attribute(BaseModel):
    words: list[str]
    specs: list[str] = Field(default_factory=list)
    field: FieldName | None = None
    label: str | None = None
    # its words can be the verb of another attribute's question ("what warranty comes with it"): answered with it
    verb: bool = False


class SpecSentence(BaseModel):
    say: str | None = None
    yes: str | None = None
    no: str | None = None
    other: str | None = None
    then: str | None = None
    yes_words: list[str] = Field(default_factory=lambda: ["Yes"])
    no_words: list[str] = Field(default_factory=lambda: ["No"])


class CompareWords(BaseModel):
    cues: list[str]
    versus: list[str]
    more: list[str]
    less: list[str]
    implies: dict[str, str]
    at_most: list[str]
    minimums: list[str]


class PeopleWords(BaseModel):
    nouns: list[str]
    groups: list[str]
    implied: dict[str, int]
    numbers: dict[str, int]


class UseWords(BaseModel):
    """What the customer will use a product for ("ok for backpacking", "with 2 people"): words that a
    product's name may share ("Backpacking Tent") without the customer naming that product."""

    before: list[str]
    articles: list[str]
    span: int


class Lexicon(BaseModel):
    attributes: dict[str, Attribute]
    specs: dict[str, str | SpecSentence]
    key_words: dict[str, list[str]]
    function_words: list[str]
    compare: CompareWords
    people: PeopleWords
    uses: UseWords
    spec_units: dict[str, str]
    colours: list[str]
    proper_words: list[str]
    warranty: dict[str, str]
    kind_skip: list[str]
    sentences: dict[str, str]

    def label(self, name: str) -> str:
        if name.startswith(SPEC):
            return name[len(SPEC):].lower()
        attribute = self.attributes.get(name)
        return (attribute.label if attribute and attribute.label else name.replace("_", " "))


def _data(name: str) -> Path:
    return Path(str(resources.files("agent"))) / "data" / name


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """agent/data/product_attributes.yaml, read once."""
    return Lexicon.model_validate(yaml.safe_load(_data("product_attributes.yaml").read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def product_words() -> dict[str, tuple[tuple[str, ...], ...]]:
    """agent/data/product_terms.yaml (shared with the order resolver): a title word -> the phrases customers
    use for it ("skillet" -> "pan", "frying pan"); keys starting with "_" are not title words."""
    raw = yaml.safe_load(_data("product_terms.yaml").read_text(encoding="utf-8")) or {}
    found: dict[str, tuple[tuple[str, ...], ...]] = {}
    for key, phrases in raw.items():
        if str(key).startswith("_") or not isinstance(phrases, list):
            continue
        found[_singular(_fold(str(key)))] = tuple(t for t in (tuple(tokens(str(p))) for p in phrases) if t)
    return found


# ---------------------------------------------------------------- words

_CONTRACTION = re.compile(r"['\u2019](?:s|t|ll|re|ve|d|m)\b")
_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


def _fold(text: str) -> str:
    """Lower case without accents ("sartén" -> "sarten"), curly quotes straightened."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u201d", '"'))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    """Words and numbers, folded: "40oz" -> 40, oz; "chef's" -> chef; "pour-over" -> pour, over."""
    return _TOKEN.findall(_CONTRACTION.sub("", _fold(text)))


def _singular(word: str) -> str:
    if len(word) <= 3 or word[0].isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ives"):
        return word[:-3] + "fe"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def same_word(a: str, b: str) -> bool:
    """Equal once singular, or a one-letter typo of a long word ("dishwaser", "coffe"); never for numbers."""
    a, b = _singular(a), _singular(b)
    if a == b:
        return True
    if a[0].isdigit() or b[0].isdigit() or min(len(a), len(b)) < 5 or max(len(a), len(b)) < 6:
        return False
    return _one_edit(a, b)


# ---------------------------------------------------------------- phrases

@dataclass(frozen=True)
class _Phrase:
    parts: tuple[frozenset[str] | str, ...]  # alternatives of one word, "*" a gap, "@colour" a colour word
    target: str  # an attribute name, or SPEC + a spec key
    weight: float  # how much it says: words that are not function words (a spec key itself counts a half more)
    ordered: bool = True  # a spec key's words may come in any order ("size filter" asks for "Filter size")


def _phrase_word(word: str, lex: Lexicon) -> str:
    """A phrase word in its singular, unless that is a function word ("cans" must not read as "can")."""
    one = _singular(word)
    return word if one in lex.function_words and word not in lex.function_words else one


def _phrase(text: str, target: str, lex: Lexicon) -> _Phrase | None:
    parts: list[frozenset[str] | str] = []
    exact = 0
    for piece in text.split():
        if piece in ("*", "@colour"):
            parts.append(piece)
        elif piece.startswith("="):  # "=sizes": this form only ("what sizes" is not "what size")
            parts += [frozenset({"=" + t}) for t in tokens(piece)]
            exact += 1
        else:
            parts += [frozenset({_phrase_word(t, lex)}) for t in tokens(piece)]
    weight = sum(1 for p in parts if isinstance(p, frozenset) and not p & set(lex.function_words))
    weight += sum(1 for p in parts if p == "@colour") + 0.25 * exact
    return _Phrase(tuple(parts), target, float(weight)) if parts else None


@lru_cache(maxsize=1)
def _lexicon_phrases() -> tuple[_Phrase, ...]:
    lex = lexicon()
    return tuple(p for name, attribute in lex.attributes.items() for w in attribute.words
                 if (p := _phrase(w, name, lex)) is not None)


def _key_phrase(key: str, lex: Lexicon) -> _Phrase | None:
    words = [_phrase_word(t, lex) for t in tokens(key) if t not in lex.function_words]
    if not words:
        return None
    parts = tuple(frozenset({w, *(_phrase_word(a, lex) for a in lex.key_words.get(w, []))}) for w in words)
    return _Phrase(parts, SPEC + key, len(parts) + 0.5, ordered=False)


@lru_cache(maxsize=512)
def _is_colour(word: str) -> bool:
    lex = lexicon()
    return word in lex.colours or any(word == key and any(set(p) & set(lex.colours) for p in phrases)
                                      for key, phrases in product_words().items())


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    return frozenset(lexicon().function_words)


def _part_matches(part: frozenset[str] | str, word: str) -> bool:
    if part == "@colour":
        return _is_colour(word)
    if word in _function_words():  # "can" (the verb) is not "cans"
        return word in part
    return any(word == alt[1:] if alt.startswith("=") else same_word(alt, word)
               for alt in part)  # type: ignore[union-attr]


def _find(phrase: _Phrase, words: Sequence[str], used: set[int]) -> list[int] | None:
    """Positions of the words the phrase matches (gap words included), or None."""
    if not phrase.ordered:  # a spec key's words, in any order, within a few words of each other
        for start in range(len(words)):
            taken: list[int] = []
            for part in phrase.parts:
                hit = next((i for i in range(start, min(len(words), start + KEY_WINDOW))
                            if i not in used and i not in taken and _part_matches(part, words[i])), None)
                if hit is None:
                    break
                taken.append(hit)
            else:
                return taken
        return None

    def at(i: int, k: int) -> list[int] | None:
        if k == len(phrase.parts):
            return []
        part = phrase.parts[k]
        if part == "*":
            for skip in range(GAP + 1):
                rest = at(i + skip, k + 1)
                if rest is not None:
                    return [j for j in range(i, i + skip) if j not in used] + rest
            return None
        if i >= len(words) or i in used or not _part_matches(part, words[i]):
            return None
        rest = at(i + 1, k + 1)
        return None if rest is None else [i, *rest]

    for start in range(len(words)):
        if (found := at(start, 0)) is not None:
            return found
    return None


@dataclass(frozen=True)
class Asked:
    """An attribute the question asks about, and the customer's own words for it."""

    attribute: str
    words: tuple[str, ...]
    position: int
    after: tuple[str, ...] = ()  # the words that follow: what "does it come with" asks about ("a lid")


def _detect(words: Sequence[str], phrases: Iterable[_Phrase], used: set[int] | None = None) -> list[Asked]:
    """Every attribute the words ask about: the phrase that says most first, each word used once."""
    used = set() if used is None else used
    order = sorted(enumerate(phrases), key=lambda x: (-x[1].weight, x[0]))
    found: dict[str, Asked] = {}
    for _, phrase in order:
        while (hit := _find(phrase, words, used)) is not None:
            used.update(hit)
            if phrase.target not in found:
                following = tuple(w for w in words[max(hit) + 1: max(hit) + 4] if w not in _function_words())
                found[phrase.target] = Asked(phrase.target, tuple(words[i] for i in hit), min(hit), following)
            if not phrase.ordered:
                break
    return sorted(found.values(), key=lambda a: a.position)


# ---------------------------------------------------------------- which products

def short_name(product: Product) -> str:
    return re.sub(r"^Northfork\s+", "", product["name"])


def _title_words(title: str) -> list[str]:
    return [_singular(w) for w in tokens(title)]


def _noun_phrase(product: Product) -> list[str]:
    """The words naming the thing: before the first comma and any "with ..." ("Tumbler with Handle, 40 oz")."""
    head = re.split(r",|\bwith\b", short_name(product), maxsplit=1)[0]
    return [_singular(w) for w in tokens(head)]


def kind(product: Product) -> str:
    """What sort of product it is, from its name: "Basecamp 4-Person Dome Tent" -> tent, "Glass Food Storage
    Container Set" -> container."""
    words = [w for w in _noun_phrase(product) if not w[0].isdigit()]
    skip = set(lexicon().kind_skip)
    while len(words) > 1 and words[-1] in skip:
        words.pop()
    return words[-1] if words else ""


def plural(product: Product) -> bool:
    """Whether the name is grammatically plural ("Quickstrike Fire Starters burn")."""
    last = tokens(re.split(r",|\bwith\b", short_name(product), maxsplit=1)[0])
    return bool(last) and last[-1].endswith("s") and not last[-1].endswith(("ss", "us")) and \
        _singular(last[-1]) != last[-1]


_NOT_NAME_WORDS = frozenset({"northfork", "in", "oz", "fl", "qt", "lb", "ft", "l", "x", "and", "or", "of", "the",
                             "with", "set", "pack", "piece", "to"})


def _name_words(product: Product) -> set[str]:
    return {w for w in _title_words(short_name(product)) if w not in _NOT_NAME_WORDS}


@lru_cache(maxsize=1)
def _attribute_words() -> frozenset[str]:
    lex = lexicon()
    return frozenset(p.lstrip("=") for phrase in _lexicon_phrases() for part in phrase.parts
                     if isinstance(part, frozenset) for p in part if p not in lex.function_words)


@dataclass
class _Score:
    product: Product
    score: float
    run: int
    positions: set[int]
    matched: set[str]
    uses: set[str] = field(default_factory=set)  # name words the question says only as a use ("for backpacking")


def _number_words(words: Sequence[str]) -> list[str]:
    numbers = lexicon().people.numbers
    return [str(numbers[w]) if w in numbers else w for w in words]


def _multiword_attribute_positions(words: Sequence[str]) -> set[int]:
    """Words of multi-word attribute phrases ("cup holder", "water resistant", "oven safe", "how many cans"):
    never product words, so "does it fit a cup holder" names no tumbler, "is the lantern water resistant" no
    water bottle, and "how many cans fit in the Daytrip 24-Can cooler" asks its capacity, whose word is in the
    name too. A two-word phrase counts only when neither word is a function word ("how big" would take "big")."""
    used: set[int] = set()
    for phrase in _lexicon_phrases():
        plain = [p for p in phrase.parts if isinstance(p, frozenset)]
        if len(plain) >= 2 and len(plain) == len(phrase.parts) and (phrase.weight >= 2 or len(plain) >= 3):
            while (hit := _find(phrase, words, used)) is not None:
                used.update(hit)
    return used


def _use_positions(words: Sequence[str], products: Sequence[Product]) -> set[int]:
    """Where the question says what the product is for rather than which product it is: the words after "for"
    ("ok for backpacking", "for a car camping trip"; not "for the ..." or a phrase holding a product's kind,
    which name a thing: "a filter for the pitcher") and a number of people ("with 2 people", "a family of
    four") in words no product name uses ("person" in "the 4 person tent" names the tent)."""
    lex = lexicon()
    function = _function_words()
    kinds = {kind(p) for p in products}
    names = {w for p in products for w in _name_words(p)}
    found: set[int] = set()
    for i, w in enumerate(words):
        if w not in lex.uses.before:
            continue
        j = i + 1
        while j < len(words) and words[j] in lex.uses.articles:
            j += 1
        span: list[int] = []
        while j < len(words) and len(span) < lex.uses.span and words[j] not in function:
            span.append(j)
            j += 1
        if span and not any(_singular(words[k]) in kinds for k in span):
            found.update(span)
    numbered = _number_words(words)
    nouns = [tokens(n) for n in lex.people.nouns]
    for i, w in enumerate(numbered):
        if not w[0].isdigit():
            continue
        noun = next((n for n in nouns if [_singular(x) for x in words[i + 1:i + 1 + len(n)]] ==
                     [_singular(x) for x in n]), None)
        if noun and not {_singular(x) for x in noun} & names:  # "2 people", "4 adults", "two of us"
            found.update(range(i, i + 1 + len(noun)))
        elif i >= 2 and words[i - 1] == "of" and words[i - 2] in lex.people.groups:  # "a family of four"
            found.add(i)
    return found


def _score(product: Product, words: Sequence[str], skip: set[int], use: set[int] | frozenset[int] = frozenset()
           ) -> _Score:
    """How well the question names the product: its kind counts double, a word that is also an attribute word
    ("filter", "size", "oven") half, a variant's word ("matte black") a quarter; everyday words from
    product_terms.yaml count for the title word they mean ("pan" for skillet). A name word the question says
    only as a use (`use` positions: "is the Basecamp tent ok for backpacking") counts a quarter: it breaks a
    tie, never outweighs a word that names a product."""
    names = _name_words(product)
    head = kind(product)
    variant_words = {w for v in product.get("variants", []) for w in _title_words(v["title"])} - names - \
        _NOT_NAME_WORDS
    attribute_words = _attribute_words()
    synonyms = product_words()
    numbered = _number_words(words)
    groups: dict[str, list[tuple[int, ...]]] = {}  # name word -> where the question says it (or a synonym)
    function = _function_words()
    for name_word in names:
        found = [(i,) for i, w in enumerate(numbered) if i not in skip and (
            w == name_word if name_word[0].isdigit() else words[i] not in function and same_word(w, name_word))]
        for phrase in synonyms.get(name_word, ()):
            n = len(phrase)
            found += [tuple(range(i, i + n)) for i in range(len(words) - n + 1) if not set(range(i, i + n)) & skip
                      and all(same_word(words[i + k], phrase[k]) for k in range(n))]
        if found:
            groups[name_word] = found
    score, positions, matched, uses = 0.0, set(), set(), set()
    for name_word, found in groups.items():
        if all(set(g) <= use for g in found):
            score += 0.25
            uses.add(name_word)
            continue
        found = [g for g in found if not set(g) <= use]
        others = {i for w, gs in groups.items() if w != name_word for g in gs for i in g}
        best = _best_group(found, others)
        weight = 2.0 if name_word == head else 1.0
        if name_word in attribute_words or any(words[i] in attribute_words for i in best):
            weight /= 2
        score += weight
        matched.add(name_word)
        positions.update(best)
    for variant_word in variant_words:
        if any(i not in skip and same_word(w, variant_word) for i, w in enumerate(words)):
            score += 0.25
    return _Score(product, score, _longest_run(positions), positions, matched, uses)


def _best_group(found: list[tuple[int, ...]], others: set[int]) -> tuple[int, ...]:
    """Where the customer names the product: next to another name word ("the Clearwater water filter
    pitcher"), not the same word used for the attribute earlier ("how long does a filter last")."""
    return next((g for g in found if any(i - 1 in others or i + 1 in others for i in g)), found[0])


def _longest_run(positions: set[int]) -> int:
    best = run = 0
    for i in range(min(positions, default=0), max(positions, default=-1) + 1):
        run = run + 1 if i in positions else 0
        best = max(best, run)
    return best


@dataclass
class Found:
    """The products a question is about. mode: "one" product named; "several" equally named (up to three:
    each is answered); "choose" a recommendation or comparison among them; "none" named; "unclear" too many
    equally named to answer for each."""

    products: list[Product]
    mode: Literal["one", "several", "choose", "none", "unclear"]
    name_positions: set[int] = field(default_factory=set)


def is_choice(text: str) -> bool:
    """A recommendation or comparison: "which tent for a family of four", "difference between the 10 and 12
    inch", "which cooler keeps ice longest". A bare "which" ("which colours does it come in") is not."""
    lex = lexicon()
    words = tokens(text)
    cue = lambda items: any(_find(p, words, set()) is not None  # noqa: E731
                            for p in (_phrase(w, "", lex) for w in items) if p)
    strong = [c for c in lex.compare.cues if c not in ("which", "which one", "which of", "cual")]
    if cue(strong):
        return True
    return cue(["which", "cual"]) and (need_of(text) is not None or direction_of(text)[0] is not None)


def _versus(text: str) -> bool:
    lex = lexicon()
    words = tokens(text)
    return any(_find(p, words, set()) is not None for p in (_phrase(w, "", lex) for w in lex.compare.versus) if p)


def search_words(text: str) -> list[str]:
    """Title words the question means but does not spell as the catalog does ("tents" -> tent, "pan" ->
    skillet, "ice chest" -> cooler), added to the catalog search so the product's name matches."""
    words = tokens(text)
    skip = _multiword_attribute_positions(words)
    function = _function_words()
    extra = {_singular(w) for i, w in enumerate(words) if _singular(w) != w and w not in function and i not in skip}
    for key, phrases in product_words().items():
        if any(all(i + k not in skip and same_word(words[i + k], p[k]) for k in range(len(p)))
               for p in phrases for i in range(len(words) - len(p) + 1)):
            extra.add(key)
    return sorted(extra - set(words))


def rank(text: str, products: Sequence[Product]) -> list[_Score]:
    """The products by how well the question names them, best first (ties keep the catalog search's order)."""
    words = tokens(text)
    skip = _multiword_attribute_positions(words)
    use = _use_positions(words, products)
    scored = sorted((_score(p, words, skip, use) for p in products),
                    key=lambda s: (-s.score, -s.run, not s.matched >= _name_words(s.product)))
    named = [s for s in scored if s.score >= 1]
    if not named and scored and scored[0].score >= 0.5 and (len(scored) == 1 or scored[1].score < 0.5):
        return scored[:1]  # "can you ship the propane": a word that is also an attribute, and nothing else named
    return named


def named_apart(ranked: Sequence[_Score], top: Sequence[_Score]) -> list[_Score]:
    """Products the message names in words of their own beside the best-named ones ("the Basecamp 45 rolling
    cooler and the Daytrip soft cooler", "1. the glass lid of the 12" skillet ... 2. the gooseneck kettle"):
    at least two name words in a row, none of them words that already named another product. A sibling
    named by the same words (the 10 in skillet beside the 12 in) or a product sharing one word is not named."""
    taken = set().union(*(s.positions for s in top)) if top else set()
    found: list[_Score] = []
    for s in ranked:
        if len(top) + len(found) >= MAX_OPTIONS:
            break
        if s in top or s.run < 2 or s.score < 2 or s.positions & taken:
            continue
        found.append(s)
        taken |= s.positions
    return found


def _tie(s: _Score) -> tuple[float, int, bool]:
    """Equally named: same score, same longest run of name words, and both (or neither) named in full
    ("Summit Insulated Water Bottle" names that bottle, not the Summit Kids one)."""
    return s.score, s.run, s.matched >= _name_words(s.product)


def choose_candidates(text: str, ranked: Sequence[_Score]) -> list[_Score]:
    """For a recommendation: the products of the kind the question names ("tents"), narrowed to those it names
    more precisely ("sleeping bag" is not a storage bag; "the 10 and 12 inch" are both kept)."""
    words = tokens(text)
    kinds = {kind(s.product) for s in ranked if kind(s.product) in s.matched}
    of_kind = [s for s in ranked if kind(s.product) in kinds]
    if not of_kind:
        return []
    versus = _versus(text)
    numbers = {w for w in _number_words(words) if w[0].isdigit()}
    need = need_of(text, {w for s in of_kind for w in _name_words(s.product)})
    needed = {_singular(w) for w in tokens(need.text)} if need else set()  # "holds 30 cans" is no "24-Can" cooler

    def distinct(s: _Score) -> set[str]:
        return {w for w in s.matched - kinds - needed if versus or w not in numbers}

    named = [s for s in of_kind if distinct(s)]
    use_words = lambda s: {w for w in s.uses if not w[0].isdigit()}  # noqa: E731 (people counts: the need decides)
    if not named and (for_use := [s for s in of_kind if use_words(s)]):
        most = max(len(use_words(s)) for s in for_use)  # "which tent is best for backpacking": the one made for it
        return [s for s in for_use if len(use_words(s)) == most]
    if versus and len(named) >= 2:
        return named
    if named:
        best = max(len(distinct(s)) for s in named)
        return [s for s in named if len(distinct(s)) == best]
    return of_kind


def find_products(text: str, skus: Sequence[str], run: Runner, active_order_id: str | None = None) -> Found:
    """The catalog products the question is about, looked up with the tools (`get_product` for a SKU, else
    `search_products`, else the items of the order under discussion)."""
    by_sku: list[Product] = []
    for sku in skus:
        found = run("get_product", {"sku": sku})
        if found.ok and found.data and all(p["product_id"] != found.data["product_id"] for p in by_sku):
            by_sku.append(found.data)
    choice = is_choice(text)
    if by_sku:
        mode = "one" if len(by_sku) == 1 else "choose" if choice else "several"
        return Found(by_sku[:SEARCH_LIMIT], mode)  # type: ignore[arg-type]
    query = " ".join([text, *search_words(text)])
    found = run("search_products", {"query": query, "limit": SEARCH_LIMIT})
    results = list((found.data or {}).get("products", [])) if found.ok else []
    ranked = rank(text, results)
    if choice and (candidates := choose_candidates(text, ranked)):
        return Found([s.product for s in candidates], "choose" if len(candidates) > 1 else "one",
                     set().union(*(s.positions for s in candidates)))
    if ranked:
        top = [s for s in ranked if _tie(s) == _tie(ranked[0])]
        if len(top) > MAX_OPTIONS:
            return Found([s.product for s in top], "unclear")
        top += named_apart(ranked, top)
        return Found([s.product for s in top], "one" if len(top) == 1 else "several",
                     set().union(*(s.positions for s in top)))
    if active_order_id:
        order = run("get_order", {"order_id": active_order_id})
        items = (order.data or {}).get("items", []) if order.ok else []
        products = [r.data for i in items[:MAX_OPTIONS] if (r := run("get_product", {"sku": i["sku"]})).ok and r.data]
        if products:
            return Found(products, "one" if len(products) == 1 else "several")
    return Found([], "none")


# ---------------------------------------------------------------- what is asked

def asked_attributes(text: str, products: Sequence[Product], name_positions: set[int] | None = None) -> list[Asked]:
    """The attributes the question asks about, in the order asked. The product's own name is left out first
    ("is the dutch oven oven safe" asks about the oven once), then the phrase that says most wins: "weight
    capacity" over "weight", "how long does the battery last" is run time, not the battery."""
    lex = lexicon()
    words = tokens(text)
    if name_positions is None:
        skip = _multiword_attribute_positions(words)
        name_positions = set().union(*(_score(p, words, skip).positions for p in products)) if products else set()
    name_positions = _with_units(words, name_positions) | _variant_positions(words, products)
    kept = [w for i, w in enumerate(words) if i not in name_positions]
    keys = list(dict.fromkeys(k for p in products for k in p.get("specs", {})))
    phrases = [*_lexicon_phrases(), *(p for k in keys if (p := _key_phrase(k, lex)) is not None)]
    found = _detect(kept, phrases)
    said = {a.attribute for a in found}
    if said - {"description"}:
        found = [a for a in found if a.attribute != "description"]
    if said & {"colour", "sizes"}:  # "what colours does it come in": the colours, not every variant again
        found = [a for a in found if a.attribute != "variants"]
    return found


def _variant_positions(words: Sequence[str], products: Sequence[Product]) -> set[int]:
    """Words naming a variant by its number ("the 144 count", "the 32 oz"): not attributes."""
    found: set[int] = set()
    for product in products:
        for variant in product.get("variants", []):
            title = set(_title_words(variant["title"]))
            for i, w in enumerate(words):
                if w[0].isdigit() and w in title:
                    found.add(i)
                    found.update(j for j in (i - 1, i + 1) if 0 <= j < len(words) and _singular(words[j]) in title)
    return found


def _with_units(words: Sequence[str], positions: set[int]) -> set[int]:
    """A size in the name ("the 12 inch skillet") takes its unit word with it."""
    units = {"in", "inch", "oz", "ounce", "qt", "quart", "lb", "pound", "ft", "foot", "feet", "person", "piece", "l"}
    return positions | {i + 1 for i in positions if words[i][0].isdigit() and i + 1 < len(words)
                        and _singular(words[i + 1]) in units}


def mentions(text: str, asked: Asked) -> bool:
    """Whether a text speaks to the attribute: it holds the customer's words for it, or a whole phrase of the
    lexicon for it (used to accept a knowledge passage as the answer)."""
    lex = lexicon()
    have = [_singular(w) for w in tokens(text)]
    own = [w for w in asked.words if w not in lex.function_words and len(w) > 2]
    if own and all(any(same_word(w, h) for h in have) for w in own):
        return True
    target = asked.attribute
    phrases = [p for p in _lexicon_phrases() if p.target == target] if not target.startswith(SPEC) else \
        [p for p in [_key_phrase(target[len(SPEC):], lex)] if p]
    for phrase in phrases:
        plain = [p for p in phrase.parts if isinstance(p, frozenset) and not p & set(lex.function_words)]
        if plain and all(any(_part_matches(part, h) for h in have) for part in plain):
            return True
    return False


# ---------------------------------------------------------------- sentences

class _Names:
    """The first mention of a product is its full name ("the Northfork Cascade ..."), later ones the short one."""

    def __init__(self) -> None:
        self.said: set[str] = set()

    def __call__(self, product: Product) -> str:
        if product["product_id"] in self.said:
            return "the " + short_name(product)
        self.said.add(product["product_id"])
        return "the " + product["name"]


def _agree(pattern: str, many: bool) -> str:
    forms = {"{s}": "" if many else "s", "{es}": "" if many else "es", "{is}": "are" if many else "is",
             "{has}": "have" if many else "has", "{isn't}": "aren't" if many else "isn't",
             "{doesn't}": "don't" if many else "doesn't", "{it}": "they" if many else "it"}
    for key, word in forms.items():
        pattern = pattern.replace(key, word)
    return pattern


def _mid(value: str) -> str:
    """A catalog value inside a sentence: "Hand wash, dry..." -> "hand wash, dry...", but "China", "USB-C",
    "X50CrMoV15" and "Pakkawood" keep their capitals."""
    value = value.strip()
    first = re.match(r"[A-Za-z]+", value)
    if not first or first.group(0) in lexicon().proper_words or not re.fullmatch(r"[A-Z][a-z]+", first.group(0)):
        return value
    return value[0].lower() + value[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?")) else text + "."


def _fill(pattern: str, name: str, many: bool, **slots: str) -> str:
    text = _agree(pattern, many).replace("{name}", name)
    for key, value in slots.items():
        text = text.replace("{" + key + "}", value)
    return text


def _starts_with(value: str, words: Sequence[str]) -> str | None:
    """The rest of the value after a leading "Yes"/"No" (or the given words), or None."""
    for word in sorted(words, key=len, reverse=True):
        if re.match(rf"{re.escape(word)}\b", value, re.I):
            return value[len(word):]
    return None


def spec_pattern(key: str) -> str | SpecSentence:
    lex = lexicon()
    found = lex.specs.get(key)
    if found is not None:
        return found
    article = "an" if key[:1].lower() in "aeiou" else "a"
    return "{name} {has} " + article + " " + key.lower() + " of {value}"


def spec_clause(key: str, product: Product, name: str) -> str:
    """One spec of the product as a clause: "the Pre-Seasoned ... Skillet, 10 in isn't dishwasher safe: hand
    wash, dry immediately, wipe with a thin coat of oil". The value is the catalog's, as written."""
    value = str(product["specs"][key]).strip()
    many = plural(product) if name not in ("it", "they") else name == "they"
    pattern = spec_pattern(key)
    if isinstance(pattern, str):
        return _fill(pattern, name, many, value=_mid(value))
    rest_no = _starts_with(value, pattern.no_words) if pattern.no else None
    rest_yes = _starts_with(value, pattern.yes_words) if pattern.yes else None
    if rest_no is not None and pattern.no:
        text = _fill(pattern.no, name, many, rest=_rest(rest_no))
        then = product["specs"].get(pattern.then) if pattern.then else None
        return text + (": " + _mid(str(then)).rstrip(".") if then else "")
    if rest_yes is not None and pattern.yes:
        return _fill(pattern.yes, name, many, rest=_rest(rest_yes))
    return _fill(pattern.say or pattern.other or "{name}: {value}", name, many, value=_mid(value))


def _rest(rest: str) -> str:
    """What follows "Yes"/"No" in a value: " (dripper and carafe)", ", with seal open"; "; x" reads ", x"."""
    rest = rest.rstrip(".")
    if not rest.strip():
        return ""
    if rest.lstrip().startswith(("(", ",")):
        return rest if rest.startswith(" (") or rest.startswith(",") else " " + rest.lstrip()
    return ", " + _mid(rest.lstrip(" ;:-"))


def spec_polarity(key: str, product: Product) -> Literal["yes", "no"] | None:
    """Whether the catalog's value for a yes/no spec ("Dishwasher safe: No - hand wash") says yes or no; None
    for a spec that is not yes/no or a value that is neither ("top rack only")."""
    pattern = spec_pattern(key)
    if not isinstance(pattern, SpecSentence) or key not in product.get("specs", {}):
        return None
    value = str(product["specs"][key]).strip()
    if pattern.no and _starts_with(value, pattern.no_words) is not None:
        return "no"
    if pattern.yes and _starts_with(value, pattern.yes_words) is not None:
        return "yes"
    return None


# A question answered yes or no: it opens with an auxiliary verb ("can the skillet go in the dishwasher?", "is it
# oven safe"), after a greeting or a filler word. Not an alternative ("is it black or blue"), and not one whose
# sense the spec's polarity would invert ("is it additive free", "can I use it without the liner").
_AUXILIARY = re.compile(r"(?:can|could|is|are|does|do|will|would|should|may|might|has|have)\b", re.I)
_OPENING_FILLER = re.compile(r"^(?:(?:hi|hey|hello|so|also|and|but|ok|okay|quick question|question|oh|um|just "
                             r"wondering|wondering)\b[\s,:;!-]*)+", re.I)
_INVERTING = re.compile(r"\b(?:or|free|without|never|not|no|avoid\w*)\b|n't\b", re.I)


def yes_no_question(text: str) -> bool:
    """Whether the message asks one yes/no question (its question sentences all open with an auxiliary)."""
    sentences = [x.strip() for x in re.split(r"(?<=[.!?])\s+|\n+", text[:2000]) if x.strip()]
    asked = [x for x in sentences if x.endswith("?")] or sentences[-1:]
    if not asked:
        return False
    for sentence in asked:
        body = _OPENING_FILLER.sub("", sentence)
        if not _AUXILIARY.match(body) or _INVERTING.search(body):
            return False
    return True


def _with_lead(sentence: str, lead: str) -> str:
    """ "Yes, " or "No, " before a sentence: "The Northfork skillet isn't..." -> "No, the Northfork skillet..."."""
    first = sentence.split(" ", 1)[0]
    if first in ("The", "It", "They", "Your", "This", "These"):
        sentence = sentence[0].lower() + sentence[1:]
    return f"{lead}, {sentence}"


def _joinable(key: str) -> bool:
    pattern = spec_pattern(key)
    text = pattern if isinstance(pattern, str) else (pattern.say or pattern.other or "")
    return text.startswith("{name} ") and not isinstance(pattern, SpecSentence)


def _join(clauses: Sequence[str]) -> str:
    if len(clauses) <= 1:
        return "".join(clauses)
    sep = "; " if any("," in c for c in clauses) else ", "
    return sep.join(clauses[:-1]) + (sep if sep == "; " else " ") + "and " + clauses[-1]


# ---------------------------------------------------------------- variants, prices, warranty

def _columns(product: Product) -> list[list[str]]:
    """The variants' option values by position: "21 oz / Juniper" -> ["21 oz", "Juniper"] (the catalog's
    `options` when a tool returns them)."""
    variants = product.get("variants", [])
    if variants and all(v.get("options") for v in variants):
        keys = list(dict.fromkeys(k for v in variants for k in v["options"]))
        return [[v["options"].get(k, "") for v in variants] for k in keys]
    split = [[p.strip() for p in v["title"].split(" / ")] for v in variants]
    width = max((len(s) for s in split), default=0)
    return [[s[i] if i < len(s) else "" for s in split] for i in range(width)]


def _colour_column(product: Product) -> list[str] | None:
    for column in _columns(product):
        if any(_is_colour(w) for value in column for w in tokens(value)):
            return list(dict.fromkeys(v for v in column if v))
    return None


def _size_column(product: Product) -> list[str] | None:
    colours = _colour_column(product) or []
    for column in _columns(product):
        values = list(dict.fromkeys(v for v in column if v))
        if values != colours and len(values) > 1:
            return values
    return None


def _list(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _words_for(word: str) -> set[str]:
    """A colour or option word and the title words it means ("green" -> juniper, fern)."""
    found = {word}
    for key, phrases in product_words().items():
        if any(len(p) == 1 and same_word(p[0], word) for p in phrases):
            found.add(key)
    return found


def _asked_values(words: Sequence[str], values: Sequence[str], exclude: set[str]) -> tuple[list[str], list[str]]:
    """Which of the option values the customer names, and the option words they used that match none."""
    lex = lexicon()
    matches: list[str] = []
    missing: list[str] = []
    for w in words:
        if w in lex.function_words or w in exclude or not (_is_colour(w) or w[0].isdigit()):
            continue
        wanted = _words_for(w)
        hit = [v for v in values if any(same_word(t, x) or t == x for t in tokens(v) for x in wanted)]
        if hit:
            matches += [v for v in hit if v not in matches]
        elif _is_colour(w):
            missing.append(w)
    return matches, missing


def _options_sentence(product: Product, name: str, values: list[str] | None, words: Sequence[str],
                      exclude: set[str]) -> str | None:
    lex = lexicon()
    if not values:
        return None
    many = plural(product)
    if len(values) == 1:
        return _fill(lex.sentences["one_option"], name, many, list=values[0])
    matches, missing = _asked_values(words, values, exclude)
    if matches:
        others = [v for v in values if v not in matches]
        if others:
            return _fill(lex.sentences["option_yes_more"], name, many, matches=_list(matches), others=_list(others))
        return _fill(lex.sentences["option_yes"], name, many, matches=_list(matches))
    if missing:
        return _fill(lex.sentences["option_no"], name, many, asked=" or ".join(missing), list=_list(values))
    return _fill(lex.sentences["options"], name, many, list=_list(values))


def _variants_named(product: Product, words: Sequence[str], exclude: set[str]) -> list[dict[str, Any]]:
    """The variants the customer names by a word the others do not share ("the 32 oz", "in green")."""
    variants = product.get("variants", [])
    if len(variants) < 2:
        return []
    titles = [set(_title_words(v["title"])) for v in variants]
    common = set.intersection(*titles)
    wanted = {x for w in words if w not in exclude and w not in lexicon().function_words for x in _words_for(w)}
    return [v for v, t in zip(variants, titles, strict=True)
            if any(same_word(a, b) or a == b for a in t - common for b in wanted)]


def _price(value: Any) -> str:
    return f"{float(value):.2f}"


def price_sentence(product: Product, name: str, words: Sequence[str] = (),
                   exclude: set[str] | None = None) -> str | None:
    """The price of each variant asked about (every variant when none is named), grouped by price."""
    lex = lexicon()
    many = plural(product)
    variants = _variants_named(product, words, exclude or set()) or product.get("variants", [])
    if not variants:
        return None
    prices = list(dict.fromkeys(_price(v["price"]) for v in variants))
    if len(prices) == 1:
        key = "price_all" if len(variants) > 1 and len(variants) == len(product.get("variants", [])) else "price_one"
        text = _fill(lex.sentences[key], name, many, price=prices[0])
        if key == "price_one" and len(product.get("variants", [])) > 1:
            text += " for " + _list([v["title"] for v in variants])
        return text
    parts = [f"${p} for " + _list([v["title"] for v in variants if _price(v["price"]) == p]) for p in prices]
    return _fill(lex.sentences["price_each"], name, many, list=_list(parts))


def warranty_sentence(product: Product, name: str) -> str | None:
    lex = lexicon()
    words = lex.warranty.get(str(product.get("warranty")))
    if not words:
        return None
    key = "no_warranty" if product.get("warranty") == "none" else "warranty"
    return _fill(lex.sentences[key], name, plural(product), warranty=words)


def stock_line(product: Product) -> str:
    """Each variant in stock, or out with its restock date: " Stock right now for the ...: ..." (the wording
    the plan has always used)."""
    lines = []
    for v in product["variants"]:
        if v["in_stock"]:
            lines.append(f"{v['title']} is in stock")
        elif v.get("restock_date"):
            lines.append(f"{v['title']} is out of stock and expected back {format_date(v['restock_date'])}")
        else:
            lines.append(f"{v['title']} is out of stock")
    return f" Stock right now for the {product['name']}: " + "; ".join(lines) + "."


def _description_sentence(product: Product, name: str, asked: Asked | None, any_word: bool = False) -> str | None:
    """A sentence of the product description that holds the customer's words ("campfire", "helper handle");
    with no attribute (the customer asked about the product in general), the description's opening."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", str(product.get("description", ""))) if s.strip()]
    if not sentences:
        return None
    if asked is None:
        chosen = sentences[:2]
    else:
        own = [w for w in asked.words if w not in lexicon().function_words and len(w) >= 4]
        has = any if any_word else all
        chosen = [s for s in sentences if own and has(any(same_word(w, t) for t in tokens(s)) for w in own)][:1]
    if not chosen:
        return None
    return _fill(lexicon().sentences["description"], name, plural(product), value=" ".join(chosen))


# ---------------------------------------------------------------- answers

@dataclass
class ProductAnswer:
    """What the catalog says to the question: one sentence per attribute and product, the attributes it
    answers, those it cannot (a passage may still answer them; else a person does), and the products used."""

    sentences: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    unanswered: list[Asked] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)
    stock_line: str = ""
    clarify: bool = False
    recommendation: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def use(self, product: Product) -> None:
        if product["product_id"] not in self.product_ids:
            self.product_ids.append(product["product_id"])


def _answer_one(asked: Asked, product: Product, name: str, words: Sequence[str],
                exclude: set[str]) -> tuple[str, str] | None:
    """(sentence, what it states) for one attribute of one product, or None when the catalog does not say."""
    lex = lexicon()
    specs = product.get("specs", {})
    if asked.attribute.startswith(SPEC):
        key = asked.attribute[len(SPEC):]
        if key in specs:
            return spec_clause(key, product, name), key
        # another product's key ("Weight" of the soft cooler, asked of both coolers): the attribute whose specs
        # list that key answers this product from its own ("Empty weight" of the rolling cooler)
        for attribute in lex.attributes.values():
            if key in attribute.specs and (own := next((k for k in attribute.specs if k in specs), None)):
                return spec_clause(own, product, name), own
        return None
    attribute = lex.attributes[asked.attribute]
    if attribute.field == "price":
        found = price_sentence(product, name, words, exclude)
        return (found, "price") if found else None
    if attribute.field == "warranty":
        found = warranty_sentence(product, name)
        return (found, "warranty") if found else None
    if attribute.field == "colour":
        found = _options_sentence(product, name, _colour_column(product), words, exclude)
        return (found, "colour") if found else None
    if attribute.field == "sizes":
        found = _options_sentence(product, name, _size_column(product), words, exclude)
        return (found, "sizes") if found else None
    if attribute.field == "variants":  # "does it come in white": the colours; else every variant
        colours = _colour_column(product)
        if colours and any(_is_colour(w) for w in words if w not in exclude):
            found = _options_sentence(product, name, colours, words, exclude)
            return (found, "colour") if found else None
        found = _options_sentence(product, name, [v["title"] for v in product.get("variants", [])], words, exclude)
        return (found, "variants") if found else None
    if attribute.field == "stock":
        return None
    if attribute.field == "description":  # "tell me about it"; "is it good for backpacking" needs the word
        about = [w for w in asked.after if len(w) >= 4]
        found = _description_sentence(product, name, Asked(asked.attribute, tuple(about), 0) if about else None,
                                      any_word=True)
        return (found, "description") if found else None
    key = next((k for k in attribute.specs if k in specs), None)
    if key is not None:
        return spec_clause(key, product, name), key
    return None


def _description_says(asked: Asked, product: Product, answered_by: str) -> str | None:
    """The description's own sentence about the customer's words, beside the spec that answered them, when the
    words are not the spec's ("fit in a cup holder": the dimensions, and "a tapered base that fits most cup
    holders"; "will we all fit": the floor size, and "fits two twin air mattresses"): the spec gives the
    measure, the sentence gives the answer to what was asked."""
    if answered_by in ("description", "variants", "colour", "sizes", "price", "warranty"):
        return None
    own = [w for w in asked.words if w not in lexicon().function_words and len(w) >= 3]
    key = set(tokens(answered_by)) | set(tokens(str(product.get("specs", {}).get(answered_by, ""))))
    if not own or any(same_word(w, k) for w in own for k in key):  # the spec already says it in those words
        return None
    return _description_sentence(product, _NAME, Asked(asked.attribute, tuple(own), asked.position))


def _fallback(asked: Asked, product: Product, name: str, words: Sequence[str],
              exclude: set[str]) -> tuple[str, str] | None:
    """The catalog has no field for it: the variants may say ("does it come with a lid" -> "Skillet + Glass
    Lid"), or the description ("can I use it over a campfire")."""
    lex = lexicon()
    own = [w for w in asked.words if w not in lex.function_words and len(w) >= 3]
    titles = [v["title"] for v in product.get("variants", [])]
    if len(titles) > 1 and own and any(any(same_word(w, t) for t in tokens(title)) for w in own for title in titles):
        found = _options_sentence(product, name, titles, [], exclude)
        return (found, "variants") if found else None
    found = _description_sentence(product, name, asked)
    return (found, "description") if found else None


def answer(text: str, found: Found) -> ProductAnswer:
    """The answer to a product question from the catalog products found for it."""
    lex = lexicon()
    result = ProductAnswer()
    if found.mode in ("none", "unclear"):
        result.asked = asked_attributes(text, found.products if found.mode == "unclear" else [], set())
        result.clarify = found.mode == "none" and bool(result.asked)
        if result.clarify:
            result.sentences = [lex.sentences["ask_which_product"]]
        return result
    products = found.products
    result.asked = asked_attributes(text, products, found.name_positions or None)
    words = tokens(text)
    exclude = {w for p in products for w in _name_words(p)}
    need = need_of(text, exclude)
    if need is not None and need.hint == "height":  # "I'm 6'2, will it fit me": how tall it fits, not its size
        result.asked = _as_height(result.asked)
    if found.mode == "choose" or (len(products) == 1 and (is_choice(text) or need is not None)):
        if (chosen := choose(text, products, result.asked, exclude)) is not None:
            chosen.asked, chosen.stock_line = result.asked, _stock(result.asked, products, chosen.product_ids)
            return chosen
        if found.mode == "choose":
            products = products[:MAX_OPTIONS]
    names = _Names()
    stated: set[tuple[str, str]] = set()
    said: list[tuple[int, Product, str]] = []  # (sentence index, product, spec) of every stated answer
    for asked in result.asked:
        if _field(asked) == "stock":  # the stock line answers it
            result.answered.append(asked.attribute)
            for product in products[:1] if len(products) == 1 else []:
                result.use(product)
            continue
        answered = False
        for product in products[:MAX_OPTIONS]:
            got = _answer_one(asked, product, _NAME, words, exclude) or _fallback(asked, product, _NAME, words, exclude)
            if got is None:
                continue
            sentence, what = got
            answered = True
            if (product["product_id"], what) in stated or not sentence:
                continue
            stated.add((product["product_id"], what))
            said.append((len(result.sentences), product, what))
            result.sentences.append(_sentence(sentence.replace(_NAME, names(product))))
            result.use(product)
            if (also := _description_says(asked, product, what)) and (product["product_id"], "description") not in stated:
                stated.add((product["product_id"], "description"))
                result.sentences.append(_sentence(also.replace(_NAME, names(product))))
        if answered:
            result.answered.append(asked.attribute)
        else:
            result.unanswered.append(asked)
    _answered_by_object(result)
    _lead_with_yes_or_no(result, text, said)
    result.stock_line = _stock(result.asked, products[:MAX_OPTIONS], result.product_ids)
    return result


def _lead_with_yes_or_no(result: ProductAnswer, text: str, said: Sequence[tuple[int, Product, str]]) -> None:
    """A yes/no question about one yes/no spec gets "Yes," or "No," first when every product it names answers the
    same way: "can the skillet go in the dishwasher?" -> "No, the ... skillet isn't dishwasher safe: hand wash"."""
    if len(result.asked) != 1 or not said or result.unanswered or not yes_no_question(text):
        return
    polarities = {spec_polarity(what, product) for _, product, what in said}
    if len(polarities) != 1 or None in polarities:
        return
    index = said[0][0]
    result.sentences[index] = _with_lead(result.sentences[index], "Yes" if polarities == {"yes"} else "No")


def _as_height(asked: list[Asked]) -> list[Asked]:
    sizes = [a for a in asked if a.attribute in ("size", "width", "length", "height")]
    if not sizes:
        return asked
    height = Asked("height", tuple(w for a in sizes for w in a.words), sizes[0].position)
    return sorted([a for a in asked if a not in sizes] + [height], key=lambda a: a.position)


def _answered_by_object(result: ProductAnswer) -> None:
    """"Does it come with a lid": "come with" is answered when "lid", the thing it asks about, is; "what warranty
    comes with it": when "warranty", the thing just before the verb, is."""
    answered = [a for a in result.asked if a.attribute in result.answered]
    attributes = lexicon().attributes
    for asked in list(result.unanswered):
        verb = asked.attribute in attributes and attributes[asked.attribute].verb and bool(asked.words)
        if any(set(asked.after) & set(other.words) or (verb and asked.words[0] in other.after[:2])
               for other in answered):
            result.unanswered.remove(asked)
            result.answered.append(asked.attribute)


_NAME = "\u0001"  # where the product's name goes, filled once the sentence is kept (first mention in full)


def _field(asked: Asked) -> str | None:
    attribute = lexicon().attributes.get(asked.attribute)
    return attribute.field if attribute else None


def _stock(asked: Sequence[Asked], products: Sequence[Product], used: Sequence[str]) -> str:
    """The stock line, only when the customer asks about stock or availability."""
    if not any(_field(a) == "stock" for a in asked):
        return ""
    chosen = [p for p in products if p["product_id"] in used] or list(products[:1])
    return "".join(stock_line(p) for p in chosen[:MAX_OPTIONS])


# ---------------------------------------------------------------- what the product pages add

CATALOG_SECTIONS = ("#specifications", "#sizes-colors-and-prices", "#warranty-and-related-products")
"""Sections of a product page generated from the catalog: already read through the tools."""


def product_pages(products: Sequence[Product], passages: Sequence[Passage], search: Search | None,
                  question: str) -> dict[str, list[Passage]]:
    """Each product's page passages (retrieved already, else searched), so the answer can cite its source."""
    pages = dict.fromkeys(f"product-{x['product_id'].lower()}" for x in products)
    return {page: [x for x in passages if x.doc_id == page] or (search(question, page) if search else [])
            for page in pages}


def from_pages(unanswered: Sequence[Asked], products: Sequence[Product], passages: Sequence[Passage],
               search: Search | None, extract: Extract, platform: str) -> tuple[list[str], list[str], list[Asked]]:
    """What the catalog's fields do not say, looked for in the product's page and the product articles that
    name it ("does it have a helper handle", "how long does the tent take to pitch"): the quoted text counts
    only when it speaks to the attribute. Returns (texts, cited passage ids, attributes still unanswered)."""
    pages = [f"product-{x['product_id'].lower()}" for x in products]
    names = {short_name(x).lower() for x in products}
    texts: list[str] = []
    cited: list[str] = []
    still: list[Asked] = []
    for asked in unanswered:
        query = " ".join([*asked.words, *asked.after, *tokens(" ".join(names))])
        pool = [x for page in pages for x in (search(query, page) if search else
                                              [y for y in passages if y.doc_id == page])]
        pool += [x for x in (search(query, None) if search else passages) if x.topic == "product"
                 and x.doc_id not in pages and any(n in x.text.lower() for n in names)]
        pool = [x for x in pool if not x.id.endswith(CATALOG_SECTIONS)]
        for doc in dict.fromkeys(x.doc_id for x in pool):
            text, ids, _ = extract([x for x in pool if x.doc_id == doc][:3], query, limit=2, platform=platform)
            if text and mentions(text, asked):
                if text not in texts:
                    texts.append(text)
                cited += [i for i in ids if i not in cited]
                break
        else:
            still.append(asked)
    return texts, cited, still


def unanswered_reason(unanswered: Sequence[Asked], products: Sequence[Product]) -> str | None:
    """The review reason that names what the customer asked and nothing answers."""
    if not unanswered:
        return None
    what = ", ".join(dict.fromkeys(lexicon().label(a.attribute) for a in unanswered))
    names = " / ".join(short_name(x) for x in products[:MAX_OPTIONS])
    return (f"the customer asks about {what} of the {names}, which neither the catalog nor the product pages give: "
            "a person should answer that part")


# ---------------------------------------------------------------- recommendations and comparisons

_UNITS: dict[str, tuple[str, float]] = {
    "in": ("length", 1), "inch": ("length", 1), "inche": ("length", 1), '"': ("length", 1),
    "ft": ("length", 12), "foot": ("length", 12), "feet": ("length", 12), "'": ("length", 12),
    "mm": ("length", 0.03937), "cm": ("length", 0.3937),
    "oz": ("mass", 1), "ounce": ("mass", 1), "lb": ("mass", 16), "lbs": ("mass", 16), "pound": ("mass", 16),
    "g": ("mass", 0.035274), "kg": ("mass", 35.274),
    "fl oz": ("volume", 1), "cup": ("volume", 8), "qt": ("volume", 32), "quart": ("volume", 32),
    "gal": ("volume", 128), "gallon": ("volume", 128), "l": ("volume", 33.814), "liter": ("volume", 33.814),
    "litre": ("volume", 33.814), "ml": ("volume", 0.033814),
    "minute": ("time", 1), "min": ("time", 1), "hour": ("time", 60), "hr": ("time", 60), "day": ("time", 1440),
    "week": ("time", 10080), "month": ("time", 43800),
    "person": ("people", 1), "people": ("people", 1), "persons": ("people", 1),
    "can": ("cans", 1), "lumen": ("light", 1), "°f": ("degrees", 1), "mah": ("charge", 1), "btu": ("heat", 1),
    "sq in": ("area", 1),
}
_AMOUNT = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(fl\.?\s?oz|sq\s?in|°\s?f|[a-z]+|\"|')?", re.I)


@dataclass(frozen=True)
class Amount:
    """A number in a spec value in a base unit (inches, ounces, fl oz, minutes...), with the part of the value
    it is in and the variant the part names ("6 ft 6 in (Long)")."""

    value: float
    dim: str
    part: str
    label: str | None


def _unit(word: str | None) -> tuple[str, float] | None:
    if word is None:
        return None
    w = re.sub(r"\s+", " ", word.lower().replace(".", "")).replace("° f", "°f").replace("sqin", "sq in")
    w = w.replace("floz", "fl oz")
    return _UNITS.get(w) or _UNITS.get(_singular(w))


def _parts(value: str) -> list[str]:
    """The value cut at commas and semicolons outside parentheses."""
    parts, depth, current = [], 0, ""
    for c in value:
        depth += c == "("
        depth -= c == ")"
        if c in ",;" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += c
    return [p.strip() for p in [*parts, current] if p.strip()]


def amounts(value: str, default_dim: str | None = None, labels: Sequence[str] = ()) -> list[Amount]:
    """The amounts in a catalog value; "6 ft 6 in" is one amount, "3 lb 14 oz" too. Never shown: a reply
    quotes the value as written; amounts only rank options."""
    found: list[Amount] = []
    for part in _parts(re.sub(r"(?<=\d),(?=\d{3})", "", value)):
        label = next((lab for lab in labels if re.search(rf"\(\s*{re.escape(lab)}\s*\)", part, re.I)), None)
        last: tuple[int, str, float] | None = None  # end of the previous amount, its dimension and factor
        for m in _AMOUNT.finditer(part):
            unit = _unit(m.group(2))
            number = float(m.group(1))
            if unit is None:
                if default_dim and m.group(2) is None:  # "Seating: Up to 6" counts people
                    found.append(Amount(number, default_dim, part, label))
                last = None
                continue
            dim, factor = unit
            if last is not None and last[1] == dim and part[last[0]:m.start()].strip() == "" and factor < last[2]:
                previous = found.pop()
                found.append(Amount(previous.value + number * factor, dim, part, label))
            else:
                found.append(Amount(number * factor, dim, part, label))
            last = (m.end(), dim, factor)
    return found


@dataclass(frozen=True)
class Need:
    """What the customer needs the product to fit: a number of people, a height, an amount with a unit."""

    value: float
    dim: str
    text: str  # the customer's words, for "For {text}, I'd go with..."
    at_most: bool = False
    hint: str | None = None  # the attribute that usually answers it


_HEIGHT = re.compile(r"(?<![\d.])([4-7])\s*(?:'|ft\.?|feet|foot)\s*(?:(\d{1,2})\s*(?:\"|''|in\b|inches)?)?", re.I)


def need_of(text: str, names: Iterable[str] = (), people_names: Iterable[str] = ()) -> Need | None:
    """A height ("6'3\"", "6 ft 3"), a number of people ("a family of four", "4 people", "two of us", "a
    couple") or an amount with a unit ("30 cans", "under 5 lb") the question asks the product to fit. A
    number that is part of a product's name (`names`: "the 12 inch skillet") is not a need, nor, in a "this or
    that" question, a number of people that names one (`people_names`: "the 2 person or the 4 person tent")."""
    lex = lexicon()
    folded = _fold(text)

    def said(start: int, end: int) -> str:  # the customer's own characters: "6’3”" is echoed as written
        return (text if len(text) == len(folded) else folded)[start:end].strip()

    if m := _HEIGHT.search(folded):
        inches = int(m.group(1)) * 12 + int(m.group(2) or 0)
        return Need(inches, "length", "someone " + said(m.start(), m.end()), hint="height")
    numbers = {**lex.people.numbers, **{str(n): n for n in range(1, 21)}}
    number = "|".join(sorted((re.escape(n) for n in numbers), key=len, reverse=True))
    groups = "|".join(re.escape(g) for g in lex.people.groups)
    nouns = "|".join(re.escape(n) for n in sorted(lex.people.nouns, key=len, reverse=True))
    if m := re.search(rf"\b(?:{groups}) of (?:up to )?({number})\b", folded):
        return Need(numbers[m.group(1)], "people", "a " + said(m.start(), m.end()), hint="capacity")
    if (m := re.search(rf"\b({number}) (?:{nouns})\b", folded)) and m.group(1) not in set(people_names):
        words = said(m.start(), m.end())
        return Need(numbers[m.group(1)], "people", ("the " if words.lower().endswith(" of us") else "") + words,
                    hint="capacity")
    for word, n in lex.people.implied.items():
        if m := re.search(rf"\b{re.escape(word)}\b", folded):
            return Need(n, "people", ("a " if word in ("couple", "pair") else "") + said(m.start(), m.end()),
                        hint="capacity")
    for m in _AMOUNT.finditer(folded):
        unit = _unit(m.group(2))
        if unit is None or m.group(2) in ("'", '"') or m.group(1) in set(names):
            continue
        before = folded[max(0, m.start() - 20):m.start()]
        word = next((w for w in lex.compare.at_most if re.search(rf"\b{re.escape(w)}\s*$", before)), None)
        start = m.start() - len(before) + before.rfind(word) if word else m.start()
        return Need(float(m.group(1)) * unit[1], unit[0], said(start, m.end()), at_most=word is not None)
    return None


def _direction_word(text: str) -> str | None:
    lex = lexicon()
    return next((w for w in tokens(text) if w in lex.compare.more or w in lex.compare.less), None)


def direction_of(text: str) -> tuple[Literal["max", "min"] | None, str | None]:
    """"longest", "lighter", "cheapest": whether the customer wants the most or the least, and the attribute
    the word itself names, if any ("lighter" is weight)."""
    lex = lexicon()
    words = tokens(text)
    for w in words:
        if w in lex.compare.more:
            return "max", lex.compare.implies.get(w)
        if w in lex.compare.less:
            return "min", lex.compare.implies.get(w)
    return None, None


def _keys_of(names: Iterable[str | None]) -> list[str]:
    lex = lexicon()
    keys: list[str] = []
    for name in names:
        if not name:
            continue
        if name.startswith(SPEC):
            keys.append(name[len(SPEC):])
        elif name in lex.attributes:
            keys += lex.attributes[name].specs
    return list(dict.fromkeys(keys))


@dataclass
class _Option:
    product: Product
    variant: str | None
    value: float | None  # None: the value does not state what was asked ("hot" for a bottle rated only cold)


def _common_dim(found: Sequence[Sequence[Amount]]) -> str | None:
    """The dimension every option states an amount in ("which cooler is bigger": quarts, not cans)."""
    if not found or not all(found):
        return None
    shared = set.intersection(*({a.dim for a in f} for f in found))
    return next((a.dim for a in found[0] if a.dim in shared), None)


def _focus(found: Sequence[Sequence[Amount]], words: Sequence[str]) -> set[str]:
    """Question words that single out one part of a value ("hot" in "up to 24 hours cold, 12 hours hot")."""
    focus: set[str] = set()
    for amounts_ in found:
        part_words = {a.part: {_singular(t) for t in tokens(a.part) if not t[0].isdigit()} for a in amounts_}
        for part, ws in part_words.items():
            own = ws - set().union(*(o for q, o in part_words.items() if q != part))
            focus |= {w for w in words if len(w) > 2 and any(same_word(w, t) for t in own)}
    return focus


def _value(found: Sequence[Amount], focus: set[str], need: Need | None) -> float | None:
    """The amount that counts: the part the question singles out (None when this value has no such part);
    otherwise the most the option offers against a minimum (or "most"), the least against a maximum."""
    if not found:
        return None
    if focus:
        hit = [a for a in found if any(same_word(w, t) for w in focus for t in tokens(a.part))]
        return hit[0].value if hit else None
    if need is not None and need.at_most:
        return min(a.value for a in found)
    return max(a.value for a in found) if need is not None else found[0].value


def _options(key: str, products: Sequence[Product], dim: str | None, words: Sequence[str],
             need: Need | None) -> list[_Option]:
    """The options the spec compares: the products that state it or, for one product, its variants when the
    value gives each variant its own amount ("6 ft (Regular), 6 ft 6 in (Long)")."""
    units = lexicon().spec_units.get(key)
    if len(products) == 1:
        product = products[0]
        if key not in product.get("specs", {}):
            return []
        titles = [v["title"] for v in product.get("variants", [])]
        found = [a for a in amounts(product["specs"][key], units, titles) if a.label and a.dim == (dim or a.dim)]
        labels = list(dict.fromkeys(a.label for a in found if a.label))
        options = [_Option(product, label, _value([a for a in found if a.label == label], set(), need))
                   for label in labels]
        return options if len(options) >= 2 else []
    stating = [p for p in products if key in p.get("specs", {})]
    found = [amounts(p["specs"][key], units) for p in stating]
    dim = dim or _common_dim(found)
    if dim is None or len(stating) < 2:
        return []
    found = [[a for a in f if a.dim == dim] for f in found]
    focus = _focus(found, words)
    options = [_Option(p, None, _value(f, focus, need)) for p, f in zip(stating, found, strict=True)]
    return options if sum(o.value is not None for o in options) >= 1 else []


def choose(text: str, products: Sequence[Product], asked: Sequence[Asked], exclude: set[str]) -> ProductAnswer | None:
    """A recommendation: the option the deciding spec points to, and why, in one sentence with its values;
    when the catalog cannot decide, what each option offers (at most three). None: nothing to decide on."""
    lex = lexicon()
    words = [w for w in tokens(text) if w not in exclude]
    versus = _versus(text)
    named_numbers = {w for w in tokens(text) if w[0].isdigit() and w in exclude}
    naming = versus or len(named_numbers) >= 2  # "the 2 person or 4 person tent" names them, it needs neither
    need = need_of(text, exclude, people_names=exclude if naming else ())
    direction, implied = direction_of(text)
    if need is None and direction is None and asked and not versus:
        return None  # "what's the best way to clean the skillets": the attributes asked, for each
    names = _Names()
    result = ProductAnswer(recommendation=True)
    price_asked = implied == "price" or any(_field(a) == "price" for a in asked)
    if direction and price_asked and len(products) >= 2 and need is None:
        low = {p["product_id"]: min(float(v["price"]) for v in p["variants"]) for p in products}
        ranked = sorted(products, key=lambda p: low[p["product_id"]], reverse=direction == "max")
        if low[ranked[0]["product_id"]] != low[ranked[1]["product_id"]]:
            return _pick(result, names, ranked[0], ranked[1:MAX_OPTIONS], None, None,
                         lambda p, n: price_sentence(p, n) or "", _direction_word(text))
    wanted = _keys_of([*(a.attribute for a in asked), implied])
    minimums = set(_keys_of(lex.compare.minimums))
    if need is not None:  # any spec stating an amount of the need's kind may decide; the likely ones first
        keys = list(dict.fromkeys([*wanted, *_keys_of([need.hint]), *(k for p in products for k in p["specs"])]))
    else:
        keys = wanted  # "which cooler is bigger" is decided by capacity, never by whatever else differs
    for key in keys if need is not None or direction is not None else []:
        options = _options(key, products, need.dim if need else None, words, need)
        stated = {id(o): o.value for o in options if o.value is not None}
        if not stated:
            continue
        pool = [o for o in options if id(o) in stated]
        if need is not None:
            limit, at_most = need.value, need.at_most and key not in minimums
            fits = [o for o in pool if (stated[id(o)] <= limit if at_most else stated[id(o)] >= limit)]
            if not fits:
                return _offers(result, names, products, asked, key,
                               lex.sentences["no_fit"].replace("{need}", need.text))
            best = (max if at_most else min)(fits, key=lambda o: stated[id(o)])
        else:
            best = (max if direction == "max" else min)(pool, key=lambda o: stated[id(o)])
        if sum(1 for v in stated.values() if v == stated[id(best)]) > 1:
            break  # a tie: the catalog cannot decide
        others = [o.product for o in options if o is not best and o.variant is None][: MAX_OPTIONS - 1]
        return _pick(result, names, best.product, others, best.variant, need, _clause_of(key), _direction_word(text))
    if len(products) < 2:
        return None
    return _offers(result, names, products, asked, None, lex.sentences["compare"])


def _clause_of(key: str) -> Callable[[Product, str], str]:
    return lambda product, name: spec_clause(key, product, name)


def _pick(result: ProductAnswer, names: _Names, winner: Product, others: Sequence[Product], variant: str | None,
          need: Need | None, clause: Callable[[Product, str], str], word: str | None = None) -> ProductAnswer:
    lex = lexicon()
    pronoun = "they" if plural(winner) else "it"
    first = names(winner)
    why = clause(winner, pronoun)
    rest = [clause(p, names(p)) for p in others]
    if rest:
        why += ", while " + " and ".join(rest)
    if variant is not None:
        text = _fill(lex.sentences["pick_variant"], first, plural(winner), variant=variant, why=why,
                     need=need.text if need else "you")
    elif need is not None:
        text = _fill(lex.sentences["pick_need"], first, plural(winner), winner=first, why=why, need=need.text)
    elif word is not None and word.endswith(("er", "est")):  # "comes out lighter": in the customer's word
        text = _fill(lex.sentences["pick_best_word"], first, plural(winner), winner=first, why=why, word=word)
    else:
        text = _fill(lex.sentences["pick_best"], first, plural(winner), winner=first, why=why)
    result.sentences.append(_sentence(text))
    for p in [winner, *others]:
        result.use(p)
    result.answered = ["recommendation"]
    return result


def _offers(result: ProductAnswer, names: _Names, products: Sequence[Product], asked: Sequence[Asked],
            key: str | None, intro: str) -> ProductAnswer:
    """What each option offers, on the specs that tell them apart (the asked ones first), at most three each."""
    options = list(products[:MAX_OPTIONS])
    keys: list[str] = []
    wanted = _keys_of(a.attribute for a in asked)
    for k in [*([key] if key else []), *wanted]:
        if all(k in p.get("specs", {}) for p in options) and k not in keys:
            keys.append(k)
    common = [k for k in options[0].get("specs", {}) if all(k in p.get("specs", {}) for p in options)]
    keys += [k for k in common if k not in keys and len({str(p["specs"][k]) for p in options}) > 1]
    keys = keys[:3]
    result.sentences.append(_sentence(intro))
    for product in options:
        name = names(product)
        own = keys or list(product.get("specs", {}))[:2]
        joinable = [k for k in own if _joinable(k)]
        if joinable:
            clauses = [spec_clause(joinable[0], product, name), *(_predicate(k, product) for k in joinable[1:])]
            result.sentences.append(_sentence(_join(clauses)))
        for k in own:
            if k not in joinable:
                result.sentences.append(_sentence(spec_clause(k, product, names(product))))
        result.use(product)
    result.answered = ["comparison"]
    return result


def _predicate(key: str, product: Product) -> str:
    """A spec clause without its subject ("weighs 5.3 lb"), to follow another clause about the same product."""
    marker = "\u0000"
    return spec_clause(key, product, marker).replace(marker + " ", "", 1)
