"""What kind of answer a question asks for, read from its parse (service/core/nlp.py).

- its slots: "how long" a duration or a length, "how much" an amount, "how many/old/far/..." a
  count, "when" a date, "where" a place, "who" a person, "what time" a time, "which X" or
  "what X" the kind the noun X names (lexicon.CATEGORY_TYPES), "what kind of X" an X
  narrowed by another noun, "what did X say" and "did X say ...?" speech, "what did it
  cost" the measure its verb takes;
- only the wh-words that ask: the first, and any later one outside a clause of its own
  ("who opened it, and on what date?" asks two things; "who was captain when she sank?"
  one);
- a search phrase without a wh-word ("Geneva talks date") asks for what its last noun
  names;
- the speaker of "what did X say", the calendar unit of "which year", whether the answer is
  an attribute of a name ("what is the capital of X") or a list ("which ministers").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from service.core import nlp
from service.evidence import lexicon
from service.evidence.parsed import classifying, raised_subject, who_is_a_name

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

Slot = Literal[
    "person",
    "place",
    "name",
    "age",
    "count",
    "amount",
    "duration",
    "date",
    "time",
    "speech",
    "kind",
]
DateUnit = Literal["day", "month", "year"]

# From the most specific kind of answer to the least: the order the answer checks try them.
_ORDER: tuple[Slot, ...] = (
    "duration",
    "time",
    "date",
    "age",
    "count",
    "amount",
    "place",
    "speech",
    "kind",
    "person",
    "name",
)
# Relations that open a clause of its own: a wh-word inside one relates, it does not ask.
_CLAUSES = frozenset({"advcl", "relcl", "acl", "pcomp", "ccomp"})
# Relations through which a reported clause hangs from its reporting verb.
_REPORTED_CLAUSE = frozenset({"ccomp", "xcomp", "conj"})
_MEASURED: dict[str, Slot] = {
    "cost": "amount",
    "weigh": "count",
    "measure": "count",
    "last": "duration",
}
_DATE_UNITS: dict[str, DateUnit] = {
    "date": "day",
    "day": "day",
    "weekday": "day",
    "month": "month",
    "year": "year",
}


@dataclass(frozen=True)
class Wanted:
    slots: tuple[Slot, ...]
    # The subject of the reporting verb of "what did X say", as written.
    speaker: str | None
    date_unit: DateUnit | None
    # "What is the capital of Australia": the answer is an attribute of a name.
    attribute: bool
    is_list: bool
    # "How many passengers": the lemma of what is counted, when the question names it.
    counted: str | None = None
    # "What did X say about the fare increase?": the lemmas of what the words are about.
    topic: frozenset[str] = frozenset()
    # "What kind of deal ...": the lemma of the noun whose kind is asked.
    kind_of: str | None = None
    # "What did the French president say?": the role the speaker is named by, as lemmas
    # ("president", "defence minister"), when a name qualifies the role rather than
    # being the speaker's.
    speaker_role: str | None = None


@lru_cache(maxsize=4096)
def wanted(question: str) -> Wanted:
    doc = nlp.parse(question)
    whs = [t for t in doc if t.tag_ in lexicon.WH_TAGS]
    asking = [wh for n, wh in enumerate(whs) if n == 0 or not _subordinate(wh) or _coordinated(wh)]
    found: dict[Slot, Token] = {}
    for wh in asking:
        for slot in _slots(wh):
            found.setdefault(slot, wh)
    reported = _polar_report(doc) if not whs else None
    if reported is not None:
        # "Did McFadden say Trump was the only reason?": yes or no is in his words.
        found["speech"] = reported
    elif not whs and _search_phrase(doc):
        nouns = [t for t in doc if t.pos_ in ("NOUN", "PROPN")]
        named = _category_slot(nouns[-1]) if nouns and _last_word(nouns[-1]) else None
        if named is not None:
            found[named] = nouns[-1]
    slots = tuple(s for s in _ORDER if s in found)
    dated = _wh_noun(found["date"]) if "date" in found else None
    return Wanted(
        slots=slots,
        speaker=_speaker(found["speech"]) if "speech" in found else None,
        speaker_role=_speaker_role(found["speech"]) if "speech" in found else None,
        date_unit=_DATE_UNITS.get(dated.lemma_.casefold()) if dated is not None else None,
        attribute="name" in found and _attribute(found["name"]),
        is_list=bool(asking)
        and not set(slots) - {"person", "place", "name"}
        and _is_list(asking[0]),
        counted=_counted(asking[0]) if asking else None,
        topic=_topic(found["speech"]) if "speech" in found else frozenset(),
        kind_of=_kind_of(found["kind"]) if "kind" in found else None,
    )


def _topic(wh: Token) -> frozenset[str]:
    """The nouns of what "what did X say about ..." asks the words to be about: the object
    of "about" ("the fare increase": fare, increase), or the nouns a clause after it
    takes ("about where the negotiations stand": negotiation)."""
    verb = _reporting_verb(wh)
    if verb is None:
        return frozenset()
    # The parse may hang "about" from the verb's object ("tell the coalition about ...").
    heads = {verb.i} | {c.i for c in verb.children}
    about = next((t for t in wh.doc if t.lower_ == "about" and t.head.i in heads), None)
    if about is None:
        return frozenset()
    topic: set[str] = set()
    for child in about.children:
        if child.dep_ == "pobj":
            phrase = [child, *(c for c in child.children if c.dep_ in ("compound", "amod"))]
        elif child.dep_ == "pcomp":
            phrase = [c for c in child.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")]
        else:
            continue
        # A modifier counts as well: the small model may tag a noun before a noun an
        # adjective ("fare increase"), and any one word of the topic is enough.
        topic |= {t.lemma_.casefold() for t in phrase if t.pos_ in ("NOUN", "PROPN", "ADJ")}
    return frozenset(topic)


def _kind_of(wh: Token) -> str | None:
    """The noun "what kind of" asks the kind of ("what kind of deal": deal), as a lemma."""
    head = _wh_noun(wh)
    if head is None or head.lemma_.casefold() not in lexicon.KIND_NOUNS:
        return None
    of = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    noun = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
    return str(noun.lemma_.casefold()) if noun is not None and noun.pos_ == "NOUN" else None


def _polar_report(doc: Doc) -> Token | None:
    """The reporting verb of a yes-or-no question about what someone said ("Did X say
    ...?", "Does X claim that ...?"): a verb of saying with a subject and a clause of
    its own, opened by an auxiliary."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or doc[0].pos_ != "AUX" or root.lemma_.casefold() not in lexicon.REPORTING:
        return None
    children = {c.dep_ for c in root.children}
    return root if "nsubj" in children and children & {"ccomp", "xcomp"} else None


def _counted(wh: Token) -> str | None:
    """The noun "how many" counts ("how many passengers"), as a lemma. Not what "how much"
    measures: a mass is given in its units without its name ("how much CO2": "2,900
    tonnes a year")."""
    if wh.lower_ != "how" or wh.head.lower_ != "many":
        return None
    noun = wh.head.head
    if noun.pos_ != "NOUN" or noun.i < wh.head.i:
        return None
    return str(noun.lemma_.casefold())


def _slots(wh: Token) -> tuple[Slot, ...]:
    if wh.lower_ == "how":
        measure = wh.head
        if measure.i == wh.i or measure.pos_ not in ("ADJ", "ADV"):
            # "how did they ...": a manner, not a measure; of a verb of saying ("How did
            # Starmer describe the response?"), the words, as "what did he call it" asks.
            return ("speech",) if _reported(wh) else ()
        if measure.lower_ == "long":
            # "How long was the detour?" asks a time or a length; "how long has it been
            # running?" a time.
            predicative = measure.dep_ == "acomp" and measure.head.lemma_ == "be"
            return ("duration", "count") if predicative else ("duration",)
        if measure.lower_ == lexicon.AGE:
            return ("age",)
        return ("amount",) if measure.lower_ == "much" else ("count",)
    slot = _slot(wh)
    return (slot,) if slot is not None else ()


def _slot(wh: Token) -> Slot | None:
    word = wh.lower_
    if word == "when":
        return "date"
    if word == "where":
        return "place"
    if word in ("who", "whom", "whose") and wh.tag_ != "WDT":
        return None if who_is_a_name(wh) else "person"
    if word not in ("what", "which"):
        return None
    if word == "what" and _named_as(wh):
        return "name"
    head = _wh_noun(wh)
    if head is not None:
        if _kind_of(wh) is not None:
            return "kind"
        return _category_slot(head) or ("name" if word == "which" else None)
    measured = _measured(wh)
    if word == "what" and measured is not None:
        return measured
    if word == "what" and _reported(wh):
        return "speech"
    return None


def _coordinated(wh: Token) -> bool:
    """A second question joined to the first: "..., and on what date?", "and via which
    town?" (the parse may hang it inside the first one's clauses)."""
    before = [t for t in wh.doc[: wh.i] if t.pos_ != "ADP"]
    return bool(before) and before[-1].pos_ == "CCONJ"


def _measured(wh: Token) -> Slot | None:
    """What "what" asks of a verb of measure: its object ("what did it cost"), also when
    the verb ends the question and the small model tags it a noun ("what did the new
    bridge cost?", "what was it supposed to cost?")."""
    if wh.dep_ == "dobj" and wh.head.lemma_.casefold() in _MEASURED:
        return _MEASURED[wh.head.lemma_.casefold()]
    words = [t for t in wh.doc[wh.i + 1 :] if not t.is_punct]
    if words and words[-1].lemma_.casefold() in _MEASURED:
        return _MEASURED[words[-1].lemma_.casefold()]
    return None


def _subordinate(wh: Token) -> bool:
    t = wh
    while t.head.i != t.i:
        t = t.head
        if t.dep_ in _CLAUSES:
            return True
    return False


def _wh_noun(wh: Token) -> Token | None:
    """The noun a wh-word asks about: the one it determines ("which company"), or after
    "what is" the attribute noun ("what is the capital of X")."""
    if wh.lower_ not in ("what", "which", "whose"):
        return None
    if wh.dep_ == "det" or wh.tag_ in ("WDT", "WP$"):
        if wh.head.pos_ in ("NOUN", "PROPN") and wh.head.i > wh.i:
            return wh.head
        return _noun_after(wh)
    if wh.head.lemma_ == "be":
        return next(
            (
                c
                for c in wh.head.children
                if c.dep_ in ("attr", "nsubj")
                and c.i != wh.i
                and c.pos_ == "NOUN"
                and not raised_subject(c)
            ),
            None,
        )
    return None


def _noun_after(wh: Token) -> Token | None:
    """The noun phrase a wh-determiner opens, read from the tags ("which British
    ministers"): a short question's parse may attach "which" elsewhere."""
    doc = wh.doc
    for t in doc[wh.i + 1 :]:
        if t.pos_ in ("NOUN", "PROPN"):
            following = doc[t.i + 1] if t.i + 1 < len(doc) else None
            if t.pos_ == "NOUN" and following is not None and following.pos_ == "NOUN":
                continue  # "which coalition countries": the phrase's last noun
            return t
        if t.pos_ not in ("ADJ", "NUM", "ADV"):
            return None
    return None


def _category_slot(noun: Token) -> Slot | None:
    types = lexicon.CATEGORY_TYPES.get(noun.lemma_.casefold())
    if types is None:
        return None
    if types == frozenset({"TIME"}):
        return "time"
    if types <= lexicon.TIMES:
        return "date"
    if types == frozenset({"PERSON"}):
        return "person"
    if types <= lexicon.QUANTITIES:
        return "count" if types == frozenset({"CARDINAL"}) else "amount"
    return "name"


def _reporting_verb(wh: Token) -> Token | None:
    """The reporting verb whose words `wh` asks for: "what did he say", "what did he say
    it would do" (inside the reported clause), not "which of them confirmed"."""
    if wh.head.lemma_.casefold() in lexicon.REPORTING:
        verb = wh.head
        # "What did he thank her for?": the wh-word is the stranded preposition's object,
        # a reason, not the words.
        stranded = any(c.dep_ == "prep" and not list(c.children) for c in verb.children)
        return verb if wh.dep_ != "nsubj" and not stranded else None
    t = wh.head
    while t.head.i != t.i and t.dep_ in _REPORTED_CLAUSE:
        t = t.head
        if t.lemma_.casefold() in lexicon.REPORTING:
            return t
    return None


def _reported(wh: Token) -> bool:
    return _reporting_verb(wh) is not None


def _speaker(wh: Token) -> str | None:
    subject = _speaker_head(wh)
    if subject is None:
        return None
    doc = wh.doc
    return doc[subject.left_edge.i : subject.right_edge.i + 1].text


def _speaker_head(wh: Token) -> Token | None:
    verb = _reporting_verb(wh)
    return next((c for c in verb.children if c.dep_ == "nsubj"), None) if verb else None


def _speaker_role(wh: Token) -> str | None:
    """The common noun heading the speaker's phrase with the common nouns that narrow it,
    as lemmas ("defence minister" in "the French defence minister"), not a name's words."""
    subject = _speaker_head(wh)
    if subject is None or subject.pos_ != "NOUN" or subject.ent_type_:
        return None
    # "defence" in "defence minister", "foreign" in "foreign minister"; not "new".
    narrowing = [
        c
        for c in subject.children
        if c.i < subject.i
        and not c.ent_type_
        and ((c.dep_ == "compound" and c.pos_ == "NOUN") or classifying(c))
    ]
    return " ".join(t.lemma_.casefold() for t in [*narrowing, subject])


def _named_as(wh: Token) -> bool:
    """Whether "what" asks what something is called ("What was her book called?", "What
    is the new ferry named?"): the attribute of "be" beside a passive verb of naming, not
    the object of one ("What did he call the plan?" asks for his words)."""
    if wh.dep_ != "attr" or wh.head.lemma_ != "be":
        return False
    doc = wh.doc
    return not any(t.dep_ == "aux" and t.lemma_ == "do" for t in doc) and any(
        t.lemma_.casefold() in lexicon.NAMING_VERBS and t.tag_ in ("VBN", "VBD") for t in doc
    )


def _attribute(wh: Token) -> bool:
    noun = _wh_noun(wh)
    return (
        wh.lower_ == "what"
        and noun is not None
        # "the name of her book" is a name, which no sentence calls a name.
        and noun.lemma_.casefold() not in lexicon.NAMING_NOUNS
        and wh.head.lemma_ == "be"
        and any(c.dep_ == "prep" and c.lower_ == "of" for c in noun.children)
    )


def _is_list(wh: Token) -> bool:
    """ "Which ministers", "who attended": every name answers, often across sentences."""
    noun = _wh_noun(wh)
    if noun is not None:
        return noun.tag_ in ("NNS", "NNPS")
    return wh.lower_ in ("who", "whom") and wh.head.lemma_.casefold() in lexicon.TAKING_PART


def _search_phrase(doc: Doc) -> bool:
    """A few words typed into a search box, not a question: no wh-word, no question mark,
    not opened by an auxiliary ("Are troops surrounded?")."""
    return len(doc) > 0 and doc[-1].text != "?" and doc[0].pos_ != "AUX"


def _last_word(token: Token) -> bool:
    doc = token.doc
    return all(t.is_punct for t in doc[token.i + 1 :])
