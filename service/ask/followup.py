"""Follow-up questions rewritten into standalone ones, offline and deterministically.

"Which ministers joined him on that call?" cannot be searched as typed: "him" and "that
call" point into earlier turns. The resolver reads the conversation turn by turn and
keeps, for each user turn, its standalone form and what it mentions (names, dates, quoted
phrases). A later question is a follow-up when it refers back (a pronoun, "that call",
"the storm" once a storm came up, an elliptical "And passengers?") or names nothing new of
its own. It is then rewritten:

- a person pronoun (he, him, his, she, her) becomes the person it most likely means: one
  the previous answer introduced (the answer to "Who ...?", not to "Who is X?", which
  asks about X), else one the previous question spoke of (a role a nation or a name
  qualifies, "the Austrian chancellor", before names carried from further back), the one
  the same pronoun meant before first; never one the conversation called by a pronoun of
  the other gender ("she", then "he");
- a definite reference to something mentioned earlier ("that call") becomes the earlier
  phrase with its modifiers ("the coalition of the willing call on 25 November");
- an elliptical fragment takes the previous question's frame: "Where?" after "When was
  HMS Victory built?" becomes "Where was HMS Victory built?", "And of York?" after "Who
  is the mayor of Leeds?" becomes "Who is the mayor of York?";
- what the previous turn was about (its names, dates and quoted phrases, and the new names
  of its answer), when missing, is appended in brackets.

A question that names something the conversation has not mentioned, with no reference
back, starts a new topic and is left alone. Nothing here depends on the corpus: the same
history always gives the same rewrite.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from service.answer.base import Message
from service.core import nlp
from service.evidence import lexicon
from service.evidence.annotate import date_range
from service.evidence.parsed import parse_question, stranded_preposition
from service.evidence.text import STOPWORDS, terms, without_context

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# How many carried mentions are appended at most, and how many new names of a previous
# answer are considered (answers can be long; their first names are what they answer).
MAX_CARRIED = 4
MAX_ANSWER_NAMES = 2
# How much of an answer is read for them: its opening sentences, so that a long answer is
# not parsed whole on every follow-up.
ANSWER_CHARS = 400
# Longest fragment treated as an ellipsis ("And passengers?", "What about Eldholm?").
FRAGMENT_WORDS = 4
# A question naming only new places or organisations is still read as a follow-up when
# it is this short ("How did UK officials respond?").
SHORT_QUESTION_WORDS = 7


_SUBJECT = {"he", "she"}
_OBJECT = {"him", "her", "himself", "herself"}
_POSSESSIVE = {"his", "hers"}
_PERSON_PRONOUNS = _SUBJECT | _OBJECT | _POSSESSIVE
_FEMININE = {"she", "her", "hers", "herself"}
_THING_PRONOUNS = {"it", "its", "they", "them", "their", "theirs"}
_BE = {"is", "are", "was", "were"}
_WH = {"who", "what", "when", "where", "why", "how", "which", "whom", "whose"}
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "that", "this", "these", "those"}
_ELLIPSIS = re.compile(
    r"^\s*(?:and|but|also|so|what about|how about|and what about|and how about)\b[\s,]*",
    re.IGNORECASE,
)
_ELSE = re.compile(r"\b(?:else|the others?|the same|the rest)\b", re.IGNORECASE)
_QUESTION_WORDS = re.compile(
    r"^\s*(?:from\s+)?(?:who|whom|whose|what|when|where|why|which(?:\s+\w+(?=\s+(?:is|are|"
    r"was|were|did|does|do|will|would|can|could|has|have|had)\b))?|"
    r"how(?:\s+(?:many|much|long|old|strong|far|big|often|large))?)"
    r"(?:\s+(?:is|are|was|were|did|does|do|will|would|can|could|has|have|had|should))?\b",
    re.IGNORECASE,
)
_DEFINITIONAL = re.compile(r"^\s*(?:who|what)\s+(?:is|are|was|were)\b", re.IGNORECASE)
_QUOTED = re.compile(r"(?:(?<=\s)|^)[‘“\"']([^‘’“”\"\n]{3,80}?)[’”\"'](?=[\s.,;:!?)]|$)")
_TOKEN = re.compile(r"[^\W_](?:[\w’'&.–-]*[^\W_])?|&")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$|^\s*$")
_MARKERS = re.compile(r"\s*\[\d+\]")
# Prepositions that set a phrase in time or place ("the call on 25 November", "the talks
# in Geneva"); "of" belongs to the noun itself.
_SETTING = frozenset({"on", "in", "at", "from", "to", "with", "for", "before", "after"})
# What the chat-completions route appends to its answers: not part of what was said.
SOURCES_HEADING = "\n\n**Sources**"


@dataclass(frozen=True)
class Mention:
    """Something a turn names: a person, a ship, another name, a date, a quote or an
    event phrase."""

    text: str
    kind: str  # "person", "vessel", "name", "date", "quote" or "event"
    # The person's name without the titles before it, as the entity recogniser marks it
    # ("Captain Erling Moen" -> "Erling Moen").
    person: str | None = field(default=None, compare=False)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(terms(self.text))

    @property
    def label(self) -> str:
        """As a rewrite names it: a person without titles ("Captain Erling Moen",
        "US Secretary of State Marco Rubio" -> the PERSON span of the parse)."""
        return self.person if self.kind == "person" and self.person else self.text


@dataclass(frozen=True)
class Resolution:
    """The question to search for, and the question as typed."""

    question: str
    typed: str
    follow_up: bool = False
    method: str = "none"  # "none", "offline" or "llm"
    # The standalone question without the earlier turns' context appended in parentheses:
    # what the answer must hold is decided from it (None: `question` has no such context).
    asked: str | None = None

    @classmethod
    def unchanged(cls, question: str) -> Resolution:
        return cls(question, question)

    @property
    def carried_terms(self) -> frozenset[str]:
        """Terms of the rewrite that only the earlier turns supplied."""
        return frozenset(set(terms(self.question)) - set(terms(self.typed)))


@dataclass
class _Frame:
    """One resolved user turn: its standalone text, what it names, and the new names its
    answer introduced."""

    question: str
    text: str
    mentions: list[Mention]
    answer: list[Mention] = field(default_factory=list)
    # The opening of the answer, as said: what its mentions are read from.
    said: str = ""


def clean_answer(text: str) -> str:
    """An assistant turn as said: citation markers and an appended sources list dropped."""
    return _MARKERS.sub("", text.split(SOURCES_HEADING, 1)[0]).strip()


def _opening(answer: str) -> str:
    """The sentences an answer opens with, up to `ANSWER_CHARS` (at least its first)."""
    if len(answer) <= ANSWER_CHARS:
        return answer
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", answer)]
    within = [e for e in ends if e <= ANSWER_CHARS]
    return answer[: within[-1] if within else (ends[0] if ends else len(answer))]


def capitalised_words(texts: Sequence[str]) -> set[str]:
    """Words written capitalised somewhere other than at a sentence start: names."""
    out: set[str] = set()
    for text in texts:
        for m in _TOKEN.finditer(text):
            word = m.group(0)
            if word[0].isupper() and not _SENTENCE_END.search(text[: m.start()]):
                out.add(word.casefold())
    return out


def mentions(
    text: str,
    names: set[str] | None = None,
    events: AbstractSet[str] = frozenset(),
    *,
    definite: bool = False,
) -> list[Mention]:
    """Dates, quoted phrases, names and event phrases of `text`, in order of appearance,
    read from its parse.

    Dates are the recogniser's DATE entities. Names are its name entities and the runs of
    capitalised proper nouns it left unmarked ("Foreign Secretary Yvette Cooper": the
    titles are proper nouns compounded onto the PERSON span); a one-word name opening a
    sentence ("Repair an old boat" tagged as a name) counts only if it is among `names`
    (written capitalised elsewhere) or is a person. Event phrases are the common nouns a
    name or date pins down, those of `events` (the nouns a follow-up points at) and, with
    `definite` (a question: what it asks about), the heads of its definite noun phrases
    ("the plan")."""
    doc = _doc(text)
    found: list[tuple[int, Mention]] = []
    for m in _QUOTED.finditer(text):
        found.append((m.start(), Mention(m.group(1).strip(" .,"), "quote")))
    for ent in doc.ents:
        if ent.label_ == "DATE" and _calendar(ent.text):
            found.append((ent.start_char, Mention(ent.text, "date")))
    for span in _name_spans(doc):
        kind, person = _kind(span)
        opens = span.start == span.sent.start
        if (
            opens
            and len(span) == 1
            and kind != "person"
            and span.text.casefold() not in (names or set())
        ):
            continue
        found.append((span.start_char, Mention(span.text, kind, person)))
    # In a question, the definite noun phrases of its main clause: what it asks about
    # ("How many points did the plan have?"), not those of a clause inside it ("... where
    # he said Putin would have to come to the table").
    pointed = (
        {
            c.root.i
            for c in doc.noun_chunks
            if c[0].lower_ in _POINTING
            and c.root.tag_ in _COMMON
            and not any(t.dep_ in _CLAUSES for t in [c.root, *c.root.ancestors])
        }
        if definite
        else set()
    )
    phrases: list[tuple[int, str]] = []
    for token in doc:
        if token.lower_ in events or token.lemma_.casefold() in events or token.i in pointed:
            pass
        elif not _anchored_noun(token):
            continue
        expanded = expand(token.text, text, at=token.idx)
        if expanded:
            phrases.append((token.idx, expanded.text))
    for at, phrase_text in phrases:
        # "virtual coalition" inside "virtual coalition of the willing summit": the whole.
        if not any(phrase_text != other and phrase_text in other for _, other in phrases):
            found.append((at, Mention(phrase_text, "event")))
    found.sort(key=lambda pair: pair[0])
    out: list[Mention] = []
    for _, mention in found:
        if mention.words and mention not in out:
            out.append(mention)
    return out


# Two reference dates a date without a year is read against (service/retrieval/dates.py).
_REFERENCES = (date(2001, 3, 14), date(2002, 9, 3))


def _calendar(text: str) -> bool:
    """Whether a DATE entity names a date on the calendar ("2025", "25 November",
    "February"), not a length of time ("two years") nor one counted from when it is said
    ("last year", "this week"): it reads the same against two reference dates, or the
    same day of the year in each reference's own year."""
    if date_range(text, None) is not None:
        return True
    readings = [date_range(text, reference) for reference in _REFERENCES]
    if any(r is None for r in readings):
        return False
    days = {(r[0][5:], r[1][5:]) for r in readings if r is not None}
    years = [int(r[0][:4]) for r in readings if r is not None]
    return len(days) == 1 and years == [ref.year for ref in _REFERENCES]


