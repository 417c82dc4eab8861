"""The one settings object: nested sections, each read from `RAG_*` environment variables.

Each section is its own `BaseSettings` with its own prefix so that the variable names
clients rely on (`RAG_CHROMA_PATH`, `RAG_LLM_BASE_URL`, ...) stay flat while the object
stays nested. Secrets (API keys) are read from the environment only, never from files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import limits
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Keys shorter than this are refused: a key is the only thing between a caller and the API.
MIN_KEY_CHARS = 16

_ORIGIN = re.compile(
    r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^https?://\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$"
)


def _section(prefix: str, *, secret: bool = False) -> SettingsConfigDict:
    # `secret`: a validation error must not echo the offending value (it may be a key).
    return SettingsConfigDict(
        env_prefix=prefix, extra="ignore", frozen=True, hide_input_in_errors=secret
    )


def _comma_separated(value: object) -> object:
    """`a, b,c` -> ("a", "b", "c"); other values (already a sequence) pass through."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def _check_rate(value: str | None, env: str) -> str | None:
    if value is None or not value.strip() or value.strip().lower() in ("off", "none"):
        return None
    try:
        limits.parse(value)
    except ValueError:
        raise ValueError(
            f"{env}={value!r} is not a rate; write it like `20/minute`, `5 per second` "
            "or `1000/day`"
        ) from None
    return value.strip()


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
    timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Seconds an API worker waits for one call to the Chroma server before "
        "answering 503 (the ingest job waits longer).",
    )


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
        # Each group costs a few Chroma calls of 5-10 ms apart from its records: 64
        # ingested 1,000 synthetic articles 12 % faster than 32 (docs/performance.md).
        64,
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
    annotate: bool = Field(
        True,
        description="Run the language pipeline over every sentence at ingest and store its "
        "entities, lemmas, dates, numbers and relations with the chunk (the answer checks "
        "read them); false skips it (faster ingest, weaker answer checks).",
    )
    nlp_processes: int = Field(
        2,
        ge=1,
        le=16,
        description="Processes the language pipeline parses a large group of sentences in, "
        "when RAG_INGEST_PROCESSES is 1 (else each of those processes parses its own groups).",
    )
    processes: int = Field(
        0,
        ge=0,
        le=64,
        description="Processes that read, chunk, sign (MinHash) and annotate the files of a "
        "large run while the ingest process embeds and writes: 0 = one per CPU, 1 = all in the "
        "ingest process. The stored records are the same either way.",
    )
    pool_min_files: int = Field(
        100,
        ge=1,
        description="Files a run must read or write (in more than one group) before it starts "
        "those processes: each loads the splitter and the language pipeline, seconds of work "
        "a small run does not win back.",
    )


