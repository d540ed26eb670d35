"""Inbox search: by order number, customer name, email or any platform identity, and message text.

Each conversation has one search document in the app database (`ws_search_docs`): its key, customer
identity, subject and order hint; the customer's id, name, email, phone and every platform identity, and the
ids, platform references and tracking numbers of the customer's orders (from the commerce store); the text
of every message; the team's internal notes. Casefolded, whitespace collapsed. A document is rebuilt when
its conversation changes (a new message, the customer identified, a new note): a version computed in SQL
names the stale ones, so a search costs one pass over the conversations plus those rebuilds.

Matching is literal: every word (or "quoted phrase") of the query must occur in the document as a
substring, in any case. With SQLite's FTS5, words of 3 characters or more go through a trigram index as
quoted phrases (nothing inside a quoted FTS5 string is an operator or a wildcard); shorter words, and every
word where SQLite lacks FTS5, are matched with instr(), which knows no wildcards at all. So `%`, `_`, `*`,
`?` and `\\` in a query are only characters; `"` only groups a phrase. Queries are bounded: 200 characters
and 8 words.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from sqlite3 import OperationalError
from typing import Any

from runtime.appdb.migrations import Migration
from runtime.appdb.repository import Repository
from runtime.conversations import ConversationStore
from shopdesk.workspace import UNASSIGNED, WorkspaceStore
from tools.errors import NotFoundError

log = logging.getLogger("shopdesk.search")

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MIN_INDEXED = 3  # a trigram index cannot look up fewer characters
MAX_MESSAGE_CHARS = 4_000
MAX_DOC_CHARS = 200_000
DOC_FORMAT = "1"  # bump when what goes into a document changes: every document is rebuilt on the next search
_RETRY = "retry"  # version of a document built while the store failed: never current, so rebuilt next time
_TERMS = re.compile(r'"([^"]*)"?|([^\s"]+)')


class QueryError(ValueError):
    """A search the inbox refuses (too long, too many words); the text says why."""


def parse_query(text: str | None) -> list[str]:
    """The words and "quoted phrases" of a query, casefolded, without control characters, deduplicated."""
    if text is None:
        return []
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"a search is at most {MAX_QUERY_CHARS} characters (this one has {len(text)})")
    clean = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") else c for c in text)
    terms: list[str] = []
    for phrase, word in _TERMS.findall(clean):
        term = " ".join((phrase or word).split()).casefold()
        if term and term not in terms:
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise QueryError(f"a search has at most {MAX_TERMS} words (this one has {len(terms)})")
    return terms


class SearchIndex(Repository):
    COMPONENT = "search"
    MIGRATIONS = (
        Migration(1, "search documents", (
            "CREATE TABLE IF NOT EXISTS ws_search_docs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "conversation_key TEXT NOT NULL UNIQUE, version TEXT NOT NULL, body TEXT NOT NULL)",
        )),
    )

    def __init__(self, path: Path | str, conversations: ConversationStore, workspace: WorkspaceStore,
                 backend: Callable[[], Any], *, fts: bool = True) -> None:
        """`backend`: returns the commerce store (customers, orders) when a document is built. The FTS5 index
        is no migration: whether it exists depends on the SQLite at hand, and it is rebuilt from the documents."""
        self._conversations = conversations
        self._workspace = workspace
        self._backend = backend
        self._building = threading.Lock()
        super().__init__(path)
        with self._conn() as (db, lock), lock:
            self.fts = fts and _ensure_fts(db)

    # ------------------------------------------------------------------ queries

    def search(self, query: str | None) -> set[str] | None:
        """Keys of the conversations matching every word of `query`; None when the query has no words."""
        terms = parse_query(query)
        if not terms:
            return None
        self.refresh()
        indexed = [t for t in terms if len(t) >= MIN_INDEXED] if self.fts else []
        if indexed:
            sql = ("SELECT d.conversation_key FROM ws_search_fts JOIN ws_search_docs d ON d.id = ws_search_fts.rowid "
                   "WHERE ws_search_fts MATCH ?")
            args: list[str] = [" AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)]
        else:
            sql, args = "SELECT d.conversation_key FROM ws_search_docs d WHERE 1", []
        for term in terms:
            if term not in indexed:
                sql += " AND instr(d.body, ?) > 0"
                args.append(term)
        return {r[0] for r in self._read(sql, tuple(args))}

    # ------------------------------------------------------------------ documents

    def refresh(self) -> int:
        """Rebuild every stale document; returns how many were rebuilt."""
        with self._building:
            stale = self._stale()
            built = [(key, version, self._document(key)) for key, version in stale]
            with self._tx() as tx:
                for key, version, (body, complete) in built:
                    self._store(tx, key, version if complete else _RETRY, body)
            return len(built)

    def _stale(self) -> list[tuple[str, str]]:
        sql = ("SELECT key, v FROM (SELECT c.key AS key, d.version AS have, ? || '|' || COALESCE(c.customer_id, '') "
               "|| '|' || COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.conversation_key = c.key), 0) || '|' || "
               "COALESCE((SELECT MAX(n.id) FROM ws_notes n WHERE n.conversation_key = c.key), 0) AS v "
               "FROM conversations c LEFT JOIN ws_search_docs d ON d.conversation_key = c.key) "
               "WHERE have IS NULL OR have != v")
        return [(r[0], r[1]) for r in self._read(sql, (DOC_FORMAT,))]

    def _document(self, key: str) -> tuple[str, bool]:
        """The document of `key` and whether it is complete (False: the store failed; built again later)."""
        row = self._conversations.get(key)
        if row is None:
            return "", False
        parts: list[Any] = [row.key, row.customer_identity, row.subject, row.order_hint]
        complete = True
        backend = self._backend()
        customer_id = row.customer_id
        if customer_id is None:  # not processed yet: the identity lookup the agent's identify step makes
            try:
                found = backend.find_customer(row.platform, row.customer_identity)
                customer_id = found.id if found else None
            except Exception:  # noqa: BLE001 - as below
                complete = False
        if customer_id:
            try:
                customer = backend.get_customer(customer_id)
                parts += [customer.id, customer.name, customer.email, customer.phone,
                          *(i.value for i in customer.identities)]
                for order in backend.customer_orders(customer_id):
                    parts += [order.id, order.platform_ref, *(s.tracking_number for s in order.shipments)]
            except NotFoundError:
                pass  # a customer gone from the store: the conversation is still found by its own words
            except Exception:  # noqa: BLE001 - a store adapter failing must not break the inbox; retried later
                log.warning("search: customer %s of %s not read; indexed without it for now", customer_id, key,
                            exc_info=True)
                complete = False
        parts += [m.text[:MAX_MESSAGE_CHARS] for m in self._conversations.messages(key)]
        parts += [n.text for n in self._workspace.notes(key)]
        body = "\n".join(" ".join(str(p).split()) for p in parts if p).casefold()
        return body[:MAX_DOC_CHARS], complete

    def _store(self, db: Any, key: str, version: str, body: str) -> None:
        old = db.execute("SELECT id, body FROM ws_search_docs WHERE conversation_key = ?", (key,)).fetchone()
        if old is None:
            rowid = db.execute("INSERT INTO ws_search_docs (conversation_key, version, body) VALUES (?, ?, ?)",
                               (key, version, body)).lastrowid
        else:
            rowid = old[0]
            if self.fts:  # an external-content index forgets a row by being told its old text
                db.execute("INSERT INTO ws_search_fts (ws_search_fts, rowid, body) VALUES ('delete', ?, ?)",
                           (rowid, old[1]))
            db.execute("UPDATE ws_search_docs SET version = ?, body = ? WHERE id = ?", (version, body, rowid))
        if self.fts:
            db.execute("INSERT INTO ws_search_fts (rowid, body) VALUES (?, ?)", (rowid, body))


def _ensure_fts(db: Any) -> bool:
    """The trigram index over the documents, made (and filled from them) once; False without FTS5."""
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'ws_search_fts'").fetchone()
    if exists:
        return True
    try:
        db.execute("CREATE VIRTUAL TABLE ws_search_fts USING fts5(body, tokenize='trigram', "
                   "content='ws_search_docs', content_rowid='id')")
    except OperationalError:  # SQLite built without FTS5 (or older than 3.34): instr() over the documents
        log.info("search: SQLite has no FTS5 trigram tokenizer; searching the documents without an index")
        return False
    db.execute("INSERT INTO ws_search_fts (ws_search_fts) VALUES ('rebuild')")
    return True


def inbox_keys(workspace: WorkspaceStore, index: SearchIndex, *, search: str | None = None,
               assignee: str | None = None, tag: str | None = None) -> tuple[set[str] | None, set[str]]:
    """What the inbox's search, assignee and tag filters leave: the keys it may show (None: no limit) and
    the keys it must not (the assigned ones, for UNASSIGNED)."""
    keys: set[str] | None = None

    def meet(found: set[str]) -> None:
        nonlocal keys
        keys = found if keys is None else keys & found

    found = index.search(search)
    if found is not None:
        meet(found)
    excluded: set[str] = set()
    if assignee == UNASSIGNED:
        excluded = workspace.assigned_keys()
    elif assignee:
        meet(workspace.assigned_keys(assignee))
    if tag:
        meet(workspace.tagged_keys(tag))
    return keys, excluded
