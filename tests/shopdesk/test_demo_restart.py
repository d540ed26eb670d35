"""Issue 20, "first run": a restarted demo is still a live demo, and SIGTERM stops it the way Ctrl-C does.

Real runs: the simulators, the service and its workers, on a private data dir with the store and the knowledge
base already made (the session's `kb_env`), so what is measured is the run itself, not the first indexing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agent.seller_settings import SellerSettings
from shopdesk import serve
from shopdesk.demo_traffic import LEDGER_FILE
from shopdesk.settings import Settings

from testdata import ANCHOR, SEED

pytestmark = pytest.mark.slow

SUMMARY = re.compile(r"This run: (\d+) customer messages? sent, (\d+) taken in by shopdesk \((\d+) processed"
                     r"(?:, (\d+) left queued for the next start)?\); replies received by the simulators: (\d+)")


@pytest.fixture(scope="module")
def demo_template(kb_env: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store and the knowledge base made; a test that starts the agent leaves the intent classifier's cache
    here (`keep_cache`), so the next start need not compute it again."""
    path = tmp_path_factory.mktemp("demo") / "data"
    shutil.copytree(kb_env.data_dir, path)
    return path


def run_env(data_dir: Path) -> dict[str, str]:
    """`shopdesk run` in a child process on `data_dir` (the store there is the tests' seed and anchor)."""
    return {**os.environ, "SHOPDESK_DATA_DIR": str(data_dir), "SHOPDESK_STORE_SEED": str(SEED),
            "SHOPDESK_STORE_ANCHOR": ANCHOR.isoformat(), "SHOPDESK_PORT": "0", "PYTHONUNBUFFERED": "1"}


def data_dir_from(template: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    return data_dir


def keep_cache(data_dir: Path, template: Path) -> None:
    if (data_dir / "cache").is_dir() and not (template / "cache").exists():
        shutil.copytree(data_dir / "cache", template / "cache")


def inbound(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "app.db") as db:
        return list(db.execute("SELECT conversation_key, text FROM messages WHERE direction = 'in' ORDER BY id"))


def inbox_states(data_dir: Path) -> Counter[str]:
    with sqlite3.connect(data_dir / "app.db") as db:
        return Counter(status for (status,) in db.execute("SELECT status FROM inbox"))


def summary_of(lines: list[str]) -> tuple[int, int, int, int, int]:
    found = [m for line in lines if (m := SUMMARY.search(line))]
    assert len(found) == 1, lines[-12:]
    sent, taken, processed, left, replies = found[0].groups()
    return int(sent), int(taken), int(processed), int(left or 0), int(replies)


@contextmanager
def shopdesk_run(data_dir: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`shopdesk run` in a child process on `data_dir`; killed on the way out if a test stopped early."""
    exe = Path(sys.executable).with_name("shopdesk")
    proc = subprocess.Popen([str(exe), "run", *args], env=run_env(data_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def sigterm(proc: subprocess.Popen[str]) -> str:
    """Send SIGTERM, as `kill` or a container stop does, and return what the run printed until it exited."""
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=120)
    return rest


def test_sigterm_stops_a_run_gracefully_with_its_summary_and_exit_code_0(demo_template: Path,
                                                                          tmp_path: Path) -> None:
    data_dir = data_dir_from(demo_template, tmp_path)
    lines: list[str] = []
    with shopdesk_run(data_dir, "--rate", "60") as proc:
        assert proc.stdout is not None
        deadline = time.monotonic() + 600  # the first start trains the intent classifier (minutes on 2 cores)
        while sum(line.startswith("  -> ") for line in lines) < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        assert sum(line.startswith("  -> ") for line in lines) >= 3, lines[-10:]
        lines += sigterm(proc).splitlines()
    keep_cache(data_dir, demo_template)
    assert proc.returncode == 0, lines[-15:]
    stopping = lines.index("Stopping: no new customer messages; the workers finish the message in hand (the rest "
                           "wait in the inbox for the next start)...")
    assert not any(line.startswith("  -> ") for line in lines[stopping:])  # the traffic stopped first
    sent, taken, processed, left, _ = summary_of(lines)
    assert sent == sum(line.startswith("  -> ") for line in lines) == taken and processed + left == taken
    assert sum(inbox_states(data_dir).values()) == taken == len(inbound(data_dir))  # nothing lost
    assert any(line.startswith("Try:") for line in lines)


def test_sigterm_while_preparing_stops_cleanly(demo_template: Path, tmp_path: Path) -> None:
    data_dir = data_dir_from(demo_template, tmp_path)
    with shopdesk_run(data_dir) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Checking the demo store"), first
        rest = sigterm(proc)
    assert proc.returncode == 0, rest
    assert "no customer message was sent" in rest and not (data_dir / LEDGER_FILE).exists()


def test_a_restarted_demo_sends_new_messages_that_are_answered_and_counts_only_its_own(
        demo_template: Path, tmp_path: Path) -> None:
    data_dir = data_dir_from(demo_template, tmp_path)
    # autopilot on every channel, so that "answered" shows as replies at the simulators (the demo seller itself
    # starts draft-only, where only handoff acknowledgments go at once)
    SellerSettings().with_autopilot(True).save(data_dir / "seller_settings.json")
    settings = Settings(_env_file=None, data_dir=data_dir, port=0, workers=2, poll_interval_s=0.1)  # type: ignore[call-arg]
    runs: list[list[str]] = []
    for _ in range(2):
        lines: list[str] = []
        serve.serve(settings, simulate=True, say=lines.append, per_minute=60, duration_s=15)
        runs.append(lines)
    keep_cache(data_dir, demo_template)

    first, second = runs
    written = [[line for line in run if line.startswith("  -> ")] for run in runs]
    assert len(written[0]) >= 5 and len(written[1]) >= 5
    assert not set(written[0]) & set(written[1])  # new customer messages, not the script again
    assert any("sent by earlier runs on this data dir are not sent again" in line for line in second)
    messages = inbound(data_dir)
    assert len(messages) == len(written[0]) + len(written[1])  # each one taken in: nothing lost
    assert len(set(messages)) == len(messages)  # no conversation got the same words twice
    assert sum(1 for _ in (data_dir / LEDGER_FILE).open()) == len(messages)

    for lines, sent_lines in zip(runs, written, strict=True):
        sent, taken, processed, left, replies = summary_of(lines)
        assert sent == taken == len(sent_lines) and processed + left == taken  # this run's, not the data dir's
        assert replies == sum(1 for line in lines if line.startswith("  <- "))
    assert summary_of(second)[4] > 0  # the restarted run is answered (the defect: 0 replies)
    states = inbox_states(data_dir)
    assert set(states) <= {"done", "queued"} and states["queued"] == summary_of(second)[3]  # the rest wait
    assert any(re.search(r"; \d+ from earlier runs stay in the console as history", line) for line in second)
    feed = [line for line in first + second if line.startswith("  <- ")]
    assert all(re.match(r"  <- \w+ +reply to (C\d{5}|\S+): ", line) for line in feed)
    assert not any(re.search(r"reply to \S*@\S*\.\w{0,1}:", line) for line in feed)  # no address cut short
