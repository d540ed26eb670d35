"""What a product named in a message is doing there, and what the customer says about the parcel's progress.

The order resolver (agent/order_resolver.py) weighs every product word as a pointer to the orders carrying it.
Customers also name products they mean NOT to ask about: one they keep or are happy with ("the grinders already
shipped, that's fine, keep those coming. Cancel the plates"), one set against the one meant ("not the one with
the plates"), and in a wrong-item report the one that arrived by mistake ("I ordered the 10 inch and got a 12
inch", "sent me blue instead of red"). `product_roles` finds those spans so the resolver can weigh them apart.

Customers also describe the parcel instead of naming the order: "it was supposed to be here last week",
"tracking hasn't moved in days", "still says label created", "you said there was a trace". `delivery_cues`
reads those as situations an order's records can show (late against its promise, a stalled or label-only
parcel, a carrier trace or loss), so the order in that situation wins over a twin that is on time.

Pure functions over the message text (read folded: lower case, no accents), tested with hand-built messages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

Span = tuple[int, int]

# Sentences, and the clauses within one a product can be set aside in ("I still want the chairs, just cancel
# the table"; "the skillet came fine but the lid never showed").
_SENTENCE = re.compile(r"[.!?;\n()\[\]]+")
_CLAUSE = re.compile(r",|\s-\s|\b(?:but|though|although|however|pero|aunque|sino)\b")

# A product the customer is content with, keeps, or already has: the request is about another one. Adjectives
# only after a verb that says how it came ("came fine", "is great"), never alone ("good morning").
_CONTENT = re.compile(
    r"\b(?:is|are|was|were|'s|came|come|arrived|looks?|looked|works?|worked|got here|showed up|shipped|fits?)"
    r"\s+(?:totally\s+|just\s+|all\s+|really\s+|perfectly\s+|in\s+)?(?:fine|great|perfect|good|ok|okay|alright|"
    r"all right|good shape|one piece|safe(?:ly)?|beautiful|amazing|awesome)\b"
    r"|\b(?:that'?s|that is|thats|those are|it'?s|its)\s+(?:totally\s+|all\s+)?(?:fine|ok|okay|alright|good)\b"
    r"|\bfine by me\b|\bno (?:problem|worries|issue|complaints?)\b|\b(?:i|we)\s+(?:really\s+)?(?:love|loved|like|"
    r"liked)\b|\bloving\b|\bhappy with\b|\bkeep(?:ing)?\b(?!\s+(?:me|us)\s+(?:posted|updated|informed))"
    r"|\bstill want\b|\balready (?:have|own|got|received|bought)\b|\b(?:except|besides|"
    r"other than|apart from|aside from)\b"
    r"|\b(?:esta|estan|llego|llegaron|vino|vinieron)\s+(?:muy\s+)?(?:bien|perfect[oa]s?)\b|\bme quedo con\b|"
    r"\bquedarme con\b|\btodavia quiero\b|\bexcepto\b")
_DENIED = re.compile(r"(?:\bnot|\bnever|\bno|n'?t|\bnunca)\s+(?:\w+\s+){0,3}$")

# "not the glass set", "(not the one with the plates)", "no la de los platos": that order is not the one meant
_NOT_THAT = re.compile(r"\bnot\s+(?:about\s+|for\s+)?(?:the|my|that|those|this|these|our|your)\b"
                       r"|\bno\s+(?:el|la|los|las)\s+(?:de|del|con|que)\b")
# ... standing as a contrast: at a clause's start or after "and"/"but", never after a verb ("it's not the skillet
# I ordered" is the skillet's order, reported wrong)
_CONTRAST_BEFORE = re.compile(r"(?:^|[,:]|\b(?:and|but|pero|y|i mean|meaning))\s*$")

# A wrong item: what was ordered names the order; what came instead does not.
_ORDER_VERB = (r"(?:ordered|orderd|bought|purchased|paid for|asked for|picked|selected|chose|wanted|expected|"
               r"ped[i]|compre|ordene)")
_GOT_VERB = (r"(?:got|received|recieved|(?:you|they|u|y'all|you guys|the seller)\s+(?:\w+\s+)?(?:sent|shipped|"
             r"mailed|gave)(?:\s+(?:me|us))?|sent\s+(?:me|us)|came|arrived|showed up|was delivered|me llego|"
             r"me mandaron|me enviaron|recibi)")
_GAP = 160  # the most text between the two halves of a wrong-item report: bounded, so each match is linear
_ORDERED_THEN_GOT = re.compile(rf"\b{_ORDER_VERB}\b.{{0,{_GAP}}}?(?:\band\b|\bbut\b|,|\bpero\b|\by\b)\s*(?:then\s+)?"
                               rf"(?:i\s+|we\s+|instead\s+)?(?P<got>{_GOT_VERB})\b")
_GOT_THEN_ORDERED = re.compile(rf"\b(?P<got>{_GOT_VERB})\b(?P<what>.{{0,{_GAP}}}?)(?:\b(?:but|when|though|pero)\b|,)"
                               rf"\s*(?:i\s+|we\s+)?(?:had\s+|have\s+|originally\s+)?{_ORDER_VERB}\b")
_GOT_NOT = re.compile(rf"\b(?P<got>{_GOT_VERB})\b(?P<what>[^,]{{0,{_GAP}}}?),?\s+(?:and\s+)?(?P<not>not\s+(?:the|a|an|my)\b)")
_INSTEAD = re.compile(r"\b(?:instead of|rather than|en lugar de|en vez de)\b")

# "the rest", "everything else": the order the set-aside product is in, its other lines
_REST = re.compile(r"\b(?:the rest|everything else|all the rest|the remaining|the others|the other (?:items?|"
                   r"things?|stuff|products?|pieces?)|lo demas|el resto|los demas)\b")


def fold(text: str) -> str:
    """Lower case without accents, the same length as the text (spans found here index the original)."""
    out = []
    for ch in text.replace("\u2019", "'"):
        kept = [c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)]
        plain = kept[0] if len(kept) == 1 else ch
        out.append(plain.lower() if len(plain.lower()) == 1 else plain)
    return "".join(out)


@dataclass(frozen=True)
class ProductRoles:
    """Where the message names products that are not what its request is about. `aside`: kept, fine, or the
    item that came by mistake (they count only when nothing else names a product); `excluded`: set against
    the order meant ("not the one with the plates"); `rest`: the request is the order's other lines."""

    aside: list[Span] = field(default_factory=list)
    excluded: list[Span] = field(default_factory=list)
    rest: bool = False


