"""Application calls for the team's work on a conversation: assignment, presence, internal notes, tags.

What the console's callbacks call (ui/ decides nothing): each call takes the signed-in `User`, checks the
conversation exists and the input is bounded, applies the role rule, and audits the change in the
conversation's audit log (who, when, what before and after). Refusals are `ConsoleError`s worded for the
person. Role rules:

- anyone signed in may take a conversation ("Assign to me", also from someone else: the audit says from
  whom), unassign their own, add notes and tags, and remove tags;
- assigning to someone else, or unassigning someone else's, needs an admin.

Being assigned gives no extra right and takes none away: acting on a conversation assigned to someone
else is allowed and only warned about; the review actions keep their own rules (console_service.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from pydantic import BaseModel

from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.inbox_search import QueryError, parse_query
from shopdesk.workspace import UNASSIGNED, Activity, Note, Viewer

ANY = ":any"
MINE = ":mine"
MAX_KEY_CHARS = 300
NOTE_MAX_CHARS = 2_000
NOTES_PER_CONVERSATION = 500
TAG_MAX_CHARS = 32
TAG_INPUT_MAX_CHARS = 100
TAGS_PER_CONVERSATION = 12
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


class InboxFilter(BaseModel):
    """The inbox's workspace filters, checked: kept in the person's session and passed to ConsoleService.inbox."""

    search: str | None = None
    assignee: str | None = None  # a console user's name, UNASSIGNED, or None for anyone
    tag: str | None = None


class Snapshot(BaseModel):
    """What the conversation header shows of the workspace, for one person looking at it."""

    key: str
    assignee: str | None
    tags: list[str]
    others: list[Viewer]
    you: str


def tag_slug(raw: str) -> str:
    """A tag as stored: lowercase ASCII letters, digits and single hyphens ("Late Delivery!" -> "late-delivery",
    "Café" -> "cafe"); ConsoleError when nothing usable is left or it is too long."""
    if len(raw) > TAG_INPUT_MAX_CHARS:
        raise ConsoleError(f"a tag is at most {TAG_MAX_CHARS} characters")
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if not slug:
        raise ConsoleError("a tag needs letters or digits (a-z, 0-9)")
    if len(slug) > TAG_MAX_CHARS:
        raise ConsoleError(f"a tag is at most {TAG_MAX_CHARS} characters (this one has {len(slug)})")
    return slug


def note_text(raw: str) -> str:
    """A note as stored: control and invisible formatting characters removed, line ends kept, trimmed."""
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ConsoleError("write the note first")
    if len(text) > NOTE_MAX_CHARS:
        raise ConsoleError(f"a note is at most {NOTE_MAX_CHARS} characters (this one has {len(text)})")
    return text


def viewer_id(session: str) -> str:
    """What presence stores for a browser session: a digest, never the session id itself."""
    return hashlib.sha256(f"shopdesk-presence:{session}".encode()).hexdigest()[:32]


class WorkspaceService:
    def __init__(self, console: ConsoleService) -> None:
        self.console = console
        self.store = console.workspace

    # ------------------------------------------------------------------ helpers

    def _key(self, key: str | None) -> str:
        if not key or not isinstance(key, str):
            raise ConsoleError("open a conversation first")
        if len(key) > MAX_KEY_CHARS or self.console.service.conversations.get(key) is None:
            raise ConsoleError(f"no conversation {key[:80]}")
        return key

    def _audit(self, key: str, user: User, action: str, **detail: object) -> None:
        self.console.service.conversations.audit(key, f"human:{user.name}", action, self.console.service.clock.now(),
                                                 **detail)

    def people(self) -> list[str]:
        return [u.name for u in self.console.users.people()]

    # ------------------------------------------------------------------ assignment

    def assign(self, key: str, assignee: str | None, user: User) -> str | None:
        """Assign `key` to `assignee` (None: unassign); returns the assignee now. Audited with from and to."""
        key = self._key(key)
        target = None
        if assignee is not None:
            found = self.console.users.get(assignee) if isinstance(assignee, str) and len(assignee) <= 256 else None
            if found is None:
                raise ConsoleError(f"no console user named {str(assignee)[:64]!r}")
            target = found.name
        before = self.store.assignee(key)
        if target == before:
            raise ConsoleError("this conversation is not assigned to anyone" if target is None else
                               "this conversation is already assigned to " + ("you" if target == user.name else target))
        if user.role != "admin":
            if target is not None and target != user.name:
                raise ConsoleError("only an admin can assign a conversation to someone else: use Assign to me")
            if target is None and before != user.name:
                raise ConsoleError(f"only an admin can unassign a conversation assigned to {before}")
        if not self.store.assign(key, target, user.name, self.console.service.clock.now(), expect=before):
            now = self.store.assignee(key)
            raise ConsoleError(f"the assignment changed meanwhile (now: {now or 'nobody'}); look again and retry")
        action = "unassigned" if target is None else ("assigned" if before is None else "reassigned")
        self._audit(key, user, action, **{"from": before, "to": target})
        return target

    def assign_to_me(self, key: str, user: User) -> str | None:
        return self.assign(key, user.name, user)

    def unassign(self, key: str, user: User) -> str | None:
        return self.assign(key, None, user)

    # ------------------------------------------------------------------ notes

    def add_note(self, key: str, text: str, user: User) -> Note:
        """An internal note: shown to the team in the thread, never sent, never given to the agent."""
        key = self._key(key)
        clean = note_text(text if isinstance(text, str) else "")
        note = self.store.add_note(key, user.name, clean, self.console.service.clock.now(),
                                   limit=NOTES_PER_CONVERSATION)
        if note is None:
            raise ConsoleError(f"this conversation already has {NOTES_PER_CONVERSATION} notes")
        self._audit(key, user, "note_added", note_id=note.id, chars=len(clean))
        return note

    # ------------------------------------------------------------------ tags

    def add_tag(self, key: str, raw: str, user: User) -> str:
        key = self._key(key)
        tag = tag_slug(raw if isinstance(raw, str) else "")
        outcome = self.store.add_tag(key, tag, user.name, self.console.service.clock.now(),
                                     limit=TAGS_PER_CONVERSATION)
        if outcome == "present":
            raise ConsoleError(f"this conversation is already tagged {tag}")
        if outcome == "full":
            raise ConsoleError(f"a conversation has at most {TAGS_PER_CONVERSATION} tags: remove one first")
        self._audit(key, user, "tag_added", tag=tag)
        return tag

    def remove_tag(self, key: str, raw: str, user: User) -> str:
        key = self._key(key)
        tag = tag_slug(raw if isinstance(raw, str) else "")
        if not self.store.remove_tag(key, tag):
            raise ConsoleError(f"this conversation is not tagged {tag}")
        self._audit(key, user, "tag_removed", tag=tag)
        return tag

    def tag_counts(self) -> dict[str, int]:
        return self.store.tag_counts()

    # ------------------------------------------------------------------ presence

    def heartbeat(self, key: str, user: User, session: str, *, replying: bool = False) -> Snapshot:
        """`user` has `key` open in browser `session` now (renewed by the console's timer); returns what the
        header shows them: the assignee, the tags and the other people who have it open."""
        key = self._key(key)
        activity: Activity = "replying" if replying else "viewing"
        self.store.touch(viewer_id(session), user.name, key, activity)
        return Snapshot(key=key, assignee=self.store.assignee(key), tags=self.store.tags(key),
                        others=self.store.viewers(key, besides=user.name), you=user.name)

    def leave(self, session: str) -> None:
        """The session closed the conversation (another tab, another conversation is recorded by heartbeat)."""
        self.store.leave(viewer_id(session))

    # ------------------------------------------------------------------ inbox filters

    def inbox_filter(self, search: str | None, assignee: str | None, tag: str | None, user: User) -> InboxFilter:
        """The inbox's search box and assignee/tag pickers, checked: "Mine" becomes the user's own name."""
        try:
            terms = parse_query(search if isinstance(search, str) else None)
        except QueryError as exc:
            raise ConsoleError(str(exc)) from exc
        who: str | None
        if assignee in (None, "", ANY):
            who = None
        elif assignee == MINE:
            who = user.name
        elif assignee == UNASSIGNED:
            who = UNASSIGNED
        elif isinstance(assignee, str) and self.console.users.get(assignee) is not None:
            who = assignee
        else:
            raise ConsoleError(f"no console user named {str(assignee)[:64]!r}")
        return InboxFilter(search=search.strip() if terms and isinstance(search, str) else None, assignee=who,
                           tag=tag_slug(tag) if isinstance(tag, str) and tag not in ("", ANY) else None)
