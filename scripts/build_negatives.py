"""Build the negatives-only evaluation sets: answerable questions with their answers removed.

For every answerable question of a dataset, the question's gold articles and their
near-copies (ingest's MinHash estimate at the ingest dedupe threshold) are left out of the
corpus. The question is kept when the remaining articles are not empty and none of them
holds any alternative of any key fact (dates also in their other written forms), and when
a person who read the remaining articles found no answer there either:
evals/datasets/negatives_judgements.jsonl records what was verified for each kept row
("keep", loaded as `HAND_CHECKED`) and the questions a remaining article answers in other
words ("drop", loaded as `MANUAL_DROPS`). The output is deterministic; re-run after
changing a dataset, its articles or the judgements:

    .venv/bin/python scripts/build_negatives.py

docs/negatives.md describes the sets and how a harness must use them.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from evals.metrics import contains_fact
from evals.negatives.dataset import ID_SUFFIX, Negative
from evals.questions.dataset import Question, load_dataset
from ingest.dedupe import Signature, signature, similarity
from ingest.reader import discover, read_article
from service.settings import IngestSettings

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Corpus:
    """A dataset, the folder of articles it is asked over, and its negatives file."""

    name: str
    dataset: Path
    articles: Path
    output: Path


CORPORA = (
    Corpus(
        name="articles",
        dataset=ROOT / "evals" / "datasets" / "articles.jsonl",
        articles=ROOT / "data" / "articles",
        output=ROOT / "evals" / "datasets" / "negatives.jsonl",
    ),
    Corpus(
        name="second",
        dataset=ROOT / "evals" / "datasets" / "second" / "questions.jsonl",
        articles=ROOT / "evals" / "datasets" / "second" / "articles",
        output=ROOT / "evals" / "datasets" / "second" / "negatives.jsonl",
    ),
    Corpus(
        name="third",
        dataset=ROOT / "evals" / "datasets" / "third" / "questions.jsonl",
        articles=ROOT / "evals" / "datasets" / "third" / "articles",
        output=ROOT / "evals" / "datasets" / "third" / "negatives.jsonl",
    ),
)

# The reader's judgements, one JSON object a line: `{"id", "judgement", "note"}`.
# "drop": a question that passes the automatic checks but that a remaining article still
# answers in other words (a paraphrase, a partial answer, an answer that can be derived),
# found by reading every remaining article; a negative must have refusal as its only right
# outcome. "keep": what the reader verified for a kept question after reading every
# remaining article in full (articles are named by their leading number).
JUDGEMENTS = ROOT / "evals" / "datasets" / "negatives_judgements.jsonl"


def load_judgements(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(manual drops, hand-check notes), each a note by question id, in file order."""
    tables: dict[str, dict[str, str]] = {"drop": {}, "keep": {}}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        entry = json.loads(line)
        judgement, qid = entry["judgement"], entry["id"]
        if judgement not in tables or any(qid in table for table in tables.values()):
            raise ValueError(f"{path.name}:{number}: unknown judgement or repeated id {qid!r}")
        tables[judgement][qid] = entry["note"]
    return tables["drop"], tables["keep"]


MANUAL_DROPS, HAND_CHECKED = load_judgements(JUDGEMENTS)


# -- corpus ------------------------------------------------------------------------------


def read_corpus(folder: Path) -> dict[str, str]:
    """Article text by source name, exactly as ingest reads and names the files."""
    max_bytes = int(IngestSettings.model_fields["max_file_bytes"].default)
    paths, _ = discover(folder)
    articles = (read_article(folder, path, max_bytes) for path in paths)
    return {article.source: article.text for article in articles}


def dedupe_threshold() -> float:
    """The ingest default, not the environment: the committed files must not depend on it."""
    return float(IngestSettings.model_fields["dedupe_threshold"].default)


def signatures(texts: Mapping[str, str]) -> dict[str, Signature]:
    return {source: signature(text) for source, text in texts.items()}


def excluded_for(gold: Iterable[str], sigs: Mapping[str, Signature], threshold: float) -> list[str]:
    """The gold sources and every article ingest would take for a copy of one of them."""
    gold = set(gold)
    unknown = sorted(gold - set(sigs))
    if unknown:
        raise ValueError(f"gold sources missing from the corpus: {unknown}")
    copies = {
        other
        for source in gold
        for other in sigs
        if other not in gold and similarity(sigs[source], sigs[other]) >= threshold
    }
    return sorted(gold | copies)


# -- dates -------------------------------------------------------------------------------