def _capitalised(token: Token) -> bool:
    return token.text[:1].isupper()


def _name_spans(doc: Doc) -> list[Span]:
    """The names of `doc`: each run of capitalised proper nouns, joined across "of" or
    "the" between two of them ("Secretary of State Marco Rubio"), with the name entities
    the recogniser marks around or beside them ("Ukrainian", "the EU"), dates and numbers
    left out, an article or a possessive "'s" never part of one."""
    named = [False] * len(doc)
    for ent in doc.ents:
        if ent.label_ in lexicon.NAMES:
            for t in ent:
                named[t.i] = _capitalised(t) and t.pos_ not in ("DET", "PART", "PUNCT")
    for t in doc:
        if t.pos_ == "PROPN" and _capitalised(t) and t.ent_type_ not in _NOT_NAME_LABELS:
            named[t.i] = True
    spans: list[Span] = []
    i = 0
    while i < len(doc):
        if not named[i]:
            i += 1
            continue
        j = i + 1
        while j < len(doc) and not doc[j].is_sent_start:
            if named[j]:
                j += 1
                continue
            joiner = doc[j].lower_ in {"of", "the", "&"} or (
                doc[j].text in {"-", "–"} and not doc[j - 1].whitespace_ and not doc[j].whitespace_
            )
            if joiner and j + 1 < len(doc) and named[j + 1] and not doc[j + 1].is_sent_start:
                j += 2
                continue
            break
        spans.append(doc[i:j])
        i = j
    return spans


def _kind(span: Span) -> tuple[str, str | None]:
    """Whether a name is a person's, read from the parse (no title or place lists).

    A person when the entity recogniser marks a PERSON inside the name (titles and roles
    before it are `compound` dependents, left out of the span) and the span is a full name
    or the subject of its clause: the small model also marks single company or place
    names PERSON when they are objects. A name the recogniser leaves unmarked or calls an
    organisation (it confuses unfamiliar people with companies) is still a person when it
    is a full name of proper nouns that acts: the subject of a verb ("Nils Aarvik baked"),
    or a name with a role in apposition ("Erling Moen, the retired captain"). The person
    is named without the titles: the PERSON span. Anything else is another name."""
    # "MS Nordlys", not "Ms Jane Doe": the prefix is written in capitals.
    if span[0].lower_ in lexicon.VESSEL_PREFIXES and span[0].is_upper and len(span) > 1:
        return "vessel", None
    for ent in span.doc.ents:
        # The recogniser's span may end in a possessive "'s".
        end = ent.end
        while end > ent.start and span.doc[end - 1].pos_ in ("PART", "PUNCT"):
            end -= 1
        person = span.doc[ent.start : end]
        inside = len(person) > 0 and span.start <= person.start and person.end <= span.end
        if ent.label_ == "PERSON" and inside and (len(person) > 1 or _subject(person.root)):
            # A one-word span inside a longer name ("Erling Moen" read as "Moen"): the
            # name's last two words.
            label = person if len(person) > 1 else span[max(0, len(span) - 2) :]
            return "person", label.text
    labels = {t.ent_type_ for t in span if t.ent_type_}
    if labels - {"ORG", "PERSON"} or len(span) < 2 or any(t.pos_ != "PROPN" for t in span):
        return "name", None
    root = span.root
    acts = _subject(root) and root.head.pos_ in ("VERB", "AUX")
    role = any(c.dep_ == "appos" and c.pos_ == "NOUN" for c in root.children)
    return ("person", None) if acts or role else ("name", None)


def _anchored_noun(token: Token) -> bool:
    """A common noun a name or a date makes a particular one: "the US-Ukraine talks",
    "the February storm" (a proper noun or a date compounded onto it), "the call on 25
    November" (a prepositional phrase holding a date). Such a phrase is what a later
    "that call" means; a noun other common words modify ("the road detour") is not
    pinned down enough to be carried into another question."""
    if token.tag_ not in _COMMON:
        return False
    for child in token.children:
        if child.dep_ in ("compound", "nmod") and (
            child.pos_ == "PROPN" or child.ent_type_ in lexicon.TIMES
        ):
            return True
        if child.dep_ == "prep" and any(
            g.dep_ == "pobj" and g.ent_type_ in lexicon.TIMES for g in child.children
        ):
            return True
    return False


