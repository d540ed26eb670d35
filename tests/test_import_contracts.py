"""The package direction (issue 16, item 1): the import-linter contracts in pyproject.toml hold.

ui/ and evals/ -> shopdesk/ -> runtime/ -> agent/ | channels/ -> knowledge/ -> tools/, indirect imports
included; the only exceptions are the commented `ignore_imports` there. Runs `lint-imports` from the same
environment as the tests, on this checkout (its root first on the path), and fails with the linter's report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_packages_depend_one_way() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists(), f"{lint} is missing: import-linter comes with the test extra (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"an import breaks the package direction:\n{done.stdout}\n{done.stderr}"
    assert " kept, 0 broken." in done.stdout, done.stdout  # some contract was read and checked
