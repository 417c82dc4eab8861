"""Answers as Slack Block Kit messages: the answer with its markers, then its sources."""

from __future__ import annotations

from typing import Any

from service.answer.base import Answer, Citation

Block = dict[str, Any]

ERROR_TEXT = "Sorry, something went wrong while answering; please try again in a minute."
# Slack's limits: 3,000 characters per section text, 50 blocks per message.
_SECTION_CHARS = 3000
_MAX_SOURCES = 40
_QUOTE_CHARS = 500


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only these three characters are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, _SECTION_CHARS)}}


def _source(citation: Citation) -> Block:
    heading = f"*[{citation.n}]* *{escape(citation.title or citation.source)}*"
    if citation.published:
        heading += f" · {citation.published}"
    quote = _clip(" ".join(citation.quote.split()), _QUOTE_CHARS)
    return _section(f"{heading}\n>{escape(quote)}\n`{escape(citation.source)}`")


def answer_message(answer: Answer) -> tuple[str, list[Block]]:
    """(notification text, blocks). An abstention is said plainly, with no sources."""
    blocks: list[Block] = [_section(escape(answer.text))]
    if answer.abstained:
        return answer.text, blocks
    if answer.citations:
        blocks.append({"type": "divider"})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "*Sources*"}]})
        blocks.extend(_source(c) for c in answer.citations[:_MAX_SOURCES])
    if answer.fallback:
        note = "Answered from the article sentences directly: the language model failed."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return answer.text, blocks


def notice_message(text: str) -> tuple[str, list[Block]]:
    """One short sentence: an error, a limit, or how to ask."""
    return text, [_section(escape(text))]