def _pieces(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[Span]:
    """The spans between the matches of `pattern` within [start, end)."""
    cuts = [start, *(x for m in pattern.finditer(text, start, end) for x in (m.start(), m.end())), end]
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]


def _content_in(text: str, span: Span) -> re.Match[str] | None:
    """A "fine / keep / love" marker in the clause, unless denied ("isn't fine", "don't want to keep")."""
    for m in _CONTENT.finditer(text, *span):
        if not _DENIED.search(text[max(span[0], m.start() - 24):m.start()]):
            return m
    return None


def _set_aside(text: str, sentence: Span) -> list[Span]:
    """Clauses of one sentence naming a product the customer is content with: the clause with the marker, or,
    when the marker stands alone ("that's fine", "keep those coming"), the clause before it."""
    clauses = _pieces(text, _CLAUSE, *sentence)
    aside: list[Span] = []
    for i, clause in enumerate(clauses):
        m = _content_in(text, clause)
        if m is None:
            continue
        rest_of_clause = _blank_span(text, clause, m.span())
        if _mentions_thing(rest_of_clause):
            aside.append(clause)
        elif i > 0:
            aside.append(next((c for c in reversed(clauses[:i]) if _mentions_thing(text[c[0]:c[1]])),
                              clauses[i - 1]))
    return aside


_PRONOUNS = frozenset("i we you it they them those these that this the a an my our one ones is are was were "
                      "s coming come so too as well just really yes sure totally all me us very also".split())


def _mentions_thing(clause: str) -> bool:
    """Whether a clause names something besides pronouns and filler ("keep those coming" names nothing)."""
    return any(w not in _PRONOUNS and len(w) > 2 for w in re.findall(r"[a-z0-9']+", clause))


def _blank_span(text: str, clause: Span, inner: Span) -> str:
    return text[clause[0]:inner[0]] + " " + text[inner[1]:clause[1]]


