"""Deterministic synthetic news articles, for benchmarks (no network, no data files).

Every article is plain English built from word lists and sentence templates: a headline,
then paragraphs of reporting, 300-600 words in all. About a third start with a
`date YYYY-MM-DD` marker before the headline, as the reader understands it. The same
seed always yields the same bytes, so timings of runs on different machines compare.

    .venv/bin/python scripts/synth_corpus.py OUT_FOLDER [--n 1000] [--seed 42]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

FIRST_NAMES = (
    "Amelia", "Oliver", "Priya", "Tomasz", "Fatima", "Daniel", "Chen", "Sofia", "Kwame",
    "Ingrid", "Rahul", "Lucia", "Mateo", "Hannah", "Yusuf", "Elena", "Marcus", "Aiko",
    "Gabriel", "Nadia", "Samuel", "Leila", "Jonas", "Grace", "Viktor", "Maya", "Idris",
    "Clara", "Hugo", "Zainab",
)  # fmt: skip
LAST_NAMES = (
    "Hartley", "Okafor", "Nowak", "Fernandes", "Lindqvist", "Mehta", "Dubois", "Kowalski",
    "Achebe", "Moreau", "Tanaka", "Brennan", "Castillo", "Haddad", "Petrov", "Whitaker",
    "Osei", "Santos", "Fischer", "Raines", "Kaur", "Lambert", "Novak", "Ellison", "Varga",
    "Mensah", "Quinn", "Rossi", "Sato", "Delgado",
)  # fmt: skip
ROLES = (
    "the finance minister", "the health secretary", "the mayor", "the chief executive",
    "a senior economist", "the opposition leader", "the union's general secretary",
    "the police commissioner", "a government spokesperson", "the head of the regulator",
    "the foreign minister", "a hospital director", "the chair of the committee",
    "the education secretary", "a climate scientist", "the transport minister",
)  # fmt: skip
ORGS = (
    "the Treasury", "the central bank", "the national rail operator", "the city council",
    "the World Health Organization", "the European Commission", "the teachers' union",
    "the energy regulator", "the statistics office", "the Supreme Court",
    "the Ministry of Defence", "the port authority", "the water company",
    "the competition authority", "the housing association", "the United Nations",
)  # fmt: skip
CITIES = (
    "Manchester", "Lisbon", "Rotterdam", "Nairobi", "Osaka", "Krakow", "Toronto", "Leeds",
    "Marseille", "Glasgow", "Seville", "Gdansk", "Melbourne", "Accra", "Hamburg", "Bristol",
    "Porto", "Lyon", "Cardiff", "Dublin",
)  # fmt: skip
COUNTRIES = (
    "France", "Poland", "Kenya", "Japan", "Canada", "Portugal", "Ghana", "Germany", "Spain",
    "Ireland", "Australia", "Norway", "Brazil", "India", "Italy", "Sweden",
)  # fmt: skip
TOPICS = (
    ("energy prices", "the price cap", "households"),
    ("the rail strike", "the pay offer", "commuters"),
    ("hospital waiting lists", "the emergency budget", "patients"),
    ("the housing shortage", "the planning reform", "first-time buyers"),
    ("flood defences", "the coastal barrier", "riverside residents"),
    ("the trade agreement", "import tariffs", "small exporters"),
    ("school funding", "the new curriculum", "teachers"),
    ("interest rates", "the inflation forecast", "mortgage holders"),
    ("the ceasefire talks", "the peace plan", "civilians in the region"),
    ("the drought", "water restrictions", "farmers in the south"),
    ("the data breach", "the security review", "bank customers"),
    ("the airport expansion", "the third runway", "local residents"),
    ("the vaccine rollout", "the booster campaign", "older patients"),
    ("the steel plant closure", "the rescue package", "factory workers"),
)  # fmt: skip
SAID = (
    "said", "told reporters", "warned", "argued", "insisted", "confirmed", "acknowledged",
    "told a press conference", "wrote in a statement", "said in an interview",
)  # fmt: skip
DAYS = ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "at the weekend")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

HEADLINES = (
    "{Topic}: {org} under pressure as {group} wait for answers",
    "{person} promises action on {topic} after talks in {city}",
    "{Org} unveils plan on {issue} amid row over {topic}",
    "{city} braces for disruption as {topic} deepen",
    "Critics question {issue} as {org} defends its record",
    "{country} and {country2} agree joint approach to {topic}",
)  # fmt: skip
OPENERS = (
    "{Role}, {person}, {said} {day} that {org} would publish a full review of {issue} "
    "before the end of {month}.",
    "Officials in {city} {said} {day} that {topic} had affected {number} {group} over the "
    "past year, a rise of {percent} per cent on the year before.",
    "{Org} has announced a review of {issue} after months of criticism from {group} and "
    "campaigners in {city}.",
    "Talks between {org} and representatives of {group} ended without agreement {day}, "
    "raising fears that {topic} could drag on into {month}.",
)  # fmt: skip
SENTENCES = (
    "{person}, {role}, {said} that the figures were \"deeply concerning\" and that "
    "{org} had been too slow to respond.",
    "According to {org}, around {number} {group} in {city} could be affected by "
    "{issue} by {month}.",
    "The proposal would cost an estimated {money} over {years} years, according to "
    "documents seen by this newspaper.",
    "Speaking in {city}, {person} {said} the government remained committed to {issue} "
    "but admitted that progress had been uneven.",
    "Similar measures were introduced in {country} last year, where {topic} eased after "
    "{years} years of pressure.",
    "Campaigners {said} that {group} had been left without clear information and called "
    "for an independent inquiry.",
    "The latest data from {org} show a {percent} per cent change since {month}, the "
    "sharpest movement in more than a decade.",
    "{person} {said}: \"We cannot keep asking {group} to carry the cost of {topic}.\"",
    "Opposition politicians accused {org} of \"dithering\" and demanded a vote on "
    "{issue} before the summer recess.",
    "Analysts in {city} {said} the decision could reshape {issue} for a generation, "
    "although much depends on the detail.",
    "A spokesperson for {org} {said} it would \"study the report carefully\" and respond "
    "in due course.",
    "In {country}, officials have watched the debate closely, with {person} describing "
    "it as \"a test case for the whole region\".",
    "Residents of {city} gathered outside the town hall {day}, holding banners about "
    "{topic} and {issue}.",
    "The row comes weeks after {org} was criticised for its handling of {issue} in "
    "{country2}.",
    "{Role} {said} that talks would resume {day} and that a compromise on {issue} was "
    "\"within reach\".",
    "Figures published {day} suggest that {number} {group} have already changed their "
    "plans because of {topic}.",
    "Experts warned that without further investment {topic} could worsen, with the "
    "greatest impact on {group}.",
    "The committee is expected to report in {month}, when {person} will be asked to "
    "explain the delay.",
)  # fmt: skip
CLAUSES = (
    "while {org} insisted that {issue} remained on schedule",
    "after {number} {group} in {city} signed an open letter",
    "as {person} prepared to meet counterparts from {country}",
    "although {role} cautioned that the figures were provisional",
    "despite warnings that {topic} could last until {month}",
    "because {org} had not yet published its assessment of {issue}",
    "and {person} {said} that {group} deserved a clearer answer",
    "before a vote on {issue} that is expected {day}",
)  # fmt: skip
QUESTIONS = (
    "Who chairs the committee on {topic}?",
    "What did {person} say about {issue}?",
    "When will {org} publish the review?",
    "How many {group} are affected in {city}?",
    "Why did the talks in {city} fail?",
    "What does the plan on {issue} cost?",
    "Which country agreed to the deal on {topic}?",
    "Did {org} respond to the report?",
)  # fmt: skip


def _slots(rng: random.Random) -> dict[str, str]:
    topic, issue, group = rng.choice(TOPICS)
    countries = rng.sample(COUNTRIES, 2)
    role = rng.choice(ROLES)
    org = rng.choice(ORGS)
    return {
        "person": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "role": role,
        "Role": role[0].upper() + role[1:],
        "org": org,
        "Org": org[0].upper() + org[1:],
        "city": rng.choice(CITIES),
        "country": countries[0],
        "country2": countries[1],
        "topic": topic,
        "Topic": topic[0].upper() + topic[1:],
        "issue": issue,
        "group": group,
        "said": rng.choice(SAID),
        "day": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "number": f"{rng.randint(2, 950) * 100:,}",
        "percent": f"{rng.randint(1, 40)}.{rng.randint(0, 9)}",
        "money": f"£{rng.randint(2, 90) * 50:,} million",
        "years": str(rng.randint(2, 10)),
    }


def _fill(rng: random.Random, template: str, base: dict[str, str]) -> str:
    # Each sentence mixes the article's own cast with some fresh names and numbers.
    slots = dict(base)
    fresh = _slots(rng)
    for key in ("number", "percent", "money", "years", "day", "month", "said", "city"):
        slots[key] = fresh[key]
    if rng.random() < 0.3:
        slots["person"] = fresh["person"]
    return template.format(**slots)


def article(rng: random.Random) -> str:
    """One article: optional date marker, headline, paragraphs; 300-600 words."""
    base = _slots(rng)
    target = rng.randint(300, 570)
    headline = _fill(rng, rng.choice(HEADLINES), base)
    opener = _fill(rng, rng.choice(OPENERS), base)
    words = len(headline.split()) + len(opener.split())
    paragraphs: list[str] = []
    current = [opener]
    deck: list[str] = []
    while words < target:
        if not deck:  # each template once before any repeats
            deck = rng.sample(SENTENCES, len(SENTENCES))
        sentence = _fill(rng, deck.pop(), base)
        current.append(sentence)
        words += len(sentence.split())
        if len(current) >= rng.randint(2, 5):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    first = headline
    if rng.random() < 0.35:
        day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))
        first = f"date {day.isoformat()} {headline}"
    return first + "\n\n" + "\n\n".join(paragraphs) + "\n"


def long_sentence(rng: random.Random, min_words: int = 55) -> str:
    """A single news-like sentence of about `min_words`-70 words (clauses joined)."""
    base = _slots(rng)
    text = _fill(rng, rng.choice(SENTENCES), base).rstrip(".")
    for clause in rng.sample(CLAUSES, len(CLAUSES)):
        if len(text.split()) >= min_words:
            break
        text += ", " + _fill(rng, clause, base)
    return text + "."


def sentences(n: int, seed: int = 7, min_words: int = 55) -> list[str]:
    rng = random.Random(seed)
    return [long_sentence(rng, min_words) for _ in range(n)]


def questions(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [_fill(rng, rng.choice(QUESTIONS), _slots(rng)) for _ in range(n)]


def generate(folder: Path, n: int = 1000, seed: int = 42) -> list[Path]:
    """Write `n` articles as `NNNN.txt` into `folder` (created); return the paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(n - 1)))
    paths: list[Path] = []
    for i in range(n):
        text = article(rng)
        path = folder / f"{i:0{width}d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", type=Path, help="output folder (created)")
    parser.add_argument("--n", type=int, default=1000, help="number of articles")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    args = parser.parse_args(argv)
    paths = generate(args.folder, args.n, args.seed)
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in paths)
    print(f"{len(paths)} articles, {words:,} words in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
