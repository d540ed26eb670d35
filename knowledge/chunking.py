"""Heading-aware chunking with stable ids.

A reply cites a passage by id, so ids must survive re-indexing: each `##` section is one chunk
named `<doc id>#<heading slug>`, and only a section longer than the limit is split (on paragraph
boundaries) into `#slug-p2`, `#slug-p3`... Each chunk starts with the document title and the
heading, so a section read alone still says what and which platform it is about; a paragraph that points
at a list in a later section ("on the platforms listed below") carries that list right after it; and each
chunk records the platforms it applies to (`scope`, knowledge/scope.py), which retrieval filters on.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from knowledge.loader import KBDocument, KBPlatform, Topic
from knowledge.scope import EVERY_PLATFORM, first_rows, points_past_its_section, section_scope

MAX_CHARS = 1400


class Chunk(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    doc_id: str
    title: str
    section: str
    platform: KBPlatform
    topic: Topic
    source: str
    position: int
    doc_hash: str
    text: str
    scope: tuple[str, ...] = tuple(sorted(EVERY_PLATFORM))  # the platforms the chunk applies to


def with_referents(sections: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each section with the rows its paragraphs point at in a later section, inserted after the line that
    points ("...on the platforms listed below" is followed by that list), so the section reads alone."""
    done: list[tuple[str, str]] = []
    for index, (heading, text) in enumerate(sections):
        lines: list[str] = []
        for line in text.splitlines():
            lines.append(line)
            if line.strip() and points_past_its_section(line, text):
                later = "\n\n".join(t for _, t in sections[index + 1:])
                lines += first_rows(later)
        done.append((heading, "\n".join(lines)))
    return done


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "section"


def _sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) pairs; text before the first `##` is the 'overview' section."""
    sections: list[tuple[str, list[str]]] = [("Overview", [])]
    for line in body.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif line.startswith("# ") and not sections[-1][1] and len(sections) == 1:
            continue  # the document title; it is prefixed to every chunk anyway
        else:
            sections[-1][1].append(line)
    return [(heading, "\n".join(lines).strip()) for heading, lines in sections if "\n".join(lines).strip()]


def _split(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) > limit and current:
            parts.append(current)
            current = paragraph
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def chunk_document(doc: KBDocument, max_chars: int = MAX_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    used: dict[str, int] = {}
    for heading, text in with_referents(_sections(doc.body)):
        scope = tuple(sorted(section_scope(heading, text, doc.platform)))
        slug = slugify(heading)
        used[slug] = used.get(slug, 0) + 1
        if used[slug] > 1:
            slug = f"{slug}-{used[slug]}"
        for part_no, part in enumerate(_split(text, max_chars), start=1):
            suffix = "" if part_no == 1 else f"-p{part_no}"
            chunks.append(Chunk(
                id=f"{doc.id}#{slug}{suffix}", doc_id=doc.id, title=doc.title, section=heading,
                platform=doc.platform, topic=doc.topic, source=doc.source, position=len(chunks),
                doc_hash=doc.content_hash, text=f"{doc.title} — {heading}\n{part}", scope=scope,
            ))
    return chunks
