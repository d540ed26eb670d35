"""Issue 20, first run: every "Try:" line `shopdesk run` prints is a command that works as printed.

The lines are parsed back as a shell would (shlex), the executable must run from here, each command's options
must parse, and every command that is not interactive runs on a data dir like the one `run` leaves behind.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import typer
from typer.testing import CliRunner

from channels.base import ChannelMessage
from runtime.conversations import ConversationStore
from runtime.inbox import Inbox
from runtime.intake import Intake
from shopdesk import run_hints
from shopdesk.cli import app
from shopdesk.settings import Settings
from tools.policy.loader import load_policies

from testdata import ANCHOR

runner = CliRunner()


def received_message(data_dir: Path) -> None:
    db = data_dir / "app.db"
    inbox, conversations = Inbox(db), ConversationStore(db)
    try:
        Intake(inbox, conversations, load_policies()).accept([ChannelMessage(
            platform="tiktok", delivery_id="d-1", conversation_key="tiktok:c-hint", customer_identity="7000001",
            text="where is my order?", received_at=ANCHOR.replace(hour=8), reply_route={"to": "7000001"})])
    finally:
        inbox.close()
        conversations.close()


def test_every_try_line_is_a_working_command(kb_env: Settings, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(kb_env.data_dir, data_dir)  # the seeded store and the indexed knowledge base, as after a run
    received_message(data_dir)
    command = run_hints.shopdesk_command()
    lines = run_hints.try_lines(run_hints.try_hints(Settings(_env_file=None, data_dir=data_dir)), command)  # type: ignore[call-arg]
    assert lines[0] == "Try:" and len(lines) >= 6
    printed = [shlex.split(line.split("   # ")[0]) for line in lines[1:]]
    executable = printed[0][0]
    assert all(argv[0] == executable for argv in printed)
    assert executable in ("shopdesk", ".venv/bin/shopdesk") or Path(executable).is_absolute()
    found = shutil.which(executable)
    assert found, f"{executable} cannot be run from {Path.cwd()}"
    assert subprocess.run([found, "--help"], capture_output=True, text=True, timeout=120).returncode == 0

    group = typer.main.get_command(app)
    env = {"SHOPDESK_DATA_DIR": str(data_dir)}
    commands = {tuple(argv[1:3]) for argv in printed}
    assert {("inbox", "list"), ("inbox", "show"), ("outbox", "list"), ("chat", "--platform")} <= commands
    for argv in printed:
        args = argv[1:]
        # the options parse (required ones present, choices and ranges valid), as the shell would pass them
        ctx = group.make_context("shopdesk", list(args))
        name, sub, rest = group.resolve_command(ctx, list(args))
        if isinstance(sub, typer.core.TyperGroup):
            name, sub, rest = sub.resolve_command(sub.make_context(name, rest), rest)  # type: ignore[arg-type]
        sub.make_context(name, list(rest))  # type: ignore[union-attr]
        if args[0] == "chat":  # interactive: its customer must exist and write on that platform
            customer = args[args.index("--customer") + 1]
            shown = runner.invoke(app, ["store", "customer", customer, "--json"], env=env)
            assert shown.exit_code == 0, shown.output
            assert "amazon" in json.dumps(json.loads(shown.stdout))
            continue
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, (args, result.output)
        assert "error" not in result.stderr.lower(), (args, result.stderr)