@dataclass(frozen=True)
class _Signals:
    """How a question refers back to earlier turns."""

    person: bool = False  # he, him, his, she, her
    thing: bool = False  # it, they, them, there ...
    demonstrative: bool = False  # that call, this plan
    ellipsis: bool = False  # "And ...", "What about ...", "Who else ...", a fragment
    fragment: bool = False  # no verb of its own: "And passengers?", "Where?"
    heads: tuple[str, ...] = ()  # nouns of definite references to earlier mentions

    @property
    def refers(self) -> bool:
        return bool(
            self.person
            or self.thing
            or self.demonstrative
            or self.ellipsis
            or self.fragment
            or self.heads
        )


def _signals(
    question: str, history_terms: set[str], said: AbstractSet[str] = frozenset()
) -> _Signals:
    words = [t.group(0).casefold() for t in _TOKEN.finditer(question)]
    person = any(w in _PERSON_PRONOUNS for w in words)
    thing = any(w in _THING_PRONOUNS for w in words)
    for i, w in enumerate(words):
        # "Is there a plan?" is existential; "Who represented NATO there?" points.
        after = words[i + 1] if i + 1 < len(words) else ""
        if w == "there" and not ((i and words[i - 1] in _BE and after) or after in _BE):
            thing = True
    # "that call", "this plan"; not "Who else does that?" nor "said that the ...".
    demonstrative = any(
        w in {"that", "this", "those", "these"} and nxt not in STOPWORDS
        for w, nxt in itertools.pairwise(words)
    )
    heads: list[str] = []
    for i, w in enumerate(words):
        if w not in {"the", "that", "this", "those", "these"}:
            continue
        phrase = list(itertools.takewhile(lambda x: x not in STOPWORDS, words[i + 1 : i + 3]))
        # The last word that came up before is the head: "the late sailing" -> "sailing",
        # "the storm cost" -> "storm".
        # "that meeting" may point at what an answer said ("... in the Paris meeting").
        seen = history_terms | said if w != "the" else history_terms
        known = [x for x in phrase if set(terms(x)) & seen]
        if known:
            heads.append(known[-1])
    # No verb of its own, as the tagger reads it: "And passengers?", "Where?".
    fragment = len(words) <= FRAGMENT_WORDS and not any(
        t.pos_ in ("VERB", "AUX") for t in _doc(question)
    )
    ellipsis = bool(_ELLIPSIS.match(question) or _ELSE.search(question))
    return _Signals(person, thing, demonstrative, ellipsis, fragment, tuple(heads))


