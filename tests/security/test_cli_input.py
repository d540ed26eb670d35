"""Issue 18 item 11: numbers on the command line are range-checked: a clean "Invalid value" and exit 2, never an
OverflowError traceback from SQLite (64-bit integers) or a nonsense setting reaching the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from shopdesk.cli import app

runner = CliRunner()
HUGE = "99999999999999999999999"


@pytest.mark.parametrize("args", [
    ["inbox", "show", HUGE],
    ["inbox", "show", "0"],
    ["inbox", "show", "--", "-5"],
    ["outbox", "retry", "3", HUGE],
    ["inbox", "list", "--limit", HUGE],
    ["inbox", "list", "--limit", "-1"],
    ["store", "orders", "--limit", HUGE],
], ids=lambda a: " ".join(a))
def test_out_of_range_numbers_are_refused_cleanly(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, args, env={"SHOPDESK_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # click's usage error, not an OverflowError
    assert "Invalid value" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "app.db").exists()  # refused before anything was opened


def test_every_number_any_command_takes_has_a_range() -> None:
    """The class, not the instance: `serve --port`, `--workers`, `store seed --seed`, `run --duration`... and
    whatever command is added next (invoking those here would seed stores and start servers)."""
    unbounded = []

    def walk(command: Any, path: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")
        for param in getattr(command, "params", []):
            kind = param.bare_type()  # a type, or its name when the annotation is a string
            if getattr(kind, "__name__", kind) in ("int", "float") and (param.min is None or param.max is None):
                unbounded.append(f"{path} {param.name}")

    walk(typer.main.get_command(app), "shopdesk")
    assert unbounded == []


def test_an_id_in_range_that_does_not_exist_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inbox", "show", str(2**63 - 1)], env={"SHOPDESK_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and f"no inbox item {2**63 - 1}" in result.output
