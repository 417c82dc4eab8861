"""Answers as Slack Block Kit messages: the answer with its markers, then its sources."""

from __future__ import annotations

from typing import Any, Literal

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


FEEDBACK_BLOCK = "feedback"
RATING_ACTIONS: dict[str, Literal["up", "down"]] = {"feedback_up": "up", "feedback_down": "down"}
_RATED = {"up": ":+1: helpful", "down": ":-1: not helpful"}


def _button(action_id: str, label: str, request_id: str) -> Block:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": request_id,
    }


def feedback_buttons(request_id: str) -> Block:
    """Thumbs under an answer; their value is the answer's request id."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            _button("feedback_up", ":+1: Helpful", request_id),
            _button("feedback_down", ":-1: Not helpful", request_id),
        ],
    }


def rated_blocks(blocks: list[Block], rating: str, user_id: str) -> list[Block]:
    """The message's blocks with the reader's rating shown below the buttons."""
    kept = [b for b in blocks if b.get("block_id") != f"{FEEDBACK_BLOCK}-rated"]
    note = f"<@{escape(user_id)}> rated this answer {_RATED.get(rating, rating)}."
    kept.append(
        {
            "type": "context",
            "block_id": f"{FEEDBACK_BLOCK}-rated",
            "elements": [{"type": "mrkdwn", "text": note}],
        }
    )
    return kept


def answer_message(answer: Answer, request_id: str | None = None) -> tuple[str, list[Block]]:
    """(notification text, blocks). An abstention is said plainly, with no sources.
    With a request id, thumbs buttons to rate the answer follow it."""
    text, blocks = _answer_blocks(answer)
    if request_id:
        blocks.append(feedback_buttons(request_id))
    return text, blocks


def _answer_blocks(answer: Answer) -> tuple[str, list[Block]]:
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