class _Resolver:
    """Resolves the user turns of one conversation in order."""

    def __init__(self, history: Sequence[Message], events: AbstractSet[str] = frozenset()) -> None:
        self.events = events
        # The gender each person pronoun resolved so far gave its referent: one the
        # conversation called "she" is not a later "he", nor the other way round.
        self.called: dict[str, str] = {}
        texts = [m.content if m.role == "user" else clean_answer(m.content) for m in history]
        self.names = capitalised_words(texts)
        self.frames: list[_Frame] = []
        pending: str | None = None
        for message in history:
            if not message.content.strip():
                continue  # an empty turn says nothing to resolve against
            if message.role == "user":
                if pending is not None:
                    self.frames.append(self.turn(pending)[1])
                pending = message.content
            elif pending is not None:
                frame = self.turn(pending)[1]
                said = {w for m in frame.mentions for w in m.words}
                said_first = _opening(clean_answer(message.content))
                answer = mentions(said_first, self.names, self.events)
                # Of an answer's phrases, those the follow-up points at ("the late
                # sailing"): the others are what it happened to say.
                answer = [m for m in answer if m.kind != "event" or m.words & self.events]
                frame.answer = [m for m in answer if not m.words <= said][:MAX_ANSWER_NAMES]
                frame.said = said_first
                self.frames.append(frame)
                pending = None
        if pending is not None:
            self.frames.append(self.turn(pending)[1])

    def history_terms(self) -> set[str]:
        out: set[str] = set()
        for frame in self.frames:
            out |= set(terms(frame.text))
            for m in frame.answer:
                out |= m.words
        return out

    def turn(self, question: str) -> tuple[Resolution, _Frame]:
        names = self.names | capitalised_words([question])
        own = mentions(question, names, self.events, definite=True)
        if not self.frames:
            return Resolution.unchanged(question), _Frame(question, question, own)
        known = self.history_terms()
        new = [m for m in own if m.kind not in {"date", "event"} and not m.words & known]
        signals = _signals(question, known, {t for f in self.frames for t in terms(f.said)})
        if new and not self._still_follows(question, new, signals):
            return Resolution.unchanged(question), _Frame(question, question, own)  # a new topic
        # It refers back, or names nothing the conversation has not: the same topic.
        return self._rewrite(question, own, signals)

    def _still_follows(self, question: str, new: Sequence[Mention], signals: _Signals) -> bool:
        """Whether a question naming something new still leans on earlier turns."""
        if signals.thing or signals.demonstrative or signals.ellipsis or signals.heads:
            return True
        if signals.person:
            # "What did Sergei Lavrov say in his interview?": "his" is the new person, who
            # comes before it; in "What did he warn Zelensky's team about?" "he" is not.
            pronoun = re.search(r"(?i)\b(?:he|him|his|she|her|hers|himself|herself)\b", question)
            at = pronoun.start() if pronoun else len(question)
            return not any(m.kind == "person" and 0 <= question.find(m.text) < at for m in new)
        if _DEFINITIONAL.match(question):
            return False  # "Who is Christine Lagarde?"
        short = len(_TOKEN.findall(question)) <= SHORT_QUESTION_WORDS
        return short and all(m.kind == "name" and len(m.text.split()) == 1 for m in new)

    def _person(self, pronoun: str, skip: set[str]) -> Mention | None:
        """The person most likely meant: one the previous answer introduced, else one
        the previous question named, then earlier turns; a ship is "she" too. A name
        read as a person anywhere in the conversation is one everywhere; one the
        conversation already called by a pronoun of the other gender is not meant."""
        gender = _gender(pronoun)
        kinds = {"person", "vessel"} if gender == "she" else {"person"}
        people = {
            m.label for f in self.frames for m in [*f.mentions, *f.answer] if m.kind == "person"
        }
        for frame in reversed(self.frames):
            # A name in the answer to "Who ...?" is the one a follow-up speaks of, unless
            # the question named the person it asked about ("Who is Tomas Keller?").
            asks_person = _asks_person(frame.question) and not self._about(frame.question)
            eligible = [
                m
                for m in frame.mentions
                if (m.kind in kinds or m.label in people) and self._agrees(m, gender, skip)
            ]
            subject = (
                _person_subject(without_context(frame.text), eligible) if asks_person else None
            )
            if subject is not None:
                # "Who did Putin say he might call?": the answer is the object; "his"
                # next continues the subject, the one the turn was about.
                return subject
            if asks_person:
                answered = (
                    m
                    for m in frame.answer
                    if m.kind in kinds | {"name"} and self._agrees(m, gender, skip)
                )
                first = next(answered, None)
                if first is not None:
                    return first
            own = without_context(frame.text)
            if not any(m.text in own for m in eligible):
                # "What did the Austrian chancellor say ...?", then "What did he say ...?":
                # the one the question spoke of, before names carried from further back.
                subject = _definite_subject(own)
                if subject is not None and self._agrees(subject, gender, skip):
                    return subject
            # The same pronoun again means the same one ("Who named her?", then "How
            # fast is she?"), before a person who came up in between.
            again = [m for m in eligible if self.called.get(m.label) == gender]
            if again or eligible:
                return (again or eligible)[0]
            # The question named no one: the person its answer introduced ("What did the
            # club's chair call the plan?", answered "Ida Lind ... called it ...").
            introduced = next(
                (m for m in frame.answer if m.kind in kinds and self._agrees(m, gender, skip)),
                None,
            )
            if introduced is not None:
                return introduced
        return None

    def _agrees(self, mention: Mention, gender: str, skip: set[str]) -> bool:
        return mention.label not in skip and self.called.get(mention.label, gender) == gender

    def _about(self, question: str) -> bool:
        """Whether a question asks who a person it names is: "Who is Tomas Keller?"."""
        definitional = _DEFINITIONAL.match(question)
        if definitional is None:
            return False
        rest = question[definitional.end() :].strip(" ?")
        return any(m.kind == "person" and m.text == rest for m in mentions(question, self.names))

    def _phrase(self, head: str) -> Phrase | None:
        """The latest earlier phrase ending in `head`: "call" -> "coalition of the willing
        call on 25 November"."""
        for frame in reversed(self.frames):
            # The answer's own words last: "that meeting" after an answer about "the
            # Paris meeting".
            for text in (frame.text, *(m.text for m in frame.answer), frame.said):
                phrase = expand(head, text)
                if phrase:
                    return phrase
        return None

    def _rewrite(
        self, question: str, own: list[Mention], signals: _Signals
    ) -> tuple[Resolution, _Frame]:
        previous = self.frames[-1]
        text = _ELLIPSIS.sub("", question, count=1).strip() or question
        filled = False
        dated = (
            _other_year(text, without_context(previous.text))
            if signals.fragment or signals.ellipsis
            else None
        )
        within = (
            _part_of_year(text, without_context(previous.text))
            if dated is None and (signals.fragment or signals.ellipsis)
            else None
        )
        if dated is not None:
            # "And in 2024?", "And the year after?": the previous question, in that year.
            filled, text = True, dated
        elif within is not None:
            # "And in the fourth quarter alone?": the previous question, that part of its year.
            filled, text = True, within
        elif signals.fragment:
            filled_text = _fill_fragment(text, previous, own)
            filled, text = filled_text != text, filled_text
        people = self._that_year(self._people(text))
        anchored = filled or people != text or any(m.kind != "date" for m in own)
        text = self._answered_kind(self._plurals(people), previous)
        for head in signals.heads:
            text = self._definite(text, head)
        text = text[:1].upper() + text[1:]
        present = set(terms(text))
        carried: list[str] = []
        # "Who else does that?", "And what would the others offer?", "Which city lost
        # water and electricity?": nothing in the question anchors it, so what the
        # previous question asked about comes along.
        elliptical = (signals.ellipsis and not filled) or _points_at_what_was_said(question)
        if elliptical or (not anchored and previous.text == previous.question):
            frame = _predicate(previous)
            if frame and not set(terms(frame)) <= present:
                carried.append(frame)
                present |= set(terms(frame))
        # After "Who ...?" or "Which ...?" the answer's names are what a follow-up is about.
        asks_entity = re.match(
            r"(?i)\s*(?:who|whom|whose|which|where)\b",
            _ELLIPSIS.sub("", previous.question, count=1),
        )
        pool = (
            [*previous.answer, *previous.mentions]
            if asks_entity
            else [*previous.mentions, *previous.answer]
        )
        # The previous question's times, and what they are made of ("third quarter").
        times = " ".join(m.text for m in previous.mentions if m.kind == "date")
        for mention in pool:
            if len(carried) >= MAX_CARRIED:
                break
            if (dated or within) and (
                mention.kind == "date" or mention in previous.answer or mention.text in times
            ):
                continue  # the time the follow-up replaced, and what was true in it
            words = frozenset(terms(mention.label))
            if words and not words & present:
                carried.append(mention.label)
                present |= words
        asked = text
        if carried:
            text = f"{text.rstrip()} ({', '.join(carried)})"
        resolution = Resolution(text, question, follow_up=True, method="offline", asked=asked)
        names = self.names | capitalised_words([question])
        # The rewrite and its context are parsed apart: the rewrite alone is what a later
        # turn reads again ("they", "there"), so it is parsed once for both.
        found = mentions(without_context(text), names, self.events, definite=True)
        if carried:
            found += mentions(f"({', '.join(carried)})", names, self.events, definite=True)
        return resolution, _Frame(question, text, _unique([*own, *found]))

    def _plural_antecedent(self, token: Token) -> str | None:
        """The plural noun phrase of the latest earlier question that "they" stands for.

        A definite phrase ("the talks", "Ukraine's forces", "which countries' officials"
        without its wh-word), not a bare plural the parse may have cut from a verb ("pause
        hostilities"). The subject of an active verb ("What were they going to draw up?")
        stands for an earlier subject, the actors; a passive subject or an object ("Where
        were they held?", "Who attended them?") for the subject or, failing one, the first
        such phrase."""
        active = token.dep_ == "nsubj" and not any(c.dep_ == "auxpass" for c in token.head.children)
        for frame in reversed(self.frames):
            chunks: list[tuple[bool, str]] = []
            for c in _definite_chunks(without_context(frame.text), _PLURAL_TAGS):
                wh = [t for t in c if t.tag_ in lexicon.WH_TAGS]
                if wh and wh[-1].i >= c.root.i:
                    continue
                rest = c[wh[-1].i + 1 - c.start :] if wh else c
                text = rest.text if len(rest) else ""
                if text:
                    chunks.append((_subject(c.root), text))
            subjects = [text for is_subject, text in chunks if is_subject]
            if active:
                if subjects:
                    return subjects[0]
            elif chunks:
                return (subjects or [text for _, text in chunks])[0]
        return None

    def _singular_antecedent(self) -> str | None:
        """The thing "it" stands for: the first singular noun phrase of the latest earlier
        question that names no person, place or body and is not what it asked with its
        wh-word ("Which newspaper reported that the US had sent Ukraine a draft deal?":
        "a draft deal"). When the latest question names nothing else, its asked thing is
        meant: "What plan were they discussing?", then "How many points did it have?" is
        about the plan, not about something from further back."""
        named = lexicon.PERSONISH | lexicon.PLACES
        for n, frame in enumerate(reversed(self.frames)):
            asked: str | None = None
            for c in _definite_chunks(without_context(frame.text), _SINGULAR_TAGS):
                if c.root.ent_type_ in named or _inside_name(c):
                    continue
                wh = [t for t in c if t.tag_ in lexicon.WH_TAGS]
                if not wh:
                    return c.text
                after = c[wh[-1].i + 1 - c.start :]
                if n == 0 and asked is None and len(after) and wh[-1].i < c.root.i:
                    asked = f"the {after.text}"
            if asked is not None:
                return asked
        return None

    def _that_year(self, text: str) -> str:
        """ "that year" ("the same year") as the year the latest earlier question naming
        one names, when it names only one: "Who won the final stage that year?" after
        "Who won the 2025 Tour?" is "Who won the final stage in 2025?"."""
        if _THAT_YEAR.search(text) is None:
            return text
        for frame in reversed(self.frames):
            years = {year for _, year in _years(_doc(without_context(frame.text)))}
            if years:
                return _THAT_YEAR.sub(f"in {years.pop()}", text) if len(years) == 1 else text
        return text

    def _place(self) -> str | None:
        """The place "there" points at: the place entity of the latest earlier question
        naming one, when it names only one (with two, "there" stays and they are carried).
        An answer that names a place comes between: after "Where ...?" the one place it
        puts "in" or "at" is where "there" is; any other answer naming a place leaves
        "there" as it is ("The Paris talks followed discussions in Saudi Arabia")."""
        for frame in reversed(self.frames):
            answered = _answered_places(frame)
            if answered:
                where = _asks_where(frame.text)
                located = {e.text for e in answered if _governed_by_place_word(e)}
                return located.pop() if where and len(located) == 1 else None
            # A possessor ("Ukraine's forces") names an owner, not where something is.
            places = {
                e.text
                for e in _doc(without_context(frame.text)).ents
                if e.label_ in lexicon.PLACES and e.root.dep_ != "poss"
            }
            if places:
                return places.pop() if len(places) == 1 else None
        return None

    def _plurals(self, text: str) -> str:
        """ "they", "them", "their" replaced by the plural phrase they stand for, and a
        pointing "there" by the place, as read from the parse: "Where were they held?"
        after a question about "the US-Ukraine talks" is "Where were the US-Ukraine talks
        held?"; "there" after a question naming Geneva is "in Geneva"."""
        doc = _doc(text)
        pieces: list[str] = []
        last = 0
        for token in doc:
            # "Is there a plan?", "How many troops are there?": existential, not pointing.
            beside_be = any(
                0 <= j < len(doc) and doc[j].lemma_ == "be" for j in (token.i - 1, token.i + 1)
            )
            if token.lower_ == "there":
                pointing = token.dep_ != "expl" and not beside_be
                # "How many troops are there?" after a question about a place counts them
                # there, whichever way "there" is read: it keeps "there" and gains the place.
                place = self._place() if pointing or _closes(token) else None
                if place is not None:
                    end = token.idx + len(token.text)
                    kept = text[last : token.idx] if pointing else f"{text[last:end]} "
                    pieces.append(f"{kept}in {place}")
                    last = end
                continue
            singular = token.lower_ in {"it", "its"} and token.dep_ != "expl"
            if token.pos_ != "PRON" or not (singular or token.lower_ in {"they", "them", "their"}):
                continue
            if _bound(token):
                continue
            phrase = self._singular_antecedent() if singular else self._plural_antecedent(token)
            if phrase is None:
                continue
            if phrase.split()[0] in {"The", "These", "Those"}:
                phrase = phrase[:1].lower() + phrase[1:]  # "The talks" opened its question
            if token.lower_ in {"their", "its"}:
                phrase += "'" if phrase.endswith("s") else "'s"
            pieces.append(text[last : token.idx])
            pieces.append(phrase)
            last = token.idx + len(token.text)
        pieces.append(text[last:])
        return "".join(pieces)

    def _answered_kind(self, text: str, previous: _Frame) -> str:
        """ "that party" -> the name the previous answer gave, when the previous question
        asked for a name and the pointing phrase's noun is a kind of named thing that no
        earlier turn used ("Who voted against?", "Elmby Greens voted against", then "How
        many seats does that party have?"): the phrase describes the answer."""
        named = [m for m in previous.answer if m.kind in {"person", "vessel", "name"}]
        if (
            not named
            or not previous.question
            or not parse_question(without_context(previous.question)).types
        ):
            return text
        known = self.history_terms()
        for chunk in _doc(text).noun_chunks:
            kinds = lexicon.CATEGORY_TYPES.get(chunk.root.lemma_.casefold(), frozenset())
            if (
                len(chunk) == 2
                and chunk[0].lower_ in {"that", "this"}
                and kinds
                and kinds <= lexicon.NAMES
                and not set(terms(chunk.root.text)) & known
            ):
                return text[: chunk.start_char] + named[0].label + text[chunk.end_char :]
        return text

    def _definite(self, text: str, head: str) -> str:
        """ "that call" -> "the coalition of the willing call on 25 November"; "the new
        bridge" keeps its own modifiers and gains only the earlier place ("at Leeds")."""
        found = self._phrase(head)
        pattern = rf"\b(?:that|this|those|these|the)\s+((?:[\w’'–-]+\s+){{0,2}}?){head}\b"
        m = re.search(pattern, text, re.IGNORECASE)
        if found is None or m is None:
            return text
        if m.group(1).strip():
            # "the 2025 festival" gains no "in 2025": the question says what it says.
            if not found.tail or set(terms(found.tail)) <= set(terms(text)):
                return text
            replacement = m.group(0) + found.tail
        else:
            replacement = f"the {found.text}"
        if replacement.casefold() == m.group(0).casefold():
            return text
        return text[: m.start()] + replacement + text[m.end() :]

    def _people(self, text: str) -> str:
        """Person pronouns replaced (first occurrence of each referent): the subject
        ("he") by the likeliest person, an object ("him") beside it by the next one."""
        used: set[str] = set()
        subject: str | None = None
        pieces: list[str] = []
        last = 0
        for m in re.finditer(r"\b(?:he|him|his|she|her|hers|himself|herself)\b", text, re.I):
            pronoun = m.group(0).casefold()
            skip = {subject} if subject and pronoun in _OBJECT | {"himself", "herself"} else set()
            if pronoun in {"himself", "herself"}:
                skip = set()
            found = self._person(pronoun, skip)
            pieces.append(text[last : m.start()])
            last = m.end()
            if found is None:
                pieces.append(m.group(0))
                continue
            name = found.label
            self.called.setdefault(name, _gender(pronoun))
            if pronoun in _SUBJECT and subject is None:
                subject = name
            if name in used:
                pieces.append(m.group(0))  # later mentions stay pronouns
                continue
            used.add(name)
            possessive = pronoun in _POSSESSIVE or (
                pronoun == "her" and _possessive_her(text, m.end())
            )
            pieces.append(f"{name}'s" if possessive else name)
        pieces.append(text[last:])
        return "".join(pieces)


