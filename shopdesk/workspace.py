"""The team's own layer on a conversation: who it is assigned to, who has it open, internal notes and tags.

Kept in the app database beside the conversations, in tables of its own (`ws_*`, created and migrated by
the app database's one mechanism, `runtime/appdb/migrations.py`). Nothing on the path of a customer message
reads these tables (the inbox, the worker, the agent's graph, the outbox, the dispatcher): that is what keeps
an internal note out of the agent's prompt and out of every reply.

Presence ("bo is viewing this") runs on wall-clock seconds with a short TTL that the console's refresh
timer renews: it is about people at their screens now, not about the service clock (which a demo or a test
may freeze). Everything else is stamped with the time the caller passes (the service clock).

Connections: the shared app-database connection is taken per call and released after it
(`runtime.appdb.repository.Repository`), so this store needs no lifecycle of its own and never holds a file
open past the service.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from runtime.appdb.migrations import Migration
from runtime.appdb.repository import Repository

Activity = Literal["viewing", "replying"]
UNASSIGNED = ":unassigned"
"""The inbox's assignee filter for "nobody" (console user names cannot hold a colon)."""
TagOutcome = Literal["added", "present", "full"]

PRESENCE_TTL_S = 15.0
"""A viewer not renewed for this long is gone (the console renews every few seconds while a tab is open)."""


class Note(BaseModel):
    id: int
    conversation_key: str
    author: str
    text: str
    at: datetime


class Viewer(BaseModel):
    """Someone with the conversation open now."""

    user: str
    activity: Activity
    seen_at: float


class Marks(BaseModel):
    """What the inbox row shows of the workspace: the assignee and the tags."""

    assignee: str | None = None
    tags: list[str] = []


