"""The "Try:" lines `shopdesk run` prints when it stops: commands that work as typed, here and on this data.

Why a module: hints that name a command not on the PATH (`shopdesk` lives in .venv/bin), an inbox item that
does not exist or a customer with no account on the platform send a new user into an error on their first
try. So the executable is written the way it can be typed from the current directory, ids come from the data
dir, and tests/test_run_hints.py runs every printed line.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from shopdesk import queue_service, store_service
from shopdesk.settings import Settings


@dataclass(frozen=True)
class Hint:
    args: tuple[str, ...]
    """The arguments after the executable."""
    why: str
    interactive: bool = False


def shopdesk_command(cwd: Path | None = None) -> str:
    """The shopdesk executable as it can be typed from `cwd`: `shopdesk` when the PATH finds this one, else this
    environment's script by a relative path (`.venv/bin/shopdesk`) or an absolute one."""
    script = Path(sys.executable).with_name("shopdesk")  # not resolved: the venv's bin, not the base Python's
    if not script.exists():
        return "shopdesk"
    found = shutil.which("shopdesk")
    if found and Path(found).resolve() == script.resolve():
        return "shopdesk"
    try:
        relative = script.absolute().relative_to((cwd or Path.cwd()).absolute())
    except ValueError:
        return shlex.quote(str(script.absolute()))
    return shlex.quote(str(relative))


def try_hints(settings: Settings) -> list[Hint]:
    """What to look at after a run, with ids taken from the data dir."""
    hints = [Hint(("inbox", "list"), "every customer message received, oldest first")]
    with queue_service.open_queues(settings) as queues:
        latest = queues.inbox.items(limit=1)
    if latest:
        hints.append(Hint(("inbox", "show", str(latest[-1].id)), "one message: what the agent did and the reply"))
    hints.append(Hint(("outbox", "list"), "every reply and whether it reached the platform"))
    hints.append(Hint(("store", "summary"), "what the demo store holds"))
    hints.append(Hint(("kb", "search", "how long do refunds take", "--platform", "walmart"),
                      "the knowledge-base passages the agent would cite"))
    with store_service.open_store(settings) as store:
        customer = next((c for c in store.list_customers() if c.identity_on("amazon")), None)
    if customer is not None:
        hints.append(Hint(("chat", "--platform", "amazon", "--customer", customer.id),
                          "talk to the agent as this customer (a try: nothing is sent)", interactive=True))
    return hints


def try_lines(hints: list[Hint], command: str) -> list[str]:
    """`Try:` and one line per hint: the command to paste, then `# why`."""
    commands = [f"{command} {shlex.join(h.args)}" for h in hints]
    width = max(map(len, commands), default=0)
    return ["Try:"] + [f"  {c.ljust(width)}   # {h.why}" for c, h in zip(commands, hints, strict=True)]