@dataclass(frozen=True)
class Phrase:
    """A noun phrase of an earlier turn: "coalition of the willing" + "call" + " on 25
    November"."""

    modifiers: str
    head: str
    tail: str

    @property
    def text(self) -> str:
        return f"{self.modifiers} {self.head}".strip() + self.tail


def expand(head: str, text: str, at: int | None = None) -> Phrase | None:
    """`head` in `text` (its last occurrence, or the one at offset `at`) with the
    modifiers back to its determiner and a following dated or named prepositional phrase,
    or None when it has neither and no determiner either."""
    tokens = list(_TOKEN.finditer(text))
    wanted = set(terms(head))
    for k in range(len(tokens) - 1, -1, -1):
        if set(terms(tokens[k].group(0))) != wanted:
            continue
        if at is not None and tokens[k].start() != at:
            continue
        i = k
        start: int | None = None
        while i > 0 and k - i < 6:
            prev = tokens[i - 1].group(0).casefold()
            if text[tokens[i - 1].end() : tokens[i].start()].strip():
                break
            if prev == "the" and i > 1 and tokens[i - 2].group(0).casefold() == "of":
                i -= 2  # "coalition of the willing"
                continue
            if prev in _DETERMINERS or prev.endswith(("'s", "’s")):
                start = i
                break
            if prev in STOPWORDS:
                break
            i -= 1
        tail = _tail(text, tokens[k].end())
        modifiers = (
            text[tokens[start].start() : tokens[k].start()].strip() if start is not None else ""
        )
        if modifiers or tail or start is not None:
            return Phrase(modifiers, tokens[k].group(0), tail)
        return None
    return None


def _named_end(token: Token) -> int | None:
    """Where the date or name `token` belongs to ends, or None if it is neither."""
    ent = next((e for e in token.doc.ents if e.start <= token.i < e.end), None)
    if ent is not None and (ent.label_ == "DATE" or ent.label_ in lexicon.NAMES):
        return int(ent.end_char)
    if token.pos_ == "PROPN" and _capitalised(token):
        return int(token.idx + len(token.text))
    return None


