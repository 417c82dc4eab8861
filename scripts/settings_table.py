"""Print the README's settings table from the settings models (the single definition): the
service's and ingest's `Settings`, then the eval harness's `EvalSettings`."""

from __future__ import annotations

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from evals.settings import EvalSettings
from service.settings import Settings


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None or field.default is None:
        return "unset"
    return f"`{field.default}`"


def _section_rows(section: type[BaseSettings]) -> list[tuple[str, str, str]]:
    prefix = str(section.model_config.get("env_prefix", ""))
    return [
        (f"{prefix}{name}".upper(), field.description or "", _default(field))
        for name, field in section.model_fields.items()
    ]


def rows() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseSettings):
            out += _section_rows(section)
        else:
            env = f"RAG_{name}".upper()
            out.append((env, field.description or "", _default(field)))
    return out + _section_rows(EvalSettings)


def main() -> None:
    print("| variable | meaning | default |")
    print("|---|---|---|")
    for env, description, default in rows():
        print(f"| `{env}` | {description} | {default} |")


if __name__ == "__main__":
    main()
