"""Shared fixtures: a fixed clock, one generated demo store copied per test, no network."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before anything imports gradio: no phoning home
for _name in [n for n in os.environ if n.startswith("SHOPDESK_LLM_")]:
    del os.environ[_name]  # a developer's own endpoint never leaks into a test: tests that want a model build one

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.seller_settings import SellerSettings
from shopdesk import kb_service
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.sandbox.generator import GeneratorConfig, generate
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR, SEED

_LOOPBACK = ("127.", "::1", "localhost")

pytest_plugins = ["agent_fixtures"]  # classifier, retriever, runtime, say...: agent and security tests share them


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond loopback fails the test (tests never reach the internet)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.db"
    store = SandboxStore(path, clock=FixedClock(ANCHOR))
    store.load(generate(GeneratorConfig(seed=SEED, anchor=ANCHOR)), meta={"seed": str(SEED), "anchor": ANCHOR.isoformat()})
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(ANCHOR)


@pytest.fixture
def store(store_template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[SandboxStore]:
    """A fresh copy of the seeded demo store, on a clock fixed at the anchor."""
    path = tmp_path / "store.db"
    shutil.copy(store_template, path)
    with SandboxStore(path, clock=clock) as s:
        yield s


@pytest.fixture(scope="session")
def kb_env(tmp_path_factory: pytest.TempPathFactory, store_template: Path) -> Settings:
    """A data dir with the seeded store and the full knowledge base indexed, built once per session.

    Tests may search it and re-sync it (a no-op), but must not change it."""
    data_dir = tmp_path_factory.mktemp("kb-env")
    shutil.copy(store_template, data_dir / "store.db")
    settings = Settings(data_dir=data_dir)
    kb_service.index_knowledge(settings)
    return settings


@pytest.fixture
def service_settings(kb_env: Settings, tmp_path: Path) -> Settings:
    """Settings over a private copy of the session's store + KB, on a clock frozen 9 hours after the anchor."""
    data_dir = tmp_path / "data"
    shutil.copytree(kb_env.data_dir, data_dir)
    # autopilot on every channel (a new channel is draft-only): these services test what the agent sends alone
    SellerSettings().with_autopilot(True).save(data_dir / "seller_settings.json")
    return Settings(_env_file=None, data_dir=data_dir, now=ANCHOR.replace(hour=9), workers=2,  # type: ignore[call-arg]
                    poll_interval_s=0.05)