def _tail(text: str, end: int) -> str:
    """The prepositional phrase right after offset `end` when the parse finds a date or a
    name as its object: " on 25 November", " in Geneva"; else ""."""
    doc = _doc(text)
    prep = next((t for t in doc if t.idx >= end), None)
    if prep is None or text[end : prep.idx].strip() or prep.lower_ not in _SETTING:
        return ""
    obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
    if obj is None:
        return ""
    stop = _named_end(obj)
    if stop is None:
        return ""
    # "to Leeds and York": both places.
    for conj in obj.children:
        if conj.dep_ == "conj":
            stop = max(stop, _named_end(conj) or stop)
    return text[end:stop] if stop > prep.idx else ""


def _years(doc: Doc) -> list[tuple[Token, int]]:
    """The tokens of `doc` that name a whole year ("2024"), with the year."""
    out: list[tuple[Token, int]] = []
    for token in doc:
        found = date_range(token.text, None) if token.like_num else None
        # One calendar year: "2024", not a decade ("the 1990s") nor a day.
        if found is not None and found == (f"{found[0][:4]}-01-01", f"{found[0][:4]}-12-31"):
            out.append((token, int(found[0][:4])))
    return out


def _other_year(fragment: str, base: str) -> str | None:
    """`base` (the previous question) with its year replaced by the one `fragment` asks
    about: "And in 2024?" names it, "And the year after?" shifts it. None unless the
    fragment says nothing but a year and `base` names exactly one."""
    doc = _doc(fragment)
    named = _years(doc)
    lemmas = {t.lemma_.casefold() for t in doc}
    rest = [
        t
        for t in doc
        if not (t.is_punct or t.lower_ in STOPWORDS or t.lemma_ == "year")
        and t.lower_ not in lexicon.SHIFT_AFTER | lexicon.SHIFT_BEFORE
        and t.i not in {y.i for y, _ in named}
    ]
    if rest:
        return None
    old = {year for _, year in _years(_doc(base))}
    if len(old) != 1:
        return None
    (was,) = old
    if len(named) == 1:
        new = named[0][1]
    elif not named and "year" in lemmas and lemmas & lexicon.SHIFT_AFTER:
        new = was + 1
    elif not named and "year" in lemmas and lemmas & lexicon.SHIFT_BEFORE:
        new = was - 1
    else:
        return None
    return re.sub(rf"\b{was}\b", str(new), base)


def _part_of_year(fragment: str, base: str) -> str | None:
    """`base` (the previous question) narrowed to the part of its one year that
    `fragment` names without a year: "And in the fourth quarter alone?" after "What was
    the revenue in 2024?" asks about "the fourth quarter of 2024", "And in March?" about
    "March 2024". None unless the fragment is a time, with its preposition and adverbs,
    and `base` names exactly one year."""
    doc = _doc(fragment)
    times = [e for e in doc.ents if e.label_ in lexicon.TIMES]
    if len(times) != 1 or _years(doc):
        return None
    (time,) = times
    said = {t.lower_ for t in time}
    if said & (lexicon.SHIFT_AFTER | lexicon.SHIFT_BEFORE) or said.intersection(lexicon.WEEKDAYS):
        return None  # "the week before", "on Sunday": no part of a year by itself
    rest = [
        t
        for t in doc
        if not (t.is_punct or t.i in range(time.start, time.end))
        and t.pos_ not in ("ADP", "ADV", "CCONJ")
    ]
    if rest:
        return None
    base_doc = _doc(base)
    years = _years(base_doc)
    if len({year for _, year in years}) != 1:
        return None
    token = years[0][0]
    # A part of the year the base already names gives way: "the third quarter of 2025",
    # "February 2025".
    held = next((e for e in base_doc.ents if e.start <= token.i < e.end), None)
    if (held.root if held is not None else token).dep_ != "pobj":
        return None  # a time a preposition governs ("in 2024"), not "the 2024 race"
    start = held.start_char if held is not None else token.idx
    # "March 2024", but "the fourth quarter of 2024".
    joined = " " if time[-1].pos_ == "PROPN" else " of "
    return base[:start] + time.text + joined + base[token.idx :]


def _fill_fragment(fragment: str, previous: _Frame, own: Sequence[Mention]) -> str:
    """An elliptical fragment put into the previous question's frame.

    "Where?" takes the previous question with its question word swapped; a name takes the
    place of the previous question's first name; a noun after "How many" takes the
    counted noun's place. Otherwise the fragment is kept and the frame is carried."""
    base = re.sub(r"\s*\([^()]*\)\s*$", "", previous.text).strip()
    words: list[str] = _TOKEN.findall(fragment)
    lowered = [w.casefold() for w in words]
    base_words: list[str] = _TOKEN.findall(base)
    if not words or not base_words:
        return fragment
    if len(words) == 1 and lowered[0] in _WH and base_words[0].casefold() in _WH:
        doc = _doc(base)
        stranded = stranded_preposition(doc)
        if stranded is not None:
            # "Who will it be handed to?", then "And when?": the preposition was the old
            # wh-word's, not the new one's.
            base = base[: stranded.idx].rstrip() + base[stranded.idx + len(stranded) :]
            doc = _doc(base)
        moved = _object_after_verb(doc)
        if moved is not None:
            return words[0].capitalize() + moved
        wh = doc[:1]
        if len(doc) > 1 and doc[0].head.i == 1 and doc[1].pos_ in ("ADJ", "ADV"):
            wh = doc[:2]  # "Why?" after "How much did it cost?" swaps "How much"
        return words[0].capitalize() + base[wh.end_char :]
    names = [m for m in own if m.kind in {"person", "vessel", "name"}]
    if names:
        # The first in the question's own order, its subject before a possessor in the
        # object ("And Starmer?" after "How did Zelensky describe Putin's response?").
        written = _in_order(previous.mentions, base)
        replacing = next((m for m in written if _same_kind(m, names[0])), None) or next(
            (m for m in written if m.kind != "date"), None
        )
        if replacing is not None:
            return base.replace(replacing.text, names[0].text, 1)
        return fragment
    phrase = _noun_phrase(fragment)
    counted = _counted_noun(base)
    content = [w for w in words if w.casefold() not in STOPWORDS]
    if (
        counted is not None
        and content
        and not re.match(r"(?i)\s*how\b", fragment)
        and (phrase is None or _counts_instead(phrase, counted))
    ):
        noun = " ".join(content)
        return base[: counted.idx] + noun + base[counted.idx + len(counted.text) :]
    if phrase is None:
        return fragment
    return (
        _same_noun(phrase, base)
        or _other_attribute(phrase, base)
        or _owned(phrase, base, previous)
        or _sole_thing(phrase, base)
        or fragment
    )


def _counted_noun(base: str) -> Token | None:
    """The noun "how many" or "how much" counts in `base` ("How many votes ..."), if any;
    not the verb of "How much did it cost?"."""
    doc = _doc(base)
    if len(doc) < 3 or doc[0].lower_ != "how" or doc[1].lower_ not in ("many", "much"):
        return None
    noun = doc[2]
    return noun if noun.pos_ == "NOUN" else None


def _counts_instead(phrase: Span, counted: Token) -> bool:
    """Whether the fragment names another thing to count where `counted` was counted: a
    plural after "how many" ("And seats?"), a noun after "how much" ("And profit?"); not a
    person's ("And her opponent?") nor one thing ("And the other ferry?")."""
    if any(t.dep_ == "poss" for t in phrase):
        return False
    return phrase.root.tag_ in _PLURAL_TAGS or counted.tag_ not in _PLURAL_TAGS


