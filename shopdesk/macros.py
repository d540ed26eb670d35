"""Canned replies (macros): admin-written texts with placeholders, filled from one conversation's own facts.

Stored in the app database (table `macros`), not in seller_settings.json: macros are content several people
edit while the service runs (rows changed one at a time in a transaction, each change audited), while the
settings file is one automation policy document the agent reads and that is rewritten whole on save.

A placeholder is `{name}` from PLACEHOLDERS; a body may hold no other braces. Filling never guesses: every
value comes from the facts the conversation's own evidence holds (the customer the agent identified, the order
it settled on, the parcel its tools read, the signed-in person), the same facts the compliance check accepts
when the text is sent. A placeholder without a value blocks the insertion with the reason, so a blank is never
sent. The filled text then goes through the same send path as any edited reply (compliance checked there).
"""

from __future__ import annotations

import re
from datetime import datetime
from sqlite3 import IntegrityError

from pydantic import BaseModel, Field

from runtime.appdb.migrations import Migration
from runtime.appdb.repository import Repository

NAME_MAX = 80
BODY_MAX = 2000
MACROS_MAX = 200

PLACEHOLDERS: dict[str, str] = {
    "customer_first_name": "the customer's first name",
    "customer_name": "the customer's full name",
    "order_id": "the order this conversation is about",
    "tracking_number": "that order's tracking number (a single parcel)",
    "carrier": "the carrier of that parcel",
    "marketplace": "where the customer wrote (Amazon, Walmart, ...)",
    "agent_name": "your name, as you signed in",
}
"""Every placeholder a macro may use, and what fills it."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]{1,40})\}")


class MacroError(ValueError):
    """A macro that cannot be saved or filled (the message says why, for the person)."""


class Macro(BaseModel):
    id: int
    name: str
    body: str
    updated_by: str
    updated_at: datetime


class MacroFacts(BaseModel):
    """The values one conversation has for the placeholders; `missing` says why a value is absent."""

    values: dict[str, str] = Field(default_factory=dict)
    missing: dict[str, str] = Field(default_factory=dict)


DEFAULT_MACROS: tuple[tuple[str, str], ...] = (
    ("Looking into it",
     "Hi {customer_first_name},\n\nThank you for your message about order {order_id}. I'm looking into it now and "
     "will write back here as soon as I have an answer.\n\n{agent_name}"),
    ("Tracking details",
     "Hi {customer_first_name},\n\nYour order {order_id} is with {carrier}. The tracking number is "
     "{tracking_number}.\n\n{agent_name}"),
    ("Which order?",
     "Hi {customer_first_name},\n\nThank you for reaching out. Could you tell me the order number of the order "
     "you're writing about? I'll take it from there.\n\n{agent_name}"),
    ("Happy to help",
     "Hi {customer_first_name},\n\nYou're welcome. If anything else comes up with this order, just reply to this "
     "message.\n\n{agent_name}"),
)
"""What a new seller starts with (the demo seller included): short, no links or contact details, and nothing
stated that the placeholders do not fill from the conversation."""


def placeholders_in(body: str) -> list[str]:
    return list(dict.fromkeys(_PLACEHOLDER.findall(body)))


def clean(name: str, body: str) -> tuple[str, str]:
    """The name and body as stored, or MacroError: bounded lengths, known placeholders, no stray braces."""
    name = " ".join(str(name or "").split())
    body = str(body or "").replace("\r\n", "\n").strip()
    if not name:
        raise MacroError("give the macro a name")
    if len(name) > NAME_MAX:
        raise MacroError(f"a macro name is at most {NAME_MAX} characters")
    if not body:
        raise MacroError("write the macro's text")
    if len(body) > BODY_MAX:
        raise MacroError(f"a macro's text is at most {BODY_MAX} characters")
    unknown = [p for p in placeholders_in(body) if p not in PLACEHOLDERS]
    if unknown:
        raise MacroError(f"unknown placeholder {', '.join('{' + u + '}' for u in unknown)}; known: "
                         + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
    if "{" in _PLACEHOLDER.sub("", body) or "}" in _PLACEHOLDER.sub("", body):
        raise MacroError("a brace that is not part of a placeholder: placeholders look like {order_id}")
    return name, body


def fill(body: str, facts: MacroFacts) -> str:
    """The body with every placeholder replaced in one pass (a value is never read as a placeholder), or
    MacroError naming each placeholder this conversation has no value for, and why."""
    missing = [p for p in placeholders_in(body) if not facts.values.get(p)]
    if missing:
        reasons = "; ".join(f"{{{p}}}: {facts.missing.get(p, 'no value in this conversation')}" for p in missing)
        raise MacroError(f"this conversation has no value for {reasons}. Write that part yourself or pick "
                         "another macro")
    return _PLACEHOLDER.sub(lambda m: facts.values[m.group(1)], body)


class MacroStore(Repository):
    """The macros table in the app database. Opens the shared connection per call (cheap: the service keeps the
    file open), so it holds nothing to close."""

    COMPONENT = "macros"
    MIGRATIONS = (
        Migration(1, "macros and the defaults' seeding mark", (
            """CREATE TABLE IF NOT EXISTS macros (
                id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE, body TEXT NOT NULL,
                created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)""",
            "CREATE TABLE IF NOT EXISTS macro_defaults (seeded_at TEXT NOT NULL)",
        )),
    )

    def seed_defaults(self, at: datetime) -> bool:
        """The default macros, once per database (deleting them later sticks); True when they were added now."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM macro_defaults").fetchone():
                return False
            db.execute("INSERT INTO macro_defaults VALUES (?)", (at.isoformat(),))
            for name, body in DEFAULT_MACROS:
                db.execute("INSERT OR IGNORE INTO macros (name, body, created_by, created_at, updated_by, updated_at) "
                           "VALUES (?, ?, 'shopdesk', ?, 'shopdesk', ?)", (name, body, at.isoformat(), at.isoformat()))
            return True

    def list(self) -> list[Macro]:
        with self._tx() as db:
            rows = db.execute("SELECT id, name, body, updated_by, updated_at FROM macros ORDER BY name COLLATE NOCASE")
            return [_macro(r) for r in rows.fetchall()]

    def get(self, macro_id: int) -> Macro | None:
        with self._tx() as db:
            row = db.execute("SELECT id, name, body, updated_by, updated_at FROM macros WHERE id = ?",
                             (macro_id,)).fetchone()
            return _macro(row) if row else None

    def create(self, name: str, body: str, actor: str, at: datetime) -> Macro:
        name, body = clean(name, body)
        with self._tx() as db:
            if db.execute("SELECT COUNT(*) FROM macros").fetchone()[0] >= MACROS_MAX:
                raise MacroError(f"at most {MACROS_MAX} macros: delete one first")
            try:
                cur = db.execute("INSERT INTO macros (name, body, created_by, created_at, updated_by, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", (name, body, actor, at.isoformat(), actor, at.isoformat()))
            except IntegrityError:
                raise MacroError(f"a macro named {name!r} exists already") from None
            return Macro(id=cur.lastrowid, name=name, body=body, updated_by=actor, updated_at=at)  # type: ignore[arg-type]

    def update(self, macro_id: int, name: str, body: str, actor: str, at: datetime) -> tuple[Macro, Macro]:
        """(before, after)."""
        name, body = clean(name, body)
        with self._tx() as db:
            row = db.execute("SELECT id, name, body, updated_by, updated_at FROM macros WHERE id = ?",
                             (macro_id,)).fetchone()
            if row is None:
                raise MacroError("that macro no longer exists")
            try:
                db.execute("UPDATE macros SET name = ?, body = ?, updated_by = ?, updated_at = ? WHERE id = ?",
                           (name, body, actor, at.isoformat(), macro_id))
            except IntegrityError:
                raise MacroError(f"a macro named {name!r} exists already") from None
            return _macro(row), Macro(id=macro_id, name=name, body=body, updated_by=actor, updated_at=at)

    def delete(self, macro_id: int) -> Macro:
        with self._tx() as db:
            row = db.execute("SELECT id, name, body, updated_by, updated_at FROM macros WHERE id = ?",
                             (macro_id,)).fetchone()
            if row is None:
                raise MacroError("that macro no longer exists")
            db.execute("DELETE FROM macros WHERE id = ?", (macro_id,))
            return _macro(row)


def _macro(row: tuple) -> Macro:  # type: ignore[type-arg]
    return Macro(id=row[0], name=row[1], body=row[2], updated_by=row[3], updated_at=datetime.fromisoformat(row[4]))
