"""Print the README's settings table from the Settings model (the single definition)."""

from __future__ import annotations

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from service.settings import Settings


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None or field.default is None:
        return "unset"
    return f"`{field.default}`"


def rows() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseSettings):
            prefix = str(section.model_config.get("env_prefix", ""))
            for sub, sub_field in section.model_fields.items():
                env = f"{prefix}{sub}".upper()
                out.append((env, sub_field.description or "", _default(sub_field)))
        else:
            env = f"RAG_{name}".upper()
            out.append((env, field.description or "", _default(field)))
    return out


def main() -> None:
    print("| variable | meaning | default |")
    print("|---|---|---|")
    for env, description, default in rows():
        print(f"| `{env}` | {description} | {default} |")


if __name__ == "__main__":
    main()