class LexicalSettings(BaseSettings):
    """Where the derived lexical index (BM25, term statistics, vocabulary) is kept."""

    model_config = _section("RAG_LEXICAL_")

    dir: Path | None = Field(
        None,
        description="Folder shared by the workers and the ingest job for the lexical index of "
        "each collection generation (unset: `lexical` inside RAG_CHROMA_PATH). A cache: "
        "rebuilt from Chroma when missing or stale.",
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
        description="Token budget (tiktoken) for the evidence sentences put into the prompt.",
    )
    neighbours: int = Field(
        1,
        ge=0,
        le=5,
        description="Chunks before and after each hit read to complete an evidence sentence "
        "for the LLM (the sentence before one that opens with a pronoun).",
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
    lead_with_answer: bool = Field(
        True,
        description="After re-ranking, the chunk whose sentence the extractive answer quotes "
        "first comes first, when the answer checks pass (`RAG_ANSWER_MIN_SCORE`); see "
        "docs/retrieval.md.",
    )
    repair_spelling: bool = Field(
        True,
        description="Replace misspelt question words (words the corpus never uses and "
        "English does not know) with the corpus's closest word.",
    )


class AnswerSettings(BaseSettings):
    """The extractive answerer and abstention."""

    model_config = _section("RAG_ANSWER_")

    mode: Literal["auto", "extractive", "llm", "select"] = Field(
        "auto",
        description="`auto`: the LLM when RAG_LLM_BASE_URL is set, else extractive; "
        "`select`: the LLM only picks which extractive candidate sentences answer "
        "(docs/llm.md).",
    )
    min_score: float = Field(
        0.22,
        ge=-1,
        le=1,
        description="Abstain when no sentence's answer score (how well it holds what the "
        "question asks for) reaches this (see docs/abstention.md); in `llm` mode the model "
        "is then not asked.",
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


class FollowUpSettings(BaseSettings):
    """How a follow-up question ("Which ministers joined him on that call?") becomes the
    standalone question that is searched (docs/followups.md)."""

    model_config = _section("RAG_FOLLOWUP_")

    mode: Literal["auto", "offline", "llm", "none"] = Field(
        "auto",
        description="`offline`: a deterministic rewrite from the earlier turns; `llm`: the "
        "LLM condenses follow-ups (the offline rewrite if it fails); `auto`: `llm` when "
        "RAG_LLM_BASE_URL and RAG_LLM_MODEL are set, else `offline`; `none`: search the "
        "question as typed.",
    )
    timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Seconds to wait for the LLM's standalone question before the offline "
        "rewrite is used.",
    )
    messages: int = Field(
        6,
        ge=1,
        le=50,
        description="Most recent history messages the LLM sees when condensing.",
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
    shutdown_grace_s: int = Field(
        10,
        ge=0,
        le=600,
        description="On SIGTERM, seconds in-flight requests and answer streams get to finish "
        "before they are cut (raise it to RAG_LLM_TIMEOUT_S to finish the slowest LLM answer).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level of the JSON logs."
    )
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = Field(
        default_factory=tuple,
        description="Proxies (comma-separated IPs or CIDRs; `*` = any) whose "
        "`X-Forwarded-For` names the client; unset = the connecting address is the client.",
    )

    _split = field_validator("forwarded_allow_ips", mode="before")(_comma_separated)


class AccessSettings(BaseSettings):
    """Who may call `/v1/*`, and the Redis that workers share rate limits and Slack
    de-duplication through."""

    model_config = _section("RAG_", secret=True)

    api_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default_factory=tuple,
        description="Bearer keys (comma-separated, 16+ characters each) for every `/v1/*` "
        "route; unset = the API is open.",
    )
    widget_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default_factory=tuple,
        description="Public keys for web pages (comma-separated, 16+ characters each): only "
        "`POST /v1/ask`, `POST /v1/feedback` and `GET /v1/sources/{source}/text`, always "
        "rate-limited.",
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Redis for rate limits and Slack de-duplication shared by all workers, "
        "e.g. `redis://127.0.0.1:6379/0`; unset = kept in each process.",
    )

    _split = field_validator("api_keys", "widget_keys", mode="before")(_comma_separated)

    @model_validator(mode="after")
    def _keys_usable(self) -> AccessSettings:
        for env, keys in (("RAG_API_KEYS", self.api_keys), ("RAG_WIDGET_KEYS", self.widget_keys)):
            if any(len(k.get_secret_value()) < MIN_KEY_CHARS for k in keys):
                raise ValueError(
                    f"{env}: every key needs at least {MIN_KEY_CHARS} characters; "
                    "make one with `openssl rand -hex 24`"
                )
        api = {k.get_secret_value() for k in self.api_keys}
        if api & {k.get_secret_value() for k in self.widget_keys}:
            raise ValueError("a key is in both RAG_API_KEYS and RAG_WIDGET_KEYS; use distinct keys")
        return self


class RateLimitSettings(BaseSettings):
    """Budgets per principal on the question routes (every `POST /v1/*`), as `N/period`;
    `off` (or unset, where allowed) disables one."""

    model_config = _section("RAG_RATE_LIMIT_")

    api_key: str | None = Field(
        None, description="Questions per API key, e.g. `600/minute`; unset = unlimited."
    )
    widget: str = Field(
        "20/minute", description="Questions per widget key and client IP (always limited)."
    )
    widget_reads: str = Field(
        "120/minute",
        description="Article-text reads (opening a citation) per widget key and client IP.",
    )
    ip: str | None = Field(
        None,
        description="Questions per client IP without a key; unset = unlimited (the eval "
        "harness and load tests rely on that).",
    )
    slack_user: str | None = Field(
        "20/minute", description="Questions per Slack user (team and user id)."
    )
    failed_auth: str | None = Field(
        "10/minute",
        description="Failed key attempts (a bearer key that matches none) per client IP; "
        "over it, every key from that IP gets 429 until the window moves on. `off` "
        "disables it.",
    )
    on_redis_error: Literal["allow", "refuse"] = Field(
        "allow",
        description="When RAG_REDIS_URL cannot be reached: `allow` answers without limits "
        "(logged), `refuse` answers 503.",
    )

    @field_validator("api_key", "widget", "widget_reads", "ip", "slack_user", "failed_auth")
    @classmethod
    def _is_rate(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_rate(value, f"RAG_RATE_LIMIT_{(info.field_name or '').upper()}")

    @model_validator(mode="after")
    def _widget_always_limited(self) -> RateLimitSettings:
        if self.widget is None or self.widget_reads is None:
            raise ValueError(
                "widget keys are public, so RAG_RATE_LIMIT_WIDGET and "
                "RAG_RATE_LIMIT_WIDGET_READS cannot be off"
            )
        return self


class SlackSettings(BaseSettings):
    """The Slack app: slash command and mentions. Unset signing secret = no Slack routes."""

    model_config = _section("RAG_SLACK_", secret=True)

    signing_secret: SecretStr | None = Field(
        None, description="The app's signing secret (Basic Information page); enables Slack."
    )
    bot_token: SecretStr | None = Field(
        None, description="Bot token (`xoxb-...`) for replies to mentions in threads."
    )
    api_base: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (tests use loopback)."
    )
    command_response: Literal["in_channel", "ephemeral"] = Field(
        "in_channel",
        description="Who sees a slash command's answer: the channel, or only the asker.",
    )
    dedupe_ttl_s: int = Field(
        3600,
        ge=60,
        le=86_400,
        description="Seconds an event or command id is remembered so that Slack's retries "
        "are not answered twice.",
    )
    drain_s: float = Field(
        30.0, gt=0, le=600, description="Seconds shutdown waits for answers still being sent."
    )