def _noun_phrase(fragment: str) -> Span | None:
    """The fragment when it is a common noun's phrase and nothing else ("the men's race",
    "its net profit")."""
    doc = _doc(fragment)
    chunks = list(doc.noun_chunks)
    words = [t for t in doc if not t.is_punct]
    if len(chunks) != 1 or chunks[0].root.pos_ != "NOUN" or len(chunks[0]) < len(words):
        return None
    return chunks[0]


def _same_noun(phrase: Span, base: str) -> str | None:
    """`base` (the previous question) asking the same of another thing its noun names, by
    the same noun: "And the men's race?" after "Who won the women's race in 2024?" is "Who
    won the men's race in 2024?". The phrase takes the place of the one with that noun,
    unless that one is the wh-phrase ("which race")."""
    noun = phrase.root.lemma_.casefold()
    chunk = next((c for c in _doc(base).noun_chunks if c.root.lemma_.casefold() == noun), None)
    if chunk is None or any(t.tag_ in lexicon.WH_TAGS for t in chunk):
        return None
    root = chunk.root if chunk.root.pos_ == "PROPN" else phrase.root
    det = [t.text for t in phrase if t.dep_ == "det"]
    own = [t.text for t in phrase if t.dep_ != "det" and t.i != phrase.root.i]
    words = [*det, *_kept(chunk, phrase, "NUM"), *own, *_kept(chunk, phrase, "PROPN"), root.text]
    return base[: chunk.start_char] + " ".join(words) + base[chunk.end_char :]


def _kept(chunk: Span, phrase: Span, pos: str) -> list[str]:
    """The words of part of speech `pos` (a name, a number) that say which one `chunk` is,
    unless `phrase` says another: "And the 2025 prize?" after "Who won the 2024 Elm
    Prize?" asks about the 2025 Elm Prize, "And the half marathon?" after "Who won the 2024
    Elm Marathon?" about the 2024 half one."""
    if any(t.pos_ == pos for t in phrase):
        return []
    return [t.text for t in chunk if t.pos_ == pos and t.i != chunk.root.i]


def _owned(phrase: Span, base: str, previous: _Frame) -> str | None:
    """`base` asking the same of someone's, where a person's possessive opens the phrase:
    "And her opponent?" after "How many votes did Anna Berg get?" is "How many votes did
    Anna Berg's opponent get?". The phrase takes the place of the first person the
    question names."""
    owner = next((t for t in phrase if t.dep_ == "poss" and t.lower_ in lexicon.PERSON_FORMS), None)
    if owner is None:
        return None
    person = next((m for m in _in_order(previous.mentions, base) if m.kind == "person"), None)
    if person is None:
        return None
    rest = " ".join(t.text for t in phrase if t.i != owner.i and t.dep_ != "det")
    at = base.find(person.text)
    return f"{base[:at]}{person.text}'s {rest}{base[at + len(person.text) :]}"


def _sole_thing(phrase: Span, base: str) -> str | None:
    """`base` asking the same of the thing the fragment names, where `base` asks about one
    thing by a definite common noun: "And the hall?" after "Who opened the new quay in
    Elmby?" is "Who opened the hall in Elmby?". Two such things: which one is meant is not
    said, and nothing is replaced."""
    if not _pointed(phrase):
        return None
    things = [
        chunk
        for chunk in _doc(base).noun_chunks
        if chunk.root.pos_ == "NOUN"
        # A phrase that is the question's root is the small model's misparse ("How much
        # did the new quay cost" read as one noun phrase), not one thing in it.
        and chunk.root.dep_ != "ROOT"
        and _pointed(chunk)
        and not any(t.tag_ in lexicon.WH_TAGS for t in chunk)
    ]
    if len(things) != 1:
        return None
    return base[: things[0].start_char] + phrase.text + base[things[0].end_char :]


def _pointed(phrase: Span) -> bool:
    """Whether an article or a demonstrative opens the phrase: "the hall", "that call"."""
    return any(t.dep_ == "det" and t.lower_ in _POINTING for t in phrase)


def _in_order(mentions: Sequence[Mention], text: str) -> list[Mention]:
    """The mentions `text` writes, in its order."""
    return sorted((m for m in mentions if m.text in text), key=lambda m: text.find(m.text))


def _other_attribute(fragment: Span, base: str) -> str | None:
    """`base` (the previous question) asking the same of another thing that `fragment`, a
    noun phrase alone, names: "And its net profit?" after "What was Elm Ltd's revenue in
    2023?" is "What was Elm Ltd's net profit in 2023?". The noun "what" asked about is
    replaced with its modifiers, not its owner, which "its" stands for."""
    phrase = " ".join(t.text for t in fragment if t.dep_ not in ("det", "poss"))
    asked = _asked_attribute(base)
    if asked is None or not phrase:
        return None
    modifiers = [c for c in asked.lefts if c.dep_ in ("amod", "compound", "nmod")]
    start = (modifiers[0] if modifiers else asked).idx
    end = asked.idx + len(asked.text)
    return base[:start] + phrase + base[end:]


def _object_after_verb(doc: Doc) -> str | None:
    """The question after its wh-phrase, with the object that phrase asked about put back
    after its verb: "What missiles will the UK deliver to Ukraine?" -> " will the UK
    deliver the missiles to Ukraine?", for "When?" to open. None unless the question opens
    with a wh-word determining its verb's object."""
    wh = doc[0]
    noun = wh.head
    if wh.dep_ != "det" or noun.dep_ != "dobj" or noun.i != 1 or noun.head.i <= noun.i:
        return None
    verb = noun.head
    text = doc.text
    after_noun = doc[noun.i + 1].idx if noun.i + 1 < len(doc) else len(text)
    verb_end = verb.idx + len(verb.text)
    return f" {text[after_noun:verb_end].strip()} the {noun.text}{text[verb_end:]}"


def _same_kind(one: Mention, other: Mention) -> bool:
    """Whether two mentions may stand for the same kind of thing: a bare name may be a
    person's ("Starmer" for "Zelensky")."""
    return one.kind == other.kind or {one.kind, other.kind} <= {"person", "name"}


def _predicate(frame: _Frame) -> str:
    """What a question asked about, without its question word: "What is the UK doing
    with the proceeds of frozen Russian assets?" -> "the UK doing with the proceeds of
    frozen Russian assets"."""
    own = re.sub(r"\s*\([^()]*\)\s*$", "", frame.text).strip().rstrip("?.! ")
    words = {t.casefold() for t in _TOKEN.findall(own)}
    pointing = re.search(r"(?i)\b(?:that|this|these|those)\s+\w", own)
    if words & (_THING_PRONOUNS | _PERSON_PRONOUNS | {"there"}) or pointing:
        return ""  # itself unresolved: its names are carried instead
    asked = _QUESTION_WORDS.match(own)
    return own[asked.end() :].strip() if asked else ""


_PLURAL_TAGS = frozenset({"NNS", "NNPS"})
_SINGULAR_TAGS = frozenset({"NN", "NNP"})
_COMMON = frozenset({"NN", "NNS"})
# Dependency relations that open a clause inside another.
_CLAUSES = frozenset({"relcl", "ccomp", "advcl", "acl", "xcomp", "csubj", "pcomp"})
_POINTING = frozenset({"the", "that", "this", "these", "those"})
# Entity labels of dates and amounts: never part of a name ("November" is a proper noun).
_NOT_NAME_LABELS = frozenset(
    {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}
)


def _doc(text: str) -> Doc:
    """The parse of one turn, shared with the question reader (service/core/nlp.py): each
    text of a conversation is parsed once, not once per request."""
    return nlp.parse(text)