def _received(text: str, sentence: Span) -> tuple[list[Span], list[Span]]:
    """In a wrong-item sentence: the spans naming what came by mistake, and spans naming what was ordered
    (these are never read as set against the order, even after a "not")."""
    got: list[Span] = []
    ordered: list[Span] = []
    start, end = sentence
    for m in _INSTEAD.finditer(text, start, end):
        clause = next((c for c in _pieces(text, re.compile(r",|\b(?:but|pero)\b"), start, end)
                       if c[0] <= m.start() < c[1]), (start, end))
        verbs = list(re.finditer(rf"\b{_GOT_VERB}\b", text[clause[0]:m.start()]))
        got.append((clause[0] + verbs[-1].start() if verbs else clause[0], m.start()))
        ordered.append((m.end(), clause[1]))
    m = _ORDERED_THEN_GOT.search(text, start, end)
    if m:
        stop = _CLAUSE.search(text, m.end(), end)
        got.append((m.start("got"), stop.start() if stop and stop.group(0) != "," else end))
    m = _GOT_THEN_ORDERED.search(text, start, end)
    if m:
        got.append((m.start("got"), m.end("what")))
    m = _GOT_NOT.search(text, start, end)
    if m:
        got.append((m.start("got"), m.end("what")))
        stop = _CLAUSE.search(text, m.end(), end)
        ordered.append((m.start("not"), stop.start() if stop else end))
    return got, ordered


def product_roles(text: str) -> ProductRoles:
    """The spans of `text` naming products the request is not about (see `ProductRoles`)."""
    folded = fold(text)
    aside: list[Span] = []
    excluded: list[Span] = []
    for sentence in _pieces(folded, _SENTENCE, 0, len(folded)):
        got, ordered = _received(folded, sentence)
        aside += got
        for m in _NOT_THAT.finditer(folded, *sentence):
            if any(s <= m.start() <= e for s, e in ordered) or not _CONTRAST_BEFORE.search(
                    folded[sentence[0]:m.start()]):
                continue  # "you sent the 12 inch, not the 10 inch": the 10 inch is what was ordered
            stop = _CLAUSE.search(folded, m.end(), sentence[1])
            scope = (m.start(), stop.start() if stop else sentence[1])
            if not re.search(rf"\b{_ORDER_VERB}\b", folded[scope[0]:scope[1]]):  # "not the one I ordered"
                excluded.append(scope)
        aside += [c for c in _set_aside(folded, sentence)
                  if not any(s <= c[0] < e or c[0] <= s < c[1] for s, e in ordered)]
    return ProductRoles(aside=_merge(aside), excluded=_merge(excluded), rest=_REST.search(folded) is not None)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


# ---------------------------------------------------------------- the parcel's progress

# Late against its promise: "was supposed to be here", "should have arrived by now", "it's late", "overdue"
_LATE = re.compile(
    r"\b(?:was|were|is|are|it'?s|its)\s+(?:supposed|due|expected|scheduled|promised|estimated)\s+(?:to\s+)?"
    r"(?P<what>[a-z' ]{0,25})"
    r"|\bshould(?:'ve|\s+have|\s+of|ve)\s+(?:been\s+)?(?P<what2>[a-z' ]{0,20})"
    r"|\b(?:you|your \w+|someone|support|the seller|they|u|y'all|you guys)\s+(?:\w+\s+)?(?:said|told (?:me|us)|"
    r"promised|assured|confirmed|wrote)\s+(?:me\s+|us\s+)?(?:that\s+)?(?:it|they|the \w+|my \w+)\s+(?:would|will|"
    r"'d|was going to|were going to|should)\s+(?P<what3>[a-z' ]{0,20})"
    r"|\b(?:is|are|it'?s|its|running|now)\s+(?:\w+\s+)?(?:late|overdue)\b|\bpast (?:the|its) (?:delivery|due|"
    r"expected|estimated|promised) date\b|\b(?:missed|passed) (?:the|its) (?:delivery|estimated|expected|promised)"
    r"|\bse supon[ií]a que\b(?P<what4>[a-z' ]{0,25})|\bdeb[ií]a (?:haber )?(?P<what5>\w+)|\bya deber[ií]a "
    r"(?:haber )?(?P<what6>\w+)|\b(?:llega|viene) tarde\b|\bretrasad[oa]\b")
