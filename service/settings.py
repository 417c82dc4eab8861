"""The one settings object: nested sections, each read from `RAG_*` environment variables.

Each section is its own `BaseSettings` with its own prefix so that the variable names
clients rely on (`RAG_CHROMA_PATH`, `RAG_LLM_BASE_URL`, ...) stay flat while the object
stays nested. Secrets (API keys) are read from the environment only, never from files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", frozen=True)


class ChromaSettings(BaseSettings):
    """Where the index lives: an embedded store on disk, or a `chroma run` server."""

    model_config = _section("RAG_CHROMA_")

    path: Path = Field(
        Path("./.data/chroma"),
        description="Embedded Chroma directory (used when no host is set).",
    )
    host: str | None = Field(
        None, description="Chroma server host; when set, the server is used instead of `path`."
    )
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")


class EmbedderSettings(BaseSettings):
    """Which embedding model turns text into vectors."""

    model_config = _section("RAG_EMBED_")

    backend: Literal["onnx", "openai"] = Field(
        "onnx",
        description="`onnx`: the bundled all-MiniLM-L6-v2 (int8, offline); "
        "`openai`: an OpenAI-compatible /embeddings endpoint.",
    )
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Model name; for `openai` the name sent to the endpoint.",
    )
    base_url: str | None = Field(
        None, description="Endpoint for the `openai` backend (defaults to RAG_LLM_BASE_URL)."
    )
    api_key: SecretStr | None = Field(
        None, description="API key for the `openai` backend (defaults to RAG_LLM_API_KEY)."
    )
    dimensions: int = Field(
        384, ge=1, description="Vector size; checked against what the model returns."
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding call.")
    max_tokens: int = Field(
        256,
        ge=16,
        le=8192,
        description="The model's input window in its own tokens; chunks never exceed it.",
    )
    threads: int = Field(
        0, ge=0, le=64, description="onnxruntime intra-op threads; 0 = one per core."
    )


class ChunkingSettings(BaseSettings):
    """How articles are cut into chunks (tiktoken `cl100k_base` tokens, sentence-aware)."""

    model_config = _section("RAG_CHUNK_")

    size: int = Field(160, ge=32, le=8192, description="Target chunk size in tiktoken tokens.")
    overlap: int = Field(24, ge=0, le=1024, description="Tokens shared by neighbouring chunks.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingSettings:
        if self.overlap >= self.size:
            raise ValueError(
                f"RAG_CHUNK_OVERLAP ({self.overlap}) must be smaller than RAG_CHUNK_SIZE "
                f"({self.size})"
            )
        return self


class IngestSettings(BaseSettings):
    """Limits of the ingest job."""

    model_config = _section("RAG_INGEST_")

    max_file_bytes: int = Field(
        5_000_000, ge=1, description="Files larger than this are reported and skipped."
    )
    group_files: int = Field(
        32,
        ge=1,
        le=10_000,
        description="Files embedded and written to Chroma together (larger batches are faster).",
    )
    dedupe_threshold: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Articles whose MinHash Jaccard similarity (5-word shingles) to an indexed "
        "article reaches this are recorded as its copies and not indexed; 0 disables.",
    )


class LLMSettings(BaseSettings):
    """An optional OpenAI-compatible LLM; unset base URL means extractive answers only."""

    model_config = _section("RAG_LLM_")

    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1."
    )
    api_key: SecretStr | None = Field(None, description="API key for the endpoint.")
    model: str | None = Field(None, description="Model name sent to the endpoint.")
    timeout_s: float = Field(
        30.0, gt=0, le=600, description="Seconds to wait for the whole LLM answer."
    )
    first_token_timeout_s: float = Field(
        15.0, gt=0, le=600, description="Seconds to wait for the first streamed token."
    )
    max_retries: int = Field(
        2, ge=0, le=5, description="Retries of the LLM call; only before the first token."
    )
    max_tokens: int = Field(512, ge=16, le=8192, description="Maximum tokens to generate.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    context_tokens: int = Field(
        3000,
        ge=256,
        le=200_000,
        description="Token budget (tiktoken) for the passages put into the prompt.",
    )
    neighbours: int = Field(
        1,
        ge=0,
        le=5,
        description="Chunks before and after each hit added as context for the LLM.",
    )
    fallback: bool = Field(
        True,
        description="When the LLM fails, answer extractively with `fallback: true` "
        "instead of a 502/504.",
    )


class RetrievalSettings(BaseSettings):
    """How many chunks are retrieved and how."""

    model_config = _section("RAG_RETRIEVAL_")

    top_k: int = Field(8, ge=1, le=50, description="Default number of chunks an answer draws on.")
    mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid",
        description="`hybrid`: dense and BM25 fused by reciprocal rank; or either alone.",
    )
    dense_weight: float = Field(
        0.5,
        ge=0,
        le=10,
        description="Weight of the dense ranking in the fusion (BM25's is 1).",
    )
    rerank: int = Field(
        30,
        ge=0,
        le=200,
        description="Fused candidates re-ranked by their best sentence (0 = no re-ranking).",
    )
    candidates: int = Field(
        30, ge=1, le=500, description="Chunks each ranking contributes before fusion."
    )
    repair_spelling: bool = Field(
        True,
        description="Replace question words the corpus never uses with its closest word.",
    )


class AnswerSettings(BaseSettings):
    """The extractive answerer and abstention."""

    model_config = _section("RAG_ANSWER_")

    mode: Literal["auto", "extractive", "llm"] = Field(
        "auto",
        description="`auto`: the LLM when RAG_LLM_BASE_URL is set, else extractive.",
    )
    min_score: float = Field(
        0.22,
        ge=-1,
        le=1,
        description="Abstain when no sentence's answer score (how well it holds what the "
        "question asks for) reaches this (see docs/abstention.md).",
    )
    keep_ratio: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A further sentence that adds something the question asks for joins the "
        "answer only if it scores at least this share of the first sentence's score.",
    )
    max_sentences: int = Field(
        2, ge=1, le=10, description="Most sentences an extractive answer uses."
    )


class ServerSettings(BaseSettings):
    """The HTTP server and request limits."""

    model_config = _section("RAG_SERVER_")

    host: str = Field("127.0.0.1", description="Bind address of `python -m service`.")
    port: int = Field(8000, ge=1, le=65535, description="Port of `python -m service`.")
    max_question_chars: int = Field(2000, ge=1, description="Longest accepted question.")
    max_history: int = Field(20, ge=0, description="Most history messages accepted.")
    max_body_bytes: int = Field(64_000, ge=1024, description="Largest accepted request body.")
    heartbeat_s: float = Field(15.0, gt=0, description="Seconds between SSE keep-alive comments.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level of the JSON logs."
    )


class EvalSettings(BaseSettings):
    """Prices the eval harness uses to report the cost of LLM answers."""

    model_config = _section("RAG_EVAL_")

    price_prompt_per_1k: float = Field(
        0.0, ge=0, description="USD per 1,000 prompt tokens of the configured LLM."
    )
    price_completion_per_1k: float = Field(
        0.0, ge=0, description="USD per 1,000 completion tokens of the configured LLM."
    )


class Settings(BaseSettings):
    """Everything the service, the ingest job and the eval harness are configured by."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore", frozen=True)

    collection: str = Field(
        "articles",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]$",
        description="Chroma collection name (3-62 characters: letters, digits, `._-`).",
    )
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    embed: EmbedderSettings = Field(default_factory=EmbedderSettings)
    chunk: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)

    @model_validator(mode="after")
    def _chunks_fit_embedder(self) -> Settings:
        # English word-pieces outnumber tiktoken tokens, so a chunk size above the window
        # would be cut on nearly every chunk: refuse it here. Ingest re-splits the rare
        # chunk that still overflows (see ingest/chunker.py).
        if self.chunk.size > self.embed.max_tokens:
            raise ValueError(
                f"RAG_CHUNK_SIZE ({self.chunk.size}) exceeds the embedder's input window "
                f"RAG_EMBED_MAX_TOKENS ({self.embed.max_tokens}): the model would silently "
                "drop the rest of each chunk. Lower RAG_CHUNK_SIZE."
            )
        return self

    @property
    def use_llm(self) -> bool:
        if self.answer.mode == "extractive":
            return False
        return self.llm.base_url is not None or self.answer.mode == "llm"
