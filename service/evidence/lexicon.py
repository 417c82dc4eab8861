"""The closed-class English the checks need, kept in one place.

These are English grammar and the calendar, not words of any corpus: wh-words and the
kinds of thing a wh-phrase asks for, the modifiers that make a role past ("former") or a
result partial ("stage"), words that count, and words that place a date relative to
another. Everything else is read from the parse (service/core/nlp.py).
"""

from __future__ import annotations

import calendar
from typing import Final

# Entity labels of the OntoNotes scheme the model is trained on.
PERSONISH: Final = frozenset({"PERSON", "ORG", "NORP"})
PLACES: Final = frozenset({"GPE", "LOC", "FAC"})
TIMES: Final = frozenset({"DATE", "TIME"})
QUANTITIES: Final = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
NAMES: Final = frozenset(
    {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
)

# The labels a wh-word asks for.
WH_TYPES: Final[dict[str, frozenset[str]]] = {
    "who": PERSONISH,
    "whom": PERSONISH,
    "whose": PERSONISH,
    "where": PLACES,
    "when": TIMES,
}
# "how many", "how much", "how long", ...: the adverb after "how" that makes it a measure.
HOW_MEASURES: Final = frozenset({"many", "much", "long", "old", "far", "big", "large", "often"})
# The time labels a measure may carry besides a number: a duration ("how long": "three
# weeks", "until 23 August") and an age, which the OntoNotes scheme labels DATE ("Moen, 61,"
# and "the 61-year-old").
AGE: Final = "old"
MEASURED_TIMES: Final[dict[str, frozenset[str]]] = {"long": TIMES, AGE: frozenset({"DATE"})}

# General category nouns of English and the labels naming one of them ("which country").
# A noun not here asks for a name of any kind.
CATEGORY_TYPES: Final[dict[str, frozenset[str]]] = {
    **dict.fromkeys(
        ("person", "people", "man", "woman", "player", "rider", "driver", "athlete"),
        frozenset({"PERSON"}),
    ),
    **dict.fromkeys(
        ("country", "nation", "state", "city", "town", "village", "capital", "region"),
        frozenset({"GPE", "LOC"}),
    ),
    **dict.fromkeys(("place", "location", "venue", "site"), PLACES),
    **dict.fromkeys(
        ("company", "firm", "organisation", "organization", "party", "team", "club", "group"),
        frozenset({"ORG"}),
    ),
    **dict.fromkeys(("nationality",), frozenset({"NORP"})),
    **dict.fromkeys(("year", "month", "day", "date", "week", "season"), frozenset({"DATE"})),
    **dict.fromkeys(
        ("share", "percentage", "percent", "proportion", "fraction"), frozenset({"PERCENT"})
    ),
    **dict.fromkeys(
        ("amount", "sum", "price", "cost", "figure", "total", "budget"),
        frozenset({"MONEY", "QUANTITY", "CARDINAL"}),
    ),
    **dict.fromkeys(("number", "age"), frozenset({"CARDINAL"})),
    **dict.fromkeys(("name",), NAMES),
    **dict.fromkeys(("time", "hour"), frozenset({"TIME"})),
}

# Penn Treebank tags of wh-words ("who", "which", "when", "whose").
WH_TAGS: Final = frozenset({"WP", "WDT", "WRB", "WP$"})
# Words that open a clause of time ("when he said", "after the ferries were cancelled").
TIME_SUBORDINATORS: Final = frozenset(
    {"when", "whenever", "after", "before", "while", "once", "until", "till", "since", "as"}
)

# Words that give a reason or a cause ("because of the storm", "due to a fault", "blamed
# the delay on", "the reason was"): a sentence with none of them states an event, and a
# "why" question's answer is then the sentence after it.
CAUSAL: Final = frozenset(
    {"because", "due", "owing", "since", "as", "after", "cause", "blame", "reason", "so",
     "thanks", "result", "lead", "force", "prompt"}
)  # fmt: skip

# What a thing is called by: "What was the book called?", "the name of her book" ask
# for a name, not for someone's words nor for a sentence that writes "name".
NAMING_VERBS: Final = frozenset({"call", "name", "title", "dub", "christen", "rename"})
NAMING_NOUNS: Final = frozenset({"name", "title"})

# Verbs of taking part: "who attended" is answered by every name that did.
TAKING_PART: Final = frozenset({"attend", "join", "participate"})

# Modifiers that make a role one somebody held before ("the former president").
PAST_ROLE: Final = frozenset({"former", "ex", "outgoing", "then", "previous", "erstwhile", "late"})
# Modifiers that say when a role is held, not which role it is: "the current defence
# secretary" is the defence secretary.
WHEN_HELD: Final = frozenset({"current", "present", "new", "incumbent", "sitting", "serving"})
# Modal verbs of the future: "the ferry will carry 390 passengers" has not carried them.
FUTURE: Final = frozenset({"will", "shall"})
# ...and of a future seen from a report ("said the ferry would enter service in the autumn"),
# which had not happened when it was written either.
AHEAD: Final = FUTURE | {"would"}
# Adjectives of place in a series: "the final race" says which one, not which kind.
ORDER: Final = frozenset({"last", "final", "next", "previous", "latest", "early", "late"})
# Nouns that ask for a subclass: "what kind of deal" is answered by "a minerals deal".
KIND_NOUNS: Final = frozenset({"kind", "type", "sort"})
# Parts of a contest: "stage winner" is not the winner of the race.
PARTS: Final = frozenset(
    {
        "stage",
        "round",
        "semi",
        "semifinal",
        "semi-final",
        "quarter",
        "quarterfinal",
        "quarter-final",
        "heat",
        "leg",
    }
)

# Verbs that report speech or writing, as lemmas ("said", "says", "saying" are "say"):
# a sentence whose such verb takes a clause or a speaker gives someone's words.
REPORTING: Final = frozenset(
    {
        "say", "tell", "state", "add", "warn", "announce", "insist", "stress", "urge",
        "argue", "claim", "note", "explain", "describe", "call", "suggest", "admit",
        "acknowledge", "predict", "believe", "remark", "vow", "pledge", "promise", "write",
        "post", "accord", "express", "confirm", "thank", "accuse", "emphasise", "emphasize",
        "caution", "reiterate", "underscore", "reveal", "assert", "maintain", "ask",
    }
)  # fmt: skip
# "according to X": the one verb whose "to" names the speaker, not the one spoken to.
ATTRIBUTING: Final = "accord"
# Relations through which a reporting verb takes its words or its speaker; "to" is
# "according to".
REPORTED: Final = frozenset({"ccomp", "nsubj", "nsubjpass", "dobj", "xcomp", "to", "agent"})
# Pronouns that stand for a speaker the sentence before names ("..., he says").
SPEAKER_PRONOUNS: Final = frozenset({"he", "she", "they"})
# Of those, the ones that stand for a person only ("they" may be a body).
PERSON_PRONOUNS: Final = frozenset({"he", "she"})
# Every form of those, as the pipeline lemmatises them ("her term", "told him").
PERSON_FORMS: Final = frozenset({"he", "she", "him", "his", "her", "himself", "herself"})
# Pronouns a sentence opens with when it goes on about whoever the sentence before names.
OPENING_PRONOUNS: Final = frozenset({"he", "she", "they", "his", "her", "their", "it", "its"})

# Prepositions that place something ("on the island", "from the capital"): a name they
# govern answers "where", whatever the recogniser labels it.
LOCATIVE: Final = frozenset(
    {
        "in", "at", "on", "near", "from", "to", "into", "onto", "inside", "outside",
        "across", "around", "off", "within", "throughout", "toward", "towards", "beside",
        "along", "aboard", "via",
    }
)  # fmt: skip

# Wh-words whose question names a role ("who is the chair"): the answer holds that role.
ROLE_WH: Final = frozenset({"who", "whom"})
# Auxiliaries: as a question's main verb they say nothing an answer must be linked to.
AUXILIARIES: Final = frozenset({"be", "have", "do"})
# Copulas: "Berg is the chair" gives Berg the role.
COPULAS: Final = frozenset({"be", "become", "remain"})
# Modal verbs: a sentence with one may speak of a time after its article's date.
MODALS: Final = frozenset(
    {"will", "would", "shall", "should", "may", "might", "can", "could", "must", "'ll"}
)

# The abbreviations English writes in capitals before a ship's name ("HMS Victory", "MV
# Derbyshire"): His/Her Majesty's Ship, United States Ship, Royal Mail Ship, steamship,
# motor ship, motor vessel, research vessel. A naming convention of the language, like a
# title: the recogniser reads a ship's name as a person's, and only this tells "she" (a
# ship may be one) from "he".
VESSEL_PREFIXES: Final = frozenset({"hms", "uss", "rms", "ss", "ms", "mv", "rv"})

# Date words relative to the article's own date.
MONTHS: Final = tuple(m.casefold() for m in calendar.month_name[1:])
WEEKDAYS: Final = tuple(d.casefold() for d in calendar.day_name)
# Saturday and Sunday: "over the weekend" in an article of Monday is the two days before.
WEEKEND: Final = "weekend"
# Every written form of each month, by its number.
MONTH_NUMBERS: Final[dict[str, int]] = {
    **{a.casefold(): i for i, a in enumerate(calendar.month_abbr) if i},
    **{m.casefold(): i for i, m in enumerate(calendar.month_name) if i},
    "sept": 9,
}
RELATIVE_DAYS: Final = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
RELATIVE_SHIFTS: Final = {"last": -1, "past": -1, "previous": -1, "this": 0, "next": 1}
PERIODS: Final = frozenset({"week", "month", "year"})
# Parts of a year by how many months each holds: "the third quarter of 2025", "the first
# half", "Q3".
YEAR_PARTS: Final = {"quarter": 3, "half": 6}
# A year a company counts from its own first month, not January's.
FISCAL: Final = frozenset({"fiscal", "financial"})
# Nouns of time: "two evenings a week" counts no people, passengers or votes.
TIME_UNITS: Final = frozenset(
    {"second", "minute", "hour", "day", "night", "morning", "afternoon", "evening", "weekend"}
    | {"week", "fortnight", "month", "season", "year", "decade", "century"}
)
# The preposition of a span of time counted from a point ("since 2019").
SINCE: Final = frozenset({"since"})
# The prepositions that make a time one end of a span, by the end they make it: "from what
# date" is answered by a time something runs from or since, "until when" by one it runs to.
TIME_BOUNDS: Final[dict[str, str]] = {
    "from": "start",
    "since": "start",
    "until": "end",
    "till": "end",
    "to": "end",
    "through": "end",
}
# "the year after", "the year before": which way a period shifts from the one named.
SHIFT_AFTER: Final = frozenset({"after", "later", "following", "next"})
SHIFT_BEFORE: Final = frozenset({"before", "earlier", "previous", "prior"})

# Number words (cardinals and the multipliers news copy writes out).
_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS: Final[dict[str, float]] = {
    **{w: float(i) for i, w in enumerate(_CARDINALS.split())},
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
# How a share is written after its number ("40 per cent", "40%").
SHARES: Final = frozenset({"%", "percent", "per", "pct"})
MULTIPLIERS: Final[dict[str, float]] = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