def _gender(pronoun: str) -> str:
    """ "she" or "he": the gender a person pronoun gives its referent."""
    return "she" if pronoun.casefold() in _FEMININE else "he"


def _asks_where(question: str) -> bool:
    """Whether the question asks where: its answer is a place."""
    return parse_question(without_context(question)).wh == "where"


# A year an earlier turn named: "that year", "in that year", "the same year" (not "that
# year's race", which would need the year as a possessor).
_THAT_YEAR = re.compile(r"\b(?:in\s+)?(?:that|the\s+same)\s+year\b(?!['’])", re.IGNORECASE)


def _answered_places(frame: _Frame) -> list[Span]:
    """The places among the names the frame's answer introduced, as its opening says them:
    a name it puts "in" or "at" is a place whatever the small model labels it ("especially
    in Kursk": a PRODUCT to it); a possessor ("Russia's Kursk region") is an owner."""
    named = {m.text for m in frame.answer}
    return [
        e
        for e in _doc(frame.said).ents
        if e.text in named
        and e.root.dep_ != "poss"
        and (e.label_ in lexicon.PLACES or _governed_by_place_word(e))
    ]


def _closes(token: Token) -> bool:
    """Whether the token is the question's last word."""
    return all(t.is_punct or t.is_space for t in token.doc[token.i + 1 :])


def _governed_by_place_word(entity: Span) -> bool:
    head = entity.root.head
    return entity.root.dep_ == "pobj" and head.lower_ in lexicon.LOCATIVE


def _asks_person(question: str) -> bool:
    """Whether a question asks for a person: "Who ...?", "Which ministers ...?" (the
    types its wh-phrase asks for include PERSON; "Which country ...?" does not)."""
    return "PERSON" in parse_question(question).types


def _points_at_what_was_said(question: str) -> bool:
    """A question ending in a "that" that stands for what was said or done ("Who else
    does that?", "Why did he say that?"): the pronoun as the object of its verb."""
    words = [t for t in _doc(question) if not t.is_punct]
    last = words[-1] if words else None
    return (
        last is not None
        and last.lower_ == "that"
        and last.pos_ == "PRON"
        and last.head.pos_ in ("VERB", "AUX")
    )


def _person_subject(question: str, people: Sequence[Mention]) -> Mention | None:
    """The person of `people` a question's main verb has as its subject, when its wh-word
    is not that subject ("Putin" in "Who did Putin say he might call?", none in "Who won
    the race?"): a pronoun after it continues the subject, not the object the answer
    fills, as pronouns continue the subject of the sentence before."""
    root = next((t for t in _doc(question) if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    for child in root.children:
        if child.dep_ in ("nsubj", "nsubjpass") and child.tag_ not in lexicon.WH_TAGS:
            return next((m for m in people if child.text in m.text.split()), None)
    return None


def _definite_subject(question: str) -> Mention | None:
    """The definite singular noun phrase a question's main verb has as its subject ("the
    Austrian chancellor" in "What did the Austrian chancellor say?"), if any."""
    for chunk in _doc(question).noun_chunks:
        root = chunk.root
        if (
            root.dep_ == "nsubj"
            and root.tag_ == "NN"
            and root.head.dep_ == "ROOT"
            and chunk[0].lower_ == "the"
            # A role a nation or a name qualifies ("the Austrian chancellor", "the UK
            # envoy"): someone, not something ("the delivery voyage").
            and any(t.ent_type_ in lexicon.NAMES for t in chunk if t.i != root.i)
        ):
            return Mention(chunk.text, "event")
    return None


def _definite_chunks(text: str, tags: frozenset[str]) -> Iterator[Span]:
    """The noun phrases of `text` whose head has one of `tags` and that a determiner or a
    possessor makes definite ("the talks", "Ukraine's forces"), not a bare noun the parse
    may have cut from a verb ("pause hostilities") nor a pronoun."""
    for c in _doc(text).noun_chunks:
        if c.root.tag_ not in tags or c.root.pos_ == "PRON":
            continue
        # "which ferry", and "what ferry" as the parse tags it (a pronoun): its determiner.
        wh_determined = c[0].tag_ in lexicon.WH_TAGS and c[0].dep_ == "det"
        if c[0].pos_ == "DET" or wh_determined or any(t.dep_ == "poss" for t in c):
            yield c
            continue
        # "How much did the new bridge in Elmby cost?": where the small model tags the verb
        # a noun, the phrase it makes runs from the wh-word; the definite one starts at
        # its determiner.
        det = next((t for t in c if t.pos_ == "DET" and t.i > c.start), None)
        if det is not None and not any(t.pos_ in ("NOUN", "PROPN") for t in c[: det.i - c.start]):
            yield c[det.i - c.start :]


def _subject(token: Token) -> bool:
    return token.dep_ in {"nsubj", "nsubjpass"}


def _asked_attribute(question: str) -> Token | None:
    """The noun "what is" asks about ("What is the budget of ...?"), if the question is
    one."""
    parsed = parse_question(question)
    if parsed.wh != "what" or parsed.head is None:
        return None
    return next(
        (
            t
            for t in _doc(question)
            if t.pos_ == "NOUN" and t.lemma_.casefold() == parsed.head and t.head.lemma_ == "be"
        ),
        None,
    )


def _inside_name(chunk: Span) -> bool:
    """Whether the noun phrase ends a proper name that runs on through a preposition:
    "the Year" of "Car of the Year", not a thing of its own."""
    prep = chunk.root.head
    return chunk.root.dep_ == "pobj" and prep.dep_ == "prep" and prep.head.pos_ == "PROPN"


def _bound(pronoun: Token) -> bool:
    """Whether a third-person pronoun stands for a noun phrase of its own question, said
    before it: the first of a coordination its noun is in ("How did Elmland and its allies
    respond?"), or, for a possessive or a subject, the subject of a clause it is in ("Why
    did the company cut its forecast?", "What did the ministers say they would do?"); an
    object is not its own clause's subject ("Which shipyard is building it?"). "It" is not
    a person."""
    plural = pronoun.lower_ in {"they", "them", "their"}

    def agrees(noun: Token) -> bool:
        return (
            noun.i < pronoun.i
            and noun.pos_ in ("NOUN", "PROPN")
            and (noun.tag_ in _PLURAL_TAGS) == plural
            and (plural or noun.ent_type_ != "PERSON")
        )

    possessive = pronoun.dep_ == "poss"
    if possessive and pronoun.head.dep_ == "conj" and agrees(pronoun.head.head):
        return True
    if not (possessive or _subject(pronoun)):
        return False  # "Which shipyard is building it?": an object is not its clause's subject
    t = pronoun
    while t.head.i != t.i:
        t = t.head
        if t.pos_ in ("VERB", "AUX") and any(
            _subject(c) and c.i != pronoun.i and agrees(c) for c in t.children
        ):
            return True
    return False


def _possessive_her(text: str, end: int) -> bool:
    """ "her" before a noun ("her top speed") is possessive; before a particle or at the
    end ("named her?") it is an object."""
    rest = text[end:].split()
    if not rest:
        return False
    nxt = rest[0].casefold().strip(".,;:!?")
    return bool(nxt) and nxt not in STOPWORDS and nxt not in {"once", "for", "to"}


def _unique(items: Sequence[Mention]) -> list[Mention]:
    out: list[Mention] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def resolve(question: str, history: Sequence[Message]) -> Resolution:
    """The standalone form of `question` given the earlier turns (oldest first)."""
    if not history:
        return Resolution.unchanged(question)
    # The nouns the follow-up points at are what it may refer back to: read from its parse.
    return _Resolver(history, parse_question(question).definite).turn(question)[0]