class CorsSettings(BaseSettings):
    """Which other web origins may call the API from a browser (the widget on their pages)."""

    model_config = _section("RAG_CORS_")

    origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (`https://news.example.com`) whose pages may "
        "call the API from a browser; `*` allows any. Unset: only the service's own pages.",
    )

    @field_validator("origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            return value
        origins = [str(part).strip().rstrip("/") for part in value if str(part).strip()]
        for origin in origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(
                    f"RAG_CORS_ORIGINS: {origin!r} is not an origin; write scheme, host and "
                    "optional port without a path, e.g. https://news.example.com"
                )
        return origins


class ChatSettings(BaseSettings):
    """The OpenAI-compatible chat-completions route (docs/chat-clients.md)."""

    model_config = _section("RAG_CHAT_")

    model_name: str = Field(
        "newsrag",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
        description="Model id that `/v1/models` lists and `/v1/chat/completions` accepts.",
    )
    sources_list: bool = Field(
        True,
        description="Append a markdown Sources list (title, date, quote) to chat answers, "
        "for chat clients that ignore the `citations` field; a request's `sources_list` "
        "overrides it.",
    )


class MetricsSettings(BaseSettings):
    """The Prometheus metrics at `GET /metrics`."""

    model_config = _section("RAG_METRICS_")

    dir: Path | None = Field(
        None,
        description="Where `python -m service` makes a fresh directory, per start, for the "
        "metric files its workers share (removed at exit); unset: the system temp directory.",
    )
    require_key: bool = Field(
        False,
        description="Put `/metrics` behind the same access check as `/v1/*` (open by default).",
    )


class FeedbackSettings(BaseSettings):
    """The answer log and readers' feedback (docs/feedback.md): SQLite beside the index,
    or PostgreSQL."""

    model_config = _section("RAG_FEEDBACK_", secret=True)

    url: SecretStr | None = Field(
        None,
        description="PostgreSQL for the answer log shared by every host, e.g. "
        "`postgresql://user:password@db:5432/newsrag`; unset = the SQLite file "
        "`feedback.sqlite3` in RAG_CHROMA_PATH (one host, any number of workers).",
    )
    retention_days: int = Field(
        90,
        ge=0,
        le=3650,
        description="Days an answer and its feedback are kept (questions may hold personal "
        "data); 0 turns the answer log and feedback off.",
    )
    queue: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Answers waiting to be written before new ones are dropped (logged); "
        "writes happen after the response, never in its way.",
    )

    @field_validator("url")
    @classmethod
    def _database(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = value.get_secret_value().split(":", 1)[0].lower()
        if scheme not in ("postgresql", "postgres", "postgresql+psycopg", "sqlite"):
            raise ValueError(
                "RAG_FEEDBACK_URL must name PostgreSQL (postgresql://user:password@host/db) "
                "or SQLite (sqlite:////path/to/file.sqlite3)"
            )
        return value


class Settings(BaseSettings):
    """Everything the service and the ingest job are configured by (the eval harness adds
    `evals.settings.EvalSettings`)."""

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
    lexical: LexicalSettings = Field(default_factory=LexicalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    followup: FollowUpSettings = Field(default_factory=FollowUpSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    cors: CorsSettings = Field(default_factory=CorsSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)

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
    def followup_mode(self) -> Literal["offline", "llm", "none"]:
        """The follow-up mode with `auto` decided."""
        mode = self.followup.mode
        if mode == "auto":
            configured = self.llm.base_url is not None and self.llm.model is not None
            return "llm" if configured else "offline"
        return mode

    @property
    def lexical_dir(self) -> Path:
        return self.lexical.dir or self.chroma.path / "lexical"

    @property
    def use_llm(self) -> bool:
        if self.answer.mode == "extractive":
            return False
        return self.llm.base_url is not None or self.answer.mode in ("llm", "select")
