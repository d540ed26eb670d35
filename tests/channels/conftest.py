"""Channel fixtures: a data dir with the seeded store and the indexed knowledge base, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopdesk.settings import Settings

from testdata import ANCHOR


@pytest.fixture
def service_settings(kb_env: Settings, tmp_path: Path) -> Settings:
    """Settings over a private copy of the session's store + KB, on a clock frozen 9 hours after the anchor."""
    data_dir = tmp_path / "data"
    shutil.copytree(kb_env.data_dir, data_dir)
    return Settings(_env_file=None, data_dir=data_dir, now=ANCHOR.replace(hour=9), workers=2,  # type: ignore[call-arg]
                    poll_interval_s=0.05)
