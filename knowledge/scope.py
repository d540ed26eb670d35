"""Which platforms a part of the knowledge base applies to, and what its sentences point at.

An article filed for every platform still has parts that hold for some platforms only: a section per
platform ("## Amazon, Walmart, eBay and TikTok Shop"), a list or table with a row per platform, a section
that lists where a rule applies ("## Platforms with the holiday return extension", a list of platforms). A
passage read on its own (retrieved, quoted to one customer) must carry that scope, and a sentence that
points elsewhere in the article ("...on the platforms listed below") must carry what it points at, or it
says nothing to the customer who reads it alone. Both are read from the document's structure (headings,
lists, tables and the platform names in them), never written per article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from knowledge.loader import KB_PLATFORMS
from tools.platform_profiles import MARKETPLACES as _MARKETPLACE_PLATFORMS, META_SHOPS

# Every platform a passage can be scoped to (the knowledge base files Facebook and Instagram as Meta).
EVERY_PLATFORM: frozenset[str] = frozenset(p for p in KB_PLATFORMS if p != "all")

# The words that name each platform in the seller's articles.
PLATFORM_WORDS: dict[str, str] = {
    "amazon": r"amazon", "walmart": r"walmart", "tiktok": r"tiktok", "ebay": r"ebay",
    "shopify": r"online store|our (?:own )?store|our (?:web)?site|northforkgoods\.com|subscribe (?:&|and) save",
    "meta": r"facebook|instagram|meta",
}
_NAMED = {platform: re.compile(rf"\b(?:{words})\b", re.I) for platform, words in PLATFORM_WORDS.items()}
# A heading that speaks of platforms without naming them ("Refund timeline on each platform", "Platforms
# without the holiday return extension"): its body names the ones it is about. The marketplaces are the
# platforms whose orders run through the marketplace's own account (tools/platform_profiles.py; the knowledge
# base files each under its own id); Facebook and Instagram Shop orders check out on the seller's store.
_GENERIC = re.compile(r"\b(?:platforms?|channels?|marketplaces?)\b", re.I)
_MARKETPLACE = re.compile(r"\bmarketplaces?\b", re.I)
MARKETPLACES: frozenset[str] = frozenset(_MARKETPLACE_PLATFORMS)


def platforms_named(text: str) -> frozenset[str]:
    """The knowledge-base platforms the text names."""
    return frozenset(platform for platform, pattern in _NAMED.items() if pattern.search(text))


# ---------------------------------------------------------------- blocks

BlockKind = Literal["text", "list", "table"]
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Block:
    """A paragraph (`text`: its lines), a list (`list`: its items, bullets off) or a table (`table`: one line
    per row, read as "first cell: header cell, header cell")."""

    kind: BlockKind
    lines: tuple[str, ...]

    @property
    def rows(self) -> tuple[str, ...]:
        """The items a reference to this block points at (none for a paragraph)."""
        return () if self.kind == "text" else self.lines


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> Block:
    """A markdown table as one line per row: "Amazon: return window 30 days, refund 2 business days". The
    header names what each cell is; a row is read whole, never cell by cell."""
    rows = [_cells(line) for line in lines if not _TABLE_RULE.match(line)]
    header, body = (rows[0], rows[1:]) if len(rows) > 1 else ([], rows)
    read = []
    for cells in body:
        rest = [f"{header[i].lower()} {cell}" if i < len(header) and header[i] else cell
                for i, cell in enumerate(cells[1:], start=1) if cell]
        read.append(f"{cells[0]}: {', '.join(rest)}" if rest else cells[0])
    return Block("table", tuple(read))


def blocks(text: str) -> list[Block]:
    """The paragraphs, lists and tables of a section body, in order (a heading line or a blank line ends a
    paragraph; a list or table is a run of its lines)."""
    found: list[Block] = []
    run: list[str] = []
    kind: BlockKind | None = None

    def close() -> None:
        nonlocal run, kind
        if run and kind == "table":
            found.append(_table(run))
        elif run and kind is not None:
            found.append(Block(kind, tuple(run)))
        run, kind = [], None

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            close()
            continue
        now: BlockKind = "table" if line.startswith("|") else "list" if _BULLET.match(line) else "text"
        if now != kind or now == "text":
            close()
            kind = now
        run.append(_BULLET.sub("", line).strip() if now == "list" else line)
    close()
    return found


def platform_rows(block: Block) -> bool:
    """A list or table with one platform (or a few) per row: every row names one."""
    return bool(block.rows) and all(platforms_named(row) for row in block.rows)


# ---------------------------------------------------------------- references

Direction = Literal["forward", "back", "near"]

_DETERMINER = r"(?:the|these|those|this|that|all|any|each|every)"
_PARTICIPLE = r"(?:listed|shown|named|given|set out|described|detailed|outlined|mentioned|noted|covered)"
# "below"/"above" used as a preposition ("the flame below the pan", "below 40°F") points at nothing
_NOT_A_POINTER = r"(?!\s+(?:the|a|an|our|your|its|their|this|that|\d|\$|[\w-]+ing\b))"
_PLACED = re.compile(rf"\b{_DETERMINER}\s+(?:[\w-]+\s+){{0,2}}?(?P<noun>[\w-]+)\s+(?:{_PARTICIPLE}\s+)?"
                     rf"(?P<dir>below|above){_NOT_A_POINTER}", re.I)
_FOLLOWING = re.compile(r"\bthe following\b(?:\s+(?P<noun>[\w-]+))?", re.I)
# "These platforms", "those marketplaces", "these orders": the channels named just before.
_ANAPHOR = re.compile(r"\b(?:these|those)\s+(?P<noun>platforms|channels|marketplaces|shops|stores|sites|orders)\b",
                      re.I)
_THIS_TABLE = re.compile(r"\bthis\s+(?P<noun>table|chart)\b", re.I)
_BARE = re.compile(rf"\(?\b(?:see|as|{_PARTICIPLE})\s+(?P<dir>below|above)\b\)?{_NOT_A_POINTER}|"
                   r"\b(?P<dir2>below|above)\s*:|\bas follows\b", re.I)
# Nouns that name a part of the article rather than what it lists: the sentence introduces the rows.
STRUCTURAL = frozenset({"table", "tables", "list", "lists", "chart", "charts", "steps", "step", "below", "above"})
# Singular nouns after "the following" that mean the next one in time, not the next lines ("the following year").
_SEQUENCE = frozenset({"one", "year", "month", "week", "day", "morning", "business", "order", "delivery", "shipment"})


@dataclass(frozen=True)
class Reference:
    """Words of a sentence that point at other lines of the article: where (`direction`), the words
    (`start`, `end`), and the noun they name ("platforms" in "the platforms listed below"; None for
    "see below"). A structural noun (table, list, steps) or none means the sentence introduces the rows."""

    direction: Direction
    start: int
    end: int
    noun: str | None

    @property
    def introduces(self) -> bool:
        return self.noun is None or self.noun.lower() in STRUCTURAL

    @property
    def orders(self) -> bool:
        """"These orders": orders of the channels named before."""
        return (self.noun or "").lower() == "orders"

    @property
    def names_platforms(self) -> bool:
        return bool(self.noun) and bool(_GENERIC.fullmatch(self.noun or "") or
                                        re.fullmatch(r"shops|stores|sites", self.noun or "", re.I))


_ANY_POINTER = re.compile(r"\b(?:below|above|following|follows|these|those|this)\b", re.I)


@lru_cache(maxsize=16384)
def reference(sentence: str) -> Reference | None:
    """The first words of the sentence that point at other lines of the article ("listed below", "the
    following items", "these platforms", "this table", "see above"), or None."""
    if not _ANY_POINTER.search(sentence):
        return None
    found: list[Reference] = []
    for m in _PLACED.finditer(sentence):
        direction: Direction = "forward" if m.group("dir").lower() == "below" else "back"
        found.append(Reference(direction, m.start(), m.end(), m.group("noun")))
    for m in _FOLLOWING.finditer(sentence):
        noun = m.group("noun")
        rest = sentence[m.end():].lstrip()
        if noun is None and not rest.startswith(":") and rest:
            continue
        if noun is not None and (noun.lower() in _SEQUENCE or not (noun.lower() in STRUCTURAL or
                                                                   re.search(r"[^s]s$", noun.lower()))):
            continue  # "the following year", "the following one": the next in time
        found.append(Reference("forward", m.start(), m.end(), noun))
    for m in _ANAPHOR.finditer(sentence):
        found.append(Reference("back", m.start(), m.end(), m.group("noun")))
    for m in _THIS_TABLE.finditer(sentence):
        found.append(Reference("near", m.start(), m.end(), m.group("noun")))
    for m in _BARE.finditer(sentence):
        word = (m.group("dir") or m.group("dir2") or "below").lower()
        found.append(Reference("forward" if word == "below" else "back", m.start(), m.end(), None))
    return min(found, key=lambda r: r.start) if found else None


def referent(references: Reference, position: int, parts: list[Block]) -> Block | None:
    """The list or table that the reference in block `position` points at, among the blocks of one passage."""
    before = [b for b in parts[:position] if b.rows]
    after = [b for b in parts[position + 1:] if b.rows]
    if references.direction == "forward":
        return after[0] if after else None
    if references.direction == "back":
        return before[-1] if before else None
    return after[0] if after else before[-1] if before else None


# ---------------------------------------------------------------- section scope

@lru_cache(maxsize=4096)
def section_scope(heading: str, body: str, doc_platform: str = "all") -> frozenset[str]:
    """The platforms a section applies to. A platform's own article: that platform. Otherwise the platforms
    its heading names (with the ones its body adds: "Facebook and Instagram orders check out on our store,
    so the same applies to them"); a heading that speaks of platforms without naming any ("Platforms
    without the holiday return extension"): the platforms its body names; a section whose text points at
    a list of platforms ("on the platforms listed below"): those platforms; one about marketplace orders:
    the marketplaces and any platform its body names; else every platform."""
    if doc_platform != "all":
        return frozenset({doc_platform})
    in_body = platforms_named(body)
    if named := platforms_named(heading):
        return named | in_body
    if _GENERIC.search(heading) and (in_body or _MARKETPLACE.search(heading)):
        return in_body | (MARKETPLACES if _MARKETPLACE.search(heading) else frozenset())
    parts = blocks(body)
    for position, block in enumerate(parts):
        if block.kind != "text":
            continue
        for line in block.lines:
            pointer = reference(line)
            target = referent(pointer, position, parts) if pointer and pointer.names_platforms else None
            if target is not None and platform_rows(target):
                return frozenset().union(*(platforms_named(row) for row in target.rows))
    return EVERY_PLATFORM


def applies_to(scope: frozenset[str], platform: str) -> bool:
    """Whether a passage of this scope applies to a customer on `platform` (a knowledge-base platform, or
    facebook/instagram, filed as meta)."""
    key = "meta" if platform in META_SHOPS else platform
    return key not in EVERY_PLATFORM or key in scope


def points_past_its_section(line: str, body: str) -> bool:
    """Whether a paragraph line of the section points forward ("listed below", "the following items") at
    rows the section does not hold: they are in a later section of the article."""
    pointer = reference(line)
    if pointer is None or pointer.direction == "back":
        return False
    parts = blocks(body)
    position = next((i for i, b in enumerate(parts) if b.kind == "text" and line.strip() in b.lines), None)
    return position is not None and referent(pointer, position, parts) is None


def first_rows(text: str) -> list[str]:
    """The markdown lines of the first list or table in the text (empty when it has none)."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and (line.startswith("|") or _BULLET.match(line)):
            lines.append(line)
        elif lines:
            break
    return lines
