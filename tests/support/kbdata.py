"""Small synthetic knowledge documents for index and retrieval mechanics tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings

from knowledge.loader import KBDocument


def make_doc(doc_id: str, platform: str, topic: str, sections: dict[str, str]) -> KBDocument:
    body = f"# {doc_id}\n\n" + "\n\n".join(f"## {h}\n\n{t}" for h, t in sections.items())
    return KBDocument(id=doc_id, title=doc_id.replace("-", " ").title(), platform=platform, topic=topic,  # type: ignore[arg-type]
                      updated=date(2026, 11, 1), body=body)


SMALL_DOCS = [
    make_doc("returns-walmart", "walmart", "returns", {
        "Refund timing on Walmart": "Walmart refunds are issued within 48 hours of receiving your return.",
        "Return window on Walmart": "Walmart orders can be returned within 30 days."}),
    make_doc("returns-amazon", "amazon", "returns", {
        "Refund timing on Amazon": "Amazon refunds are issued within 2 business days of receiving your return."}),
    make_doc("shipping-methods", "all", "shipping", {
        "Carriers": "We ship with USPS, UPS and FedEx from Bend, Oregon."}),
    make_doc("cast-iron-care", "all", "product", {
        "Seasoning": "Season your cast iron skillet with a thin coat of oil after washing."}),
]


def chroma(path: Path) -> chromadb.ClientAPI:
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))