_SHIP_WORDS = re.compile(r"\b(?:ship|shipped|ships|shipping|sent|send|go out|gone out|went out|leave|left|"
                         r"dispatch\w*|envi\w*|despach\w*|mandar\w*|sal\w*)\b")
_STALLED = re.compile(
    r"\btracking\b[^.?!]{0,40}\b(?:hasn'?t|has not|hasnt|not|no|never|didn'?t|isn'?t)\s+(?:\w+\s+)?(?:moved|"
    r"changed|updated|update[sd]?|moving|budged)\b|\b(?:hasn'?t|has not|hasnt|haven'?t|not|no|didn'?t)\s+(?:been\s+)?"
    r"(?:moved|budged|moving|scanned|updated)\b|\bno (?:new )?(?:updates?|movement|scans?|tracking updates?|"
    r"progress)\b|\bstuck (?:in|at|on)\b|\bsame (?:spot|place|status|location|city|scan)\b|\bsin movimiento\b|"
    r"\bno se (?:ha )?mov\w*|\bno (?:hay|tiene) (?:ninguna )?actualizaci\w*|\bsigue en el mismo\b")
_LABEL_ONLY = re.compile(
    r"\blabel (?:was |has been |is |just )?(?:created|printed|made)\b|\b(?:only|just) (?:a |the )?(?:shipping )?"
    r"label\b|\bawaiting (?:the )?(?:item|pickup|package)\b|\bpre-?shipment\b|\b(?:hasn'?t|has not|never|not) "
    r"(?:been |even been )?(?:picked up|accepted|handed (?:to|over))\b|\betiqueta creada\b|\bsolo la etiqueta\b")
_TRACE = re.compile(
    r"\btraces?\b|\btracer\b|\binvestigat\w*|\b(?:says|marked|declared|listed|shows|is|was|got|been|as|now)\s+"
    r"(?:as\s+)?lost\b|\blost (?:in|by) (?:the )?(?:mail|transit|carrier|usps|ups|fedex|post)\b|\blost "
    r"(?:package|parcel|shipment)\b|\b(?:package|parcel|shipment) (?:is |was |got )?lost\b|\bperdid[oa]\b|"
    r"\brastreo abierto\b|\binvestigaci\w*")


@dataclass(frozen=True)
class DeliveryCues:
    """What the message says about where the parcel is against its promise. `late_delivery`: it should have
    arrived; `late_ship`: it should have shipped ("you told me it would ship Monday"); `stalled`: its tracking
    stopped moving; `label_only`: only a label exists; `traced`: a carrier trace or loss."""

    late_delivery: bool = False
    late_ship: bool = False
    stalled: bool = False
    label_only: bool = False
    traced: bool = False

    def kinds(self) -> list[str]:
        return [k for k in ("late_delivery", "late_ship", "stalled", "label_only", "traced") if getattr(self, k)]


def delivery_cues(text: str) -> DeliveryCues:
    """The parcel situations the message describes (see `DeliveryCues`)."""
    folded = fold(text)
    late_delivery = late_ship = False
    for m in _LATE.finditer(folded):
        what = next((g for g in (m.group(n) for n in ("what", "what2", "what3", "what4", "what5", "what6")) if g),
                    None)
        if what is not None and _SHIP_WORDS.search(what):
            late_ship = True
        else:
            late_delivery = True
    return DeliveryCues(late_delivery=late_delivery, late_ship=late_ship,
                        stalled=_STALLED.search(folded) is not None,
                        label_only=_LABEL_ONLY.search(folded) is not None,
                        traced=_TRACE.search(folded) is not None)


# A time the customer was promised, now past: "was supposed to be here Monday", "you told me it would ship
# Monday", "should have arrived last week". The time is then about the order's promised dates.
PROMISED = re.compile(
    r"\b(?:was|were)\s+(?:supposed|due|expected|scheduled|promised|estimated)\b|\bshould(?:'ve|\s+have|\s+of|ve)\b"
    r"|\b(?:said|told (?:me|us)|promised|assured|confirmed)\b[^.?!]{0,30}\b(?:would|'d|was going to|were going to)\b"
    r"|\bestimated (?:delivery|arrival)(?: date)? (?:was|of)\b|\b(?:eta|due date) was\b|\bse supon[ií]a\b"
    r"|\bdeb[ií]a\b|\bten[ií]a que\b", re.IGNORECASE)
