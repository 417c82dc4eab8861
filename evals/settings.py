"""The eval harness's own settings, read from `RAG_EVAL_*` environment variables.

The service's settings (`service.settings.Settings`) configure what is evaluated; these
configure only the harness, so the service never reads them.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvalSettings(BaseSettings):
    """The eval harness: the key it calls a service with, and the prices it reports the cost
    of LLM answers with."""

    # `hide_input_in_errors`: a validation error must not echo the offending value (a key).
    model_config = SettingsConfigDict(
        env_prefix="RAG_EVAL_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    api_key: SecretStr | None = Field(
        None,
        description="Bearer key the harness sends to `--target` (one of that service's "
        "RAG_API_KEYS); in-process runs use the first of RAG_API_KEYS.",
    )
    price_prompt_per_1k: float = Field(
        0.0, ge=0, description="USD per 1,000 prompt tokens of the configured LLM."
    )
    price_completion_per_1k: float = Field(
        0.0, ge=0, description="USD per 1,000 completion tokens of the configured LLM."
    )

    @property
    def prices(self) -> tuple[float, float]:
        """(prompt, completion) USD per 1,000 tokens, as `summarize` takes them."""
        return self.price_prompt_per_1k, self.price_completion_per_1k