class WorkspaceStore(Repository):
    COMPONENT = "workspace"
    MIGRATIONS = (
        Migration(1, "assignments, presence, notes, tags", (
            """CREATE TABLE IF NOT EXISTS ws_assignments (
                conversation_key TEXT PRIMARY KEY, assignee TEXT NOT NULL, assigned_by TEXT NOT NULL,
                assigned_at TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_ws_assignee ON ws_assignments(assignee)",
            """CREATE TABLE IF NOT EXISTS ws_presence (
                viewer TEXT PRIMARY KEY, user_name TEXT NOT NULL, conversation_key TEXT NOT NULL,
                activity TEXT NOT NULL, seen_at REAL NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_ws_presence_conv ON ws_presence(conversation_key, seen_at)",
            """CREATE TABLE IF NOT EXISTS ws_notes (
                id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT NOT NULL, author TEXT NOT NULL,
                text TEXT NOT NULL, at TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_ws_notes_conv ON ws_notes(conversation_key, id)",
            """CREATE TABLE IF NOT EXISTS ws_tags (
                conversation_key TEXT NOT NULL, tag TEXT NOT NULL, added_by TEXT NOT NULL, added_at TEXT NOT NULL,
                PRIMARY KEY (conversation_key, tag))""",
            "CREATE INDEX IF NOT EXISTS ix_ws_tags_tag ON ws_tags(tag, conversation_key)",
        )),
        # the workspace's own version table, from before schema_migrations: versions are kept there now
        Migration(2, "drop ws_meta", ("DROP TABLE IF EXISTS ws_meta",)),
    )

    def __init__(self, path: Path | str, *, wall: Callable[[], float] = time.time,
                 presence_ttl_s: float = PRESENCE_TTL_S) -> None:
        self.wall = wall
        self.presence_ttl_s = presence_ttl_s
        super().__init__(path)

    # ------------------------------------------------------------------ assignment

    def assign(self, key: str, assignee: str | None, by: str, at: datetime, *, expect: str | None) -> bool:
        """Set (or clear, with None) the assignee if it is still `expect` (compare and set: two people changing
        it at once cannot both win on a stale read); False when it changed meanwhile."""
        with self._tx() as db:
            row = db.execute("SELECT assignee FROM ws_assignments WHERE conversation_key = ?", (key,)).fetchone()
            if (row[0] if row else None) != expect:
                return False
            if assignee is None:
                db.execute("DELETE FROM ws_assignments WHERE conversation_key = ?", (key,))
            else:
                db.execute("INSERT INTO ws_assignments VALUES (?, ?, ?, ?) ON CONFLICT(conversation_key) DO UPDATE "
                           "SET assignee = excluded.assignee, assigned_by = excluded.assigned_by, "
                           "assigned_at = excluded.assigned_at", (key, assignee, by, at.isoformat()))
            return True

    def assignee(self, key: str) -> str | None:
        rows = self._read("SELECT assignee FROM ws_assignments WHERE conversation_key = ?", (key,))
        return rows[0][0] if rows else None

    def assigned_keys(self, assignee: str | None = None) -> set[str]:
        """Keys assigned to `assignee` (None: to anyone)."""
        if assignee is None:
            return {r[0] for r in self._read("SELECT conversation_key FROM ws_assignments")}
        return {r[0] for r in self._read("SELECT conversation_key FROM ws_assignments WHERE assignee = ?",
                                         (assignee,))}

    # ------------------------------------------------------------------ tags

    def add_tag(self, key: str, tag: str, by: str, at: datetime, *, limit: int) -> TagOutcome:
        """Add `tag` unless present or the conversation already has `limit` tags (checked in the same
        transaction, so two people adding at once cannot pass the limit)."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM ws_tags WHERE conversation_key = ? AND tag = ?", (key, tag)).fetchone():
                return "present"
            if db.execute("SELECT COUNT(*) FROM ws_tags WHERE conversation_key = ?", (key,)).fetchone()[0] >= limit:
                return "full"
            db.execute("INSERT INTO ws_tags VALUES (?, ?, ?, ?)", (key, tag, by, at.isoformat()))
            return "added"

    def remove_tag(self, key: str, tag: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM ws_tags WHERE conversation_key = ? AND tag = ?", (key, tag)).rowcount == 1

    def tags(self, key: str) -> list[str]:
        return [r[0] for r in self._read("SELECT tag FROM ws_tags WHERE conversation_key = ? ORDER BY tag", (key,))]

    def tagged_keys(self, tag: str) -> set[str]:
        return {r[0] for r in self._read("SELECT conversation_key FROM ws_tags WHERE tag = ?", (tag,))}

    def tag_counts(self) -> dict[str, int]:
        """Every tag in use with how many conversations carry it, by name."""
        return dict(self._read("SELECT tag, COUNT(*) FROM ws_tags GROUP BY tag ORDER BY tag"))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ both, for inbox rows

    def marks(self, keys: Collection[str]) -> dict[str, Marks]:
        """Assignee and tags of each of `keys` (two queries whatever their number)."""
        if not keys:
            return {}
        wanted = _json_list(keys)
        out: dict[str, Marks] = {}
        for key, assignee in self._read("SELECT conversation_key, assignee FROM ws_assignments WHERE "
                                        "conversation_key IN (SELECT value FROM json_each(?))", (wanted,)):
            out.setdefault(key, Marks()).assignee = assignee
        for key, tag in self._read("SELECT conversation_key, tag FROM ws_tags WHERE conversation_key IN "
                                   "(SELECT value FROM json_each(?)) ORDER BY tag", (wanted,)):
            out.setdefault(key, Marks()).tags.append(tag)
        return out

    # ------------------------------------------------------------------ notes

    def add_note(self, key: str, author: str, text: str, at: datetime, *, limit: int) -> Note | None:
        """Keep a note; None when the conversation already has `limit` notes."""
        with self._tx() as db:
            if db.execute("SELECT COUNT(*) FROM ws_notes WHERE conversation_key = ?", (key,)).fetchone()[0] >= limit:
                return None
            cur = db.execute("INSERT INTO ws_notes (conversation_key, author, text, at) VALUES (?, ?, ?, ?)",
                             (key, author, text, at.isoformat()))
            return Note(id=cur.lastrowid or 0, conversation_key=key, author=author, text=text, at=at)

    def notes(self, key: str) -> list[Note]:
        rows = self._read("SELECT id, conversation_key, author, text, at FROM ws_notes WHERE conversation_key = ? "
                          "ORDER BY at, id", (key,))
        return [Note(id=r[0], conversation_key=r[1], author=r[2], text=r[3], at=datetime.fromisoformat(r[4]))
                for r in rows]

    # ------------------------------------------------------------------ presence

    def touch(self, viewer: str, user: str, key: str, activity: Activity) -> None:
        """`viewer` (one browser session) has `key` open now; a session has one conversation open at a time.
        Rows long expired are dropped on the way."""
        now = self.wall()
        with self._tx() as db:
            db.execute("INSERT INTO ws_presence VALUES (?, ?, ?, ?, ?) ON CONFLICT(viewer) DO UPDATE SET "
                       "user_name = excluded.user_name, conversation_key = excluded.conversation_key, "
                       "activity = excluded.activity, seen_at = excluded.seen_at", (viewer, user, key, activity, now))
            db.execute("DELETE FROM ws_presence WHERE seen_at < ?", (now - 20 * self.presence_ttl_s,))

    def leave(self, viewer: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM ws_presence WHERE viewer = ?", (viewer,))

    def viewers(self, key: str, *, besides: str | None = None) -> list[Viewer]:
        """People with `key` open within the TTL, one entry per person (replying wins over viewing), by
        name; `besides`: a person left out (the one asking)."""
        since = self.wall() - self.presence_ttl_s
        rows = self._read("SELECT user_name, activity, seen_at FROM ws_presence WHERE conversation_key = ? AND "
                          "seen_at >= ? ORDER BY user_name", (key, since))
        people: dict[str, Viewer] = {}
        for user, activity, seen in rows:
            if user == besides:
                continue
            kept = people.get(user)
            if kept is None or (activity == "replying" and kept.activity != "replying"):
                people[user] = Viewer(user=user, activity=activity, seen_at=seen)
        return list(people.values())


def _json_list(values: Collection[str]) -> str:
    """One SQL parameter for a set of any size (`IN (SELECT value FROM json_each(?))`)."""
    return json.dumps(sorted(values))
