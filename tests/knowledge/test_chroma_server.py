"""The server path: SHOPDESK_CHROMA_URL points the index at a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kbdata import SMALL_DOCS
from knowledge.index import KnowledgeIndex, chroma_client
from knowledge.retriever import Retriever
from shopdesk.settings import Settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    exe = Path(sys.executable).with_name("chroma")
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: {(tmp_path / 'chroma.log').read_text()}")
            time.sleep(0.2)
        else:
            raise RuntimeError("chroma server did not start in 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_index_and_search_through_a_chroma_server(chroma_server: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma_server)
    index = KnowledgeIndex(chroma_client(settings))
    report = index.sync(SMALL_DOCS)
    assert report.chunks_embedded == 5 and index.count() == 5
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally
    again = KnowledgeIndex(chroma_client(settings))  # a second client sees the same collection
    assert again.sync(SMALL_DOCS).chunks_embedded == 0
    top = Retriever(again).search("how long do refunds take", platform="walmart", k=1)[0]
    assert top.id == "returns-walmart#refund-timing-on-walmart"


def test_a_malformed_chroma_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SHOPDESK_CHROMA_URL must look like"):
        chroma_client(Settings(data_dir=tmp_path, chroma_url="localhost:8000"))
