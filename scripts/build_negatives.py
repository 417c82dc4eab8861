"""Build the negatives-only evaluation sets: answerable questions with their answers removed.

For every answerable question of a dataset, the question's gold articles and their
near-copies (ingest's MinHash estimate at the ingest dedupe threshold) are left out of the
corpus. The question is kept when the remaining articles are not empty and none of them
holds any alternative of any key fact (dates also in their other written forms), and when
a person who read the remaining articles found no answer there either: `HAND_CHECKED`
records what was verified for each kept row, `MANUAL_DROPS` the questions a remaining
article answers in other words. The output is deterministic; re-run after changing a
dataset, its articles or the tables below:

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

from evals.dataset import Question, load_dataset
from evals.metrics import contains_fact
from evals.negatives import ID_SUFFIX, Negative
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

# Questions that pass the automatic checks but that a remaining article still answers in
# other words (a paraphrase, a partial answer, an answer that can be derived), found by
# reading every remaining article. A negative must have refusal as its only right outcome.
MANUAL_DROPS: dict[str, str] = {
    # articles
    "q013": "004: the coalition agreed to keep military aid flowing to Ukraine to weaken "
    "Putin's war machine, a defensible answer",
    "q019": "001: Starmer announced UK, French and German military officials would work out "
    "the security plan with Ukraine's top military leadership in Kyiv",
    "q028": "002: Whitehall sees Trump as serious about the minerals-deal backstop and the deal "
    "'remains a serious consideration', a defensible UK position",
    "q035": "002/004: military chiefs are to meet in the UK on the peacekeeping force, so 'in "
    "the UK' is a defensible answer",
    "q037": "003: Zelensky is expected in Washington 'to make a deal with President Trump' on "
    "the peace plan, a defensible kind of deal",
    "q040": "000/003: Starmer hosts a coalition call on Tuesday 25 November 2025 and nothing "
    "says it is not the one asked about",
    "q050": "003: Ukraine pushed back against a plan with significant concessions to Moscow, "
    "which supports answering no",
    "q052": "000: Starmer wants next steps coordinated with US military planners and a strong "
    "political guarantee, a defensible answer",
    "q055": "001: UK defence officials met at Northwood throughout the week on the "
    "peacekeeping strategy, a defensible when",
    # second
    "s015": "n17: the February storm stopped all traffic for two days, so services resumed "
    "after two days",
    "s020": "n02: the county pays 60 per cent of the cost and n16 gives both costs, so its "
    "share of the NOK 36 million overrun follows",
    "s022": "n13: the council approved the subsidy in April (the result without the tally)",
    "s034": "n16: Moen commanded Havørn for 28 years, a supported answer to how long he "
    "worked there",
    "s041": "n02: Solgang is to cut diesel consumption by about a third, the saving in other words",
    # third
    "t002": "t03: Vestergaard adds a second title 'to the one she won in 2023' (the women's "
    "race), a defensible answer to an unqualified question",
    "t011": "t01/t02: Paul Marchetti is the race director in the latest remaining article, a "
    "defensible 'now' over what remains",
    "t051": "t19: Fenwick had been acting mayor 'since April last year' (dated 2026), the "
    "month without the day",
    "t062": "t24: last year's winner Hegeland Yachts showed a larger version of its "
    "award-winning design, a partial answer",
    "t065": "t05 (Thursday 12 June 2025): the race 'ends on Sunday', so the date follows",
}

# What the reader verified for each kept question after reading every remaining article
# in full (articles are named by their leading number).
HAND_CHECKED: dict[str, str] = {
    # articles
    "q001": "001/002/004 never mention Geneva or the 25 November call; the venues they name "
    "(Paris, Saudi Arabia, Moscow) are other meetings",
    "q002": "No remaining article mentions the Geneva talks or when they were held",
    "q003": "001/002/004 never mention Geneva; their coalition calls carry no date (002: "
    "'this Saturday' for another call)",
    "q004": "000/001/002/004 call it the draft or proposed plan with no point count; their "
    "'30' is the 30-day ceasefire",
    "q005": "Abu Dhabi and Driscoll appear in no remaining article; no army official meets "
    "Russians there",
    "q006": "No remaining article reports the overnight strikes on Kyiv, their deaths or the "
    "water and power cuts",
    "q008": "No remaining article names a Ukrainian official on a Zelensky trip to "
    "Washington (002: diplomats weigh Starmer joining him)",
    "q009": "No remaining article times a Zelensky trip to Washington (001: last month's "
    "signing collapsed; 002: no date)",
    "q010": "No remaining article reports a Zelensky-Starmer call; 004's 'good and "
    "productive' is Trump on his talks with Putin",
    "q014": "No remaining article has Starmer on Russian energy; 001/004 only say sanctions "
    "stay or tighten",
    "q016": "Knighton and the Chief of the Defence Staff appear in no remaining article",
    "q017": "001/002/004 name Macron attending, proposing a trip or tuning in; none reports "
    "what he told the coalition",
    "q018": "No remaining article has Macron on earlier security promises to Ukraine",
    "q020": "No remaining article says how much of the draft plan Ukraine could accept (004: "
    "Zelensky accepted a ceasefire proposal)",
    "q021": "No remaining article has the 'positive direction' remark or where Starmer made "
    "it; Downing Street in 002/004 is the office",
    "q022": "000/002/003/004 name no platform for Zelensky's thanks (003 quotes him without "
    "saying where)",
    "q023": "No remaining article names NATO's Secretary-General",
    "q025": "No remaining article has Starmer asking for a framework or deadline; 004 has "
    "'maximum pressure' and 'play games', not what to set",
    "q026": "000/002/003 have no Starmer accusation; 002 only reports Downing Street concern "
    "that Putin might obstruct the ceasefire",
    "q029": "The Black Sea pause and Saudi Arabia appear in no remaining article",
    "q030": "McFadden appears in no remaining article",
    "q031": "McFadden and UK defence spending appear in no remaining article",
    "q032": "No remaining article reports Trump weighing sanctions relief for Russia",
    "q033": "No remaining article quotes Zelensky on sanctions (004: 'strong pressure' on "
    "Russia, no sanctions, no Paris meeting)",
    "q036": "000/003/004 never mention the Oval Office or a Trump-Zelensky row",
    "q041": "No remaining article names a French defence minister",
    "q042": "No remaining article counts countries ready to contribute; 001's 30 nations "
    "attended Paris, 004's 25 leaders joined a call",
    "q044": "Healey is only listed as attending in 000; no remaining article quotes him to Putin",
    "q046": "001/003/004 name no UK defence secretary (004's Lammy is foreign secretary)",
    "q047": "Lavrov appears in no remaining article; 004's 'enduring peace' is Putin on a "
    "ceasefire",
    "q048": "Lavrov and his interview appear in no remaining article",
    "q049": "No remaining article has anyone telling Zelensky's team to prepare territorial talks",
    "q053": "No remaining article has a spokesperson on how long the UK has backed Ukraine "
    "(004 only dates the invasion to 2022)",
    "q054": "No remaining article mentions a plan B or the spokesperson's reply",
    "q058": "000/001/002/003 name no non-European participant of a virtual coalition call",
    "q059": "No remaining article gives an amount of frozen Russian assets",
    "q060": "Lagarde and the ECB appear in no remaining article",
    "q061": "No remaining article mentions seizing Russian assets (000 lists Yvette Cooper on "
    "a call only)",
    "q062": "001/002/003 name no UK foreign secretary (Lavrov and Rubio are Russian and US)",
    "q063": "Finland and Stubb appear in no remaining article",
    "q064": "No remaining article has Starmer naming a stage of military planning",
    "q065": "No remaining article says who persuaded Zelensky to accept a ceasefire proposal",
    "q066": "No remaining article reports a Ukrainian incursion into Russia; 003's Rostov "
    "drone attack is not one and has no month",
    "q067": "No remaining article has Zelensky's word for Putin's ceasefire answer",
    "q068": "No remaining article has Trump describing talks with Putin in Moscow",
    "q069": "No remaining article has Putin on what a ceasefire should lead to",
    "q070": "Nothing is called complicated in any remaining article",
    "q071": "Only 003 remains and it never mentions France or its president",
    "q072": "No remaining article dates the full-scale invasion (002's 'past three years' "
    "has no reference date)",
    "q073": "No remaining article has Starmer predicting what Putin must do (002's 'ball is "
    "in your court' is Healey)",
    # second
    "s002": "No remaining article gives Nordhav's 2025 passenger total (n13: 23 a sailing on "
    "the late ferry; n14: 212 on one sailing)",
    "s004": "Remaining articles give neither cost (n10 only the county's NOK 21.6 million "
    "overrun share)",
    "s005": "No remaining article gives a reason for the delay (n12 only says Solgang is due "
    "in September)",
    "s007": "No remaining article gives the last weekday departure to Brattøy (n01: island "
    "timetable 'adjusted', no times)",
    "s008": "No remaining article counts the petition's signatures (n10 mentions the "
    "petition only)",
    "s010": "No remaining article names the residents' association or its chair",
    "s011": "n09 mentions the ramp strike without a cost; no remaining article gives the "
    "repair estimate",
    "s012": "No remaining article gives wind speeds (n09/n17 mention the storm only)",
    "s016": "No remaining article counts passengers hit by the storm (n17: traffic stopped "
    "two days)",
    "s017": "No remaining article gives Hallvik-Sørnes fares (n08: NOK 120 Storvær return; "
    "n17: an April rise, no amounts)",
    "s019": "No remaining article names Sørnes's mayor (n12, n08/n14 name the mayors of "
    "Hallvik and Kvitsund)",
    "s021": "No remaining article gives the operating subsidy amounts (n06's NOK 21.6 "
    "million is the overrun share)",
    "s023": "Astrid Nyhus and the Coastal List appear in no remaining article",
    "s025": "n11 gives only the NOK 41 million budget, not the final cost; no other "
    "remaining article has it",
    "s026": "No remaining article gives the terminal's budget or final cost",
    "s027": "No remaining article reports the terminal opening, who opened it or when (n15 "
    "only mentions the new terminal)",
    "s028": "No remaining article names the waiting hall's architect",
    "s030": "No remaining article gives the Storvær season dates (n15: July sailings in general)",
    "s031": "No remaining article names the ship on the Storvær route (n17 names the route only)",
    "s032": "No remaining article counts the first sailing's passengers (n17: 3,850 over the "
    "first two weeks)",
    "s036": "No remaining article dates Solgang's entry into service (n13: 'in the autumn'; "
    "n12: due in September)",
    "s037": "Ingrid Fjelde and the naming ceremony appear in no remaining article",
    "s038": "No remaining article covers Solgang's first week in service (n06's delays "
    "precede delivery)",
    "s040": "No remaining article gives first-half 2026 passengers (n01: 1.42 million for 2025)",
    "s043": "No remaining article gives Solgang's capacity (n08's 40 cars are MF Terna's)",
    "s045": "Kvernes Verft and Eldvik appear in no remaining article",
    "s046": "No remaining article gives Brattøy's or Eldholm's population (n08: Storvær's 35 "
    "residents)",
    "s047": "No remaining article gives Nordhav's founding year (n09: Moen joined in 1992; "
    "n10: contract since 2019)",
    "s048": "No remaining article dates Moen's last voyage (n15/n16: Strand took command in May)",
    # third
    "t001": "t01 covers only the 2023 race (Mwangole); Keter appears in no remaining article",
    "t005": "t03 only says Keter set the record last year; no remaining article names an "
    "earlier holder",
    "t006": "t01 covers only 2023 (Vestergaard); Ferrante appears in no remaining article",
    "t007": "t02: Vestergaard did not start; t03 gives her 2025 time 2:24:40, not 2023's",
    "t008": "t03's half marathon winner Arancibia is the 2025 one; no remaining article names "
    "the 2024 half winner",
    "t009": "t01/t02 name no halfway leader (t02: a break at 30 kilometres in 2024)",
    "t010": "t01 gives 2023's 11,240 finishers and t03 2025's 14,105; none gives 2024's",
    "t013": "t03 mentions last year's race without its date; no other article dates it",
    "t014": "No remaining article is about the Tour of Valmora",
    "t016": "t04 covers only 2024 and numbers no stage 3; no 2025 stage result remains",
    "t018": "t05 only previews Sunday's final sprint; t04's Vandamme won the 2024 final stage",
    "t020": "t05 gives Brisco's 2025 deficit (34 seconds) and says Aalberg lost in the "
    "2024 time trial, no winning margin",
    "t021": "t05 gives the 2025 distance (812 kilometres) only",
    "t023": "t05 is before the crash; no remaining article reports Brisco abandoning",
    "t025": "t10 names only the 2024 and 2025 winners",
    "t026": "t07/t08/t09 end with the 2024 award; Okonkwo-Reid appears in none",
    "t027": "t08/t09 announce a regional award without a winner",
    "t028": "t07's favourite (Weathervane) is 2023's; t10 names no favourite",
    "t029": "t09/t10 give the later 20,000 pounds only, not what it was before",
    "t030": "t07 names 2023's chair (Ashe) and t10 2025's (Fenn); none names 2024's",
    "t031": "t07/t08/t09 name the 2023 and 2024 chairs only",
    "t033": "No remaining article is about the teaching awards",
    "t034": "t11 names only the 2024 Brenmoor winner (Oduya)",
    "t035": "No remaining article is about the teaching awards",
    "t036": "t11 gives the 2024 amount (10,000 pounds) only",
    "t037": "t15/t16 give 2025 quarters and a Q1 2024 comparison; no 2024 total remains",
    "t038": "t15/t16 give no 2023 revenue",
    "t039": "t15/t16 give no 2023 quarter",
    "t040": "t13/t14 give only 2023/2024 figures and a growth forecast",
    "t041": "t13/t14/t15 report no third quarter of 2025",
    "t042": "No remaining article gives a nine-month figure",
    "t043": "t14 says only that a successor is being sought; Aumann appears in no remaining "
    "article",
    "t045": "t15/t16 give 2025 quarterly profits only; t13 gives 2023's 31.5 million",
    "t046": "t15/t16 mention no dividend",
    "t047": "t17/t18 precede the 2026 election and name no winner",
    "t049": "t19 gives the 2026 turnout (46.8 per cent) only",
    "t050": "No remaining article gives Calloway's 2023 vote count (t19: 2026 totals only)",
    "t052": "t17 has Fenwick as deputy in 2023; no remaining article names who followed him",
    "t054": "t20 gives the 2023 attendance (38,500) only",
    "t055": "t20/t21 give the 2023 and 2024 attendance only",
    "t056": "t21/t22 give the sixteenth and seventeenth editions' figures only",
    "t058": "t21: Tierney steps down and a successor is still to be appointed; Pratt appears "
    "in no remaining article",
    "t059": "t22 gives 2025 refunds (48 and 40 pounds), no 2023 ticket price",
    "t060": "No remaining article is about the Velden Boat Show",
    "t061": "t23's Saltmarsh 34 is the 2024 winner; no 2025 winner remains",
    "t063": "t24 gives the 2025 record of 432 only",
    "t064": "t23 dates the 53rd show only",
    "t066": "t07/t09/t10 do not date the 2024 shortlist",
    "t068": "t01/t02 date only the 2023 and 2024 races",
    "t069": "t21/t22 compare with 2023 and 2024 only",
    "t070": "t24 compares with 2024 (64,300) only",
    "t071": "t08/t09/t10 give no 2022 submission count (t10: 231 in 2025)",
    "t073": "t19: 'highest for more than a decade', no earlier figure",
    "t074": "t15/t16 give 2025 quarterly profits only",
}


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
            "remaining articles, then add a note to HAND_CHECKED or a reason to MANUAL_DROPS"
        )
    if stale:
        raise ValueError(
            f"{corpus.name}: table entries for questions dropped before the table is used: "
            f"{sorted(stale)}; remove them from HAND_CHECKED / MANUAL_DROPS"
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
