"""The examples' embeddings are kept in the data dir between starts: read back exactly, recomputed when the
file is torn or belongs to other examples, never unpickled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.triage.classifier import _embedded


class CountingEmbedder:
    model_name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.array([[float(len(t)), float(i)] for i, t in enumerate(texts)], dtype=np.float32)


def test_embeddings_are_computed_once_and_read_back(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    first = _embedded(["where is my order", "refund?"], embedder, tmp_path)  # type: ignore[arg-type]
    again = _embedded(["where is my order", "refund?"], embedder, tmp_path)  # type: ignore[arg-type]
    assert embedder.calls == 1 and np.array_equal(first, again)
    assert len(list(tmp_path.glob("intent-embeddings-*.npy"))) == 1


def test_other_examples_get_their_own_file(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    _embedded(["a"], embedder, tmp_path)  # type: ignore[arg-type]
    _embedded(["a", "b"], embedder, tmp_path)  # type: ignore[arg-type]
    assert embedder.calls == 2 and len(list(tmp_path.glob("intent-embeddings-*.npy"))) == 2


def test_a_torn_file_is_recomputed_and_replaced(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    _embedded(["a", "b"], embedder, tmp_path)  # type: ignore[arg-type]
    path = next(tmp_path.glob("intent-embeddings-*.npy"))
    path.write_bytes(b"\x93NUMPY garbage")
    result = _embedded(["a", "b"], embedder, tmp_path)  # type: ignore[arg-type]
    assert embedder.calls == 2 and result.shape == (2, 2)
    assert np.load(path, allow_pickle=False).shape == (2, 2)


def test_without_a_cache_dir_nothing_is_written(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    _embedded(["a"], embedder, None)  # type: ignore[arg-type]
    _embedded(["a"], embedder, None)  # type: ignore[arg-type]
    assert embedder.calls == 2 and not list(tmp_path.iterdir())