# English names spelled out rather than taken from `calendar`, whose names follow the locale.
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {name.casefold(): i for i, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS |= {name[:3].casefold(): i for i, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS["sept"] = 9
_WEEKDAYS = {name.casefold() for name in _DAY_NAMES}
_WEEKDAY_ABBR = {"Tuesday": ("Tues",), "Wednesday": ("Weds",), "Thursday": ("Thur", "Thurs")}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(_WEEKDAYS))
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(
    rf"(?:(?P<weekday>{_WEEKDAY}),?\s+)?(?:the\s+)?"
    rf"(?:(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{_MONTH})\.?"
    rf"|(?P<month2>{_MONTH})\.?\s+(?P<day2>\d{{1,2}}){_ORDINAL})"
    rf"(?:,?\s+(?P<year>\d{{4}}))?",
    re.IGNORECASE,
)
_ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")
_ONLY_MONTH = re.compile(rf"(?P<month>{_MONTH})\.?", re.IGNORECASE)
_ONLY_WEEKDAY = re.compile(rf"(?P<weekday>{_WEEKDAY})", re.IGNORECASE)


def _day_forms(day: int, month: int, year: int | None, weekday: str | None) -> list[str]:
    full = _MONTH_NAMES[month - 1]
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    forms = [f"{day} {full}", f"{full} {day}"]
    if full[:3] != full:  # "May" has no abbreviation
        abbr = full[:3]
        forms += [f"{day} {abbr}", f"{day} {abbr}.", f"{abbr} {day}", f"{abbr}. {day}"]
    forms += [
        f"{day}{suffix} {full}",
        f"{day}{suffix} of {full}",
        f"{full} {day}{suffix}",
        # The ISO form without its year still matches inside any ISO date of that day.
        f"{month:02d}-{day:02d}",
    ]
    if year is not None:
        forms += [
            f"{day} {full} {year}",
            f"{full} {day}, {year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{day:02d}/{month:02d}/{year}",
            f"{day:02d}.{month:02d}.{year}",
            f"{day}.{month}.{year}",
        ]
        weekday = weekday or _DAY_NAMES[date(year, month, day).weekday()]
    if weekday is not None:
        name = weekday.capitalize()
        forms += [f"{name} {day} {full}", f"{name}, {day} {full}", f"{name}, {full} {day}"]
    return forms


def _parse_day(text: str) -> tuple[int, int, int | None, str | None] | None:
    """(day, month, year, weekday) of a written calendar day, None if it is not one."""
    if match := _ISO.fullmatch(text):
        day, month = int(match.group("day")), int(match.group("month"))
        year: int | None = int(match.group("year"))
        weekday = None
    elif match := _DAY_MONTH.fullmatch(text):
        day = int(match.group("day") or match.group("day2"))
        month = _MONTHS[(match.group("month") or match.group("month2")).casefold()]
        year = int(match.group("year")) if match.group("year") else None
        weekday = match.group("weekday")
    else:
        return None
    try:
        date(year or 2000, month, day)  # a leap year admits 29 February without a year
    except ValueError:
        return None
    return day, month, year, weekday


def date_forms(alias: str) -> list[str]:
    """The alias and, when it is a date, the other ways news copy writes the same date.

    "25 November 2025" also gives "November 25, 2025", "2025-11-25", "25 Nov", "Nov. 25",
    "Tuesday 25 November" and so on; a lone month or weekday gives its abbreviations.
    Anything else is returned unchanged.
    """
    text = " ".join(alias.split())
    forms = [alias]
    if (parsed := _parse_day(text)) is not None:
        forms += _day_forms(*parsed)
    elif match := _ONLY_MONTH.fullmatch(text):
        full = _MONTH_NAMES[_MONTHS[match.group("month").casefold()] - 1]
        forms += [full, full[:3], f"{full[:3]}."] if full[:3] != full else [full]
    elif match := _ONLY_WEEKDAY.fullmatch(text):
        name = match.group("weekday").capitalize()
        forms += [name, name[:3], f"{name[:3]}.", *_WEEKDAY_ABBR.get(name, ())]
    return list(dict.fromkeys(forms))


def fact_variants(fact: Sequence[str]) -> list[str]:
    """Every alternative of a fact, dates expanded into their other written forms."""
    return list(dict.fromkeys(form for alias in fact for form in date_forms(alias)))


def facts_found(question: Question, texts: Mapping[str, str]) -> list[tuple[str, str]]:
    """(alternative, source) for each form of a key fact that occurs in one of `texts`."""
    hits: list[tuple[str, str]] = []
    for fact in question.facts:
        for form in fact_variants(fact):
            hits += [
                (form, source) for source, text in texts.items() if contains_fact(text, [form])
            ]
    return hits


# -- building ----------------------------------------------------------------------------

NO_REMAINING = "no remaining articles"
FACT_REMAINS = "fact in a remaining article"
BY_HAND = "by hand"
DROP_KINDS = (NO_REMAINING, FACT_REMAINS, BY_HAND)


@dataclass(frozen=True)
class Drop:
    """An answerable question left out of the negatives, and why."""

    source_id: str
    kind: str  # one of DROP_KINDS
    detail: str


@dataclass(frozen=True)
class Outcome:
    corpus: Corpus
    rows: list[Negative]
    drops: list[Drop]
    # Near-copies excluded beyond the gold sources, by question id.
    copies: dict[str, list[str]]


def build(
    corpus: Corpus,
    manual_drops: Mapping[str, str] = MANUAL_DROPS,
    hand_checked: Mapping[str, str] = HAND_CHECKED,
) -> Outcome:
    """The negatives of one corpus, in dataset order, and the drops with their reasons.

    Raises ValueError when a kept question has no hand-check note, or when a table names
    a question of this dataset that is dropped before the table is consulted (a stale entry).
    """
    texts = read_corpus(corpus.articles)
    sigs = signatures(texts)
    threshold = dedupe_threshold()
    rows: list[Negative] = []
    drops: list[Drop] = []
    copies: dict[str, list[str]] = {}
    unchecked: list[str] = []
    stale: set[str] = set()
    for question in load_dataset(corpus.dataset):
        if not question.answerable:
            continue
        excluded = excluded_for(question.sources, sigs, threshold)
        if extra := sorted(set(excluded) - set(question.sources)):
            copies[question.id] = extra
        remaining = {s: t for s, t in texts.items() if s not in excluded}
        hits = facts_found(question, remaining)
        if not remaining:
            drop = Drop(question.id, NO_REMAINING, "every article is excluded")
        elif hits:
            detail = "; ".join(f"{form!r} in {source}" for form, source in hits)
            drop = Drop(question.id, FACT_REMAINS, detail)
        elif question.id in manual_drops:
            drop = Drop(question.id, BY_HAND, manual_drops[question.id])
        elif question.id in hand_checked:
            rows.append(
                Negative(
                    id=question.id + ID_SUFFIX,
                    source_id=question.id,
                    question=question.question,
                    excluded=excluded,
                    split=question.split,
                    tags=question.tags,
                    answerable=False,
                    checked=hand_checked[question.id],
                )
            )
            continue
        else:
            unchecked.append(question.id)
            continue
        drops.append(drop)
        # A note or a manual reason for a question dropped earlier in the chain is stale.
        if question.id in hand_checked or (drop.kind != BY_HAND and question.id in manual_drops):
            stale.add(question.id)
    if unchecked:
        raise ValueError(
            f"{corpus.name}: kept questions without a hand check: {unchecked}. Read the "
            'remaining articles, then add a "keep" note or a "drop" reason to '
            f"{JUDGEMENTS.name}"
        )
    if stale:
        raise ValueError(
            f"{corpus.name}: table entries for questions dropped before the table is used: "
            f"{sorted(stale)}; remove them from {JUDGEMENTS.name}"
        )
    return Outcome(corpus=corpus, rows=rows, drops=drops, copies=copies)


def render(rows: Iterable[Negative]) -> str:
    """JSON Lines in the style of the datasets: one object a line, UTF-8 unescaped."""
    return "".join(json.dumps(row.model_dump(), ensure_ascii=False) + "\n" for row in rows)


def summary(outcome: Outcome) -> str:
    kept = Counter(row.split for row in outcome.rows)
    kinds = Counter(drop.kind for drop in outcome.drops)
    copies = "; ".join(f"{qid}: {', '.join(c)}" for qid, c in outcome.copies.items())
    lines = [
        f"{outcome.corpus.name}: kept {len(outcome.rows)} "
        f"(dev {kept['dev']}, test {kept['test']}), dropped {len(outcome.drops)} "
        f"({', '.join(f'{kind} {kinds[kind]}' for kind in DROP_KINDS)})",
        f"  near-copies excluded beyond the gold sources: {copies or 'none'}",
    ]
    lines += [f"  drop {d.source_id} [{d.kind}]: {d.detail}" for d in outcome.drops]
    return "\n".join(lines)


def main() -> int:
    known = {q.id for corpus in CORPORA for q in load_dataset(corpus.dataset)}
    unknown = sorted((set(MANUAL_DROPS) | set(HAND_CHECKED)) - known)
    if unknown:
        print(f"table entries for unknown questions: {unknown}", file=sys.stderr)
        return 1
    try:
        outcomes = [build(corpus) for corpus in CORPORA]
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    for outcome in outcomes:
        outcome.corpus.output.write_text(render(outcome.rows), encoding="utf-8")
        print(summary(outcome))
        print(f"  wrote {outcome.corpus.output.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
