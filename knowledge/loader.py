"""Knowledge documents: markdown with front matter, policy numbers filled in from the policy files.

Documents write policy numbers as placeholders (`{{ walmart.returns.window_days }}`), rendered here
from the same data the tools enforce, so the knowledge base cannot drift from the rules. A
placeholder that names nothing, a bad front-matter field or a duplicate id is an error that names
the file. Product pages are generated from the catalog so they always match it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.models import Platform, Product
from tools.platform_profiles import META_SHOPS
from tools.policy.loader import policy_data

KBPlatform = Literal["all", "amazon", "walmart", "shopify", "tiktok", "ebay", "meta"]
KB_PLATFORMS: tuple[KBPlatform, ...] = ("all", "amazon", "walmart", "shopify", "tiktok", "ebay", "meta")
Topic = Literal["product", "shipping", "returns", "compliance", "brand_voice"]

# Bump when chunking or chunk metadata changes (knowledge/chunking.py, knowledge/scope.py): every
# document's hash changes with it, so an index built by older code is re-embedded on its next sync.
# 2: chunks carry the platforms they apply to (`scope`) and the lists their paragraphs point at.
CHUNK_SCHEMA = "2"

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


class KnowledgeError(ValueError):
    """A knowledge document is malformed; the message names the file and the problem."""


class KBDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str = Field(min_length=3)
    platform: KBPlatform
    topic: Topic
    updated: date
    body: str = Field(min_length=20, description="Rendered markdown, placeholders filled in.")
    source: Literal["doc", "catalog"] = "doc"

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a passage shows or is filtered by changes, including how documents are
        cut into passages (`CHUNK_SCHEMA`); drives incremental re-indexing. The `updated` date alone does
        not re-embed a document."""
        payload = "\x1f".join([CHUNK_SCHEMA, self.id, self.title, self.platform, self.topic, self.body])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def kb_platform(platform: Platform) -> KBPlatform:
    """The knowledge base files the Meta shops (Facebook and Instagram) together as Meta."""
    return "meta" if platform in META_SHOPS else platform  # type: ignore[return-value]


def docs_dir() -> Path:
    return Path(str(resources.files("knowledge"))) / "docs"


def _format(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans do not read as prose; write the sentence the flag implies")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_format(v) for v in value)
    if isinstance(value, Mapping):
        raise TypeError("a placeholder must name a single value, not a section")
    return str(value)


def render(text: str, data: Mapping[str, Any], *, where: str = "document") -> str:
    """Fill every `{{ dotted.path }}` from `data`; an unknown path is a KnowledgeError."""

    def replace(match: re.Match[str]) -> str:
        node: Any = data
        path = match.group(1)
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise KnowledgeError(f"{where}: unknown placeholder {{{{ {path} }}}}")
            node = node[part]
        try:
            return _format(node)
        except TypeError as exc:
            raise KnowledgeError(f"{where}: placeholder {{{{ {path} }}}}: {exc}") from exc

    return _PLACEHOLDER.sub(replace, text)


def parse_document(text: str, *, where: str, data: Mapping[str, Any]) -> KBDocument:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise KnowledgeError(f"{where}: missing front matter (a '---' block with id, title, platform, topic, updated)")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{where}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{where}: front matter must be key: value lines")
    body = render(text[match.end():].strip(), data, where=where)
    try:
        return KBDocument(**meta, body=body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise KnowledgeError(f"{where}: {problems}") from exc


def load_documents(directory: Path | None = None, data: Mapping[str, Any] | None = None) -> list[KBDocument]:
    """Every `*.md` under the folder, rendered and validated; ids must be unique and match file names."""
    folder = directory or docs_dir()
    values = data if data is not None else policy_data()
    documents: list[KBDocument] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        doc = parse_document(path.read_text(encoding="utf-8"), where=str(path), data=values)
        if doc.id != path.stem:
            raise KnowledgeError(f"{path}: id {doc.id!r} must equal the file name {path.stem!r}")
        if doc.id in seen:
            raise KnowledgeError(f"{path}: duplicate id {doc.id!r} (also in {seen[doc.id]})")
        seen[doc.id] = path
        documents.append(doc)
    return documents


_WARRANTY = {
    "limited-lifetime": "limited lifetime warranty",
    "limited-2y": "limited 2-year warranty",
    "limited-1y": "limited 1-year warranty",
    "full-1y": "full 1-year warranty",
    "none": "no warranty (consumable)",
}


def product_document(product: Product, names: Mapping[str, str], updated: date) -> KBDocument:
    """A product page generated from the catalog, so specs and prices always match it."""
    lines = [f"# {product.name}", "", product.description, ""]
    lines += ["## Specifications", ""]
    lines += [f"- {key}: {value}" for key, value in product.specs.items()]
    lines += ["", "## Sizes, colors and prices", ""]
    for v in product.variants:
        label = v.title if v.options else "One size"
        lines.append(f"- {label}: SKU {v.sku}, ${v.price}, {v.weight_lb:g} lb")
    lines += ["", "## Warranty and related products", ""]
    lines.append(f"The {product.name} comes with a {_WARRANTY[product.warranty]} from Northfork Goods.")
    if product.subscription_eligible:
        lines.append(f"The {product.name} is available as a subscription (subscribe and save) on our own store.")
    if product.related:
        related = ", ".join(names[r] for r in product.related if r in names)
        lines.append(f"Customers comparing the {product.name} also look at: {related}.")
    return KBDocument(
        id=f"product-{product.id.lower()}", title=product.name, platform="all", topic="product",
        updated=updated, body="\n".join(lines), source="catalog",
    )


def catalog_documents(products: Iterable[Product], updated: date) -> list[KBDocument]:
    items = list(products)
    names = {p.id: p.name for p in items}
    return [product_document(p, names, updated) for p in items]
