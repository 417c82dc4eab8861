"""What a question asks, read from its parse (service/core/nlp.py): the only text a request
parses.

- the asked-for types: from the wh-word and its head noun ("who" -> PERSON/ORG/NORP,
  "where" -> GPE/LOC/FAC, "when" -> DATE/TIME, "how many/much" -> CARDINAL/QUANTITY/
  MONEY/PERCENT, "which country" -> what "country" names);
- its constraints: the entities it names, its dates and years (ISO ranges), its numbers;
- its predicate: the verb or relational noun with its arguments ("won the race": win,
  dobj race; "is the president of X": president, of X), and the modifiers of its nouns;
- its tense: "who is the president" asks about now, "who was" about then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from service.core import nlp
from service.evidence import lexicon, ordinals
from service.evidence.annotate import DateRange, date_range, named_years

if TYPE_CHECKING:
    from spacy.tokens import Token


@dataclass(frozen=True)
class Predicate:
    """The verb (or, after "be", the relational noun) and its arguments, as lemmas."""

    lemma: str
    # (relation, lemma): ("dobj", "race"), ("of", "france").
    arguments: tuple[tuple[str, str], ...]
    # The particle of a phrasal verb ("took over": "over"), which makes it another verb.
    particle: str | None = None


@dataclass(frozen=True)
class ParsedQuestion:
    question: str
    # The entity labels an answer must hold; empty when the wording does not say.
    types: frozenset[str]
    wh: str | None
    # The noun the wh-word asks about ("which company" -> company; "who is the president"
    # -> president), as a lemma.
    head: str | None
    entities: tuple[tuple[str, str], ...]
    dates: tuple[DateRange, ...]
    numbers: tuple[float, ...]
    predicate: Predicate | None
    # Lemmas of the question's nouns, verbs, adjectives and numbers.
    lemmas: frozenset[str]
    # (noun lemma, modifier lemma) of every modified noun ("former president").
    modifiers: frozenset[tuple[str, str]]
    # The main verb is in the present tense ("who is", "who leads").
    present: bool
    # Nouns the question points at with an article or a demonstrative ("the new bridge",
    # "that call"), as written and as lemmas: what a follow-up refers back to.
    definite: frozenset[str] = frozenset()
    # What narrows the role asked about to one role ("defence" in "who is the defence
    # secretary"), as lemmas: not a name (a constraint of its own), nor when it is held.
    qualifiers: frozenset[str] = frozenset()
    # The places or peoples whose role the question asks the holder of: "Elmland's defence
    # minister", "the president of Elmland", "the Elmish president" (lemmas).
    owners: frozenset[str] = frozenset()
    # The words of a person the question asks something of by a possessive: "Haile's
    # time", "Anna Berg's salary".
    possessors: frozenset[str] = frozenset()
    # Its predicate is in the past tense ("how many did it carry", "who won").
    past: bool = False
    # (noun, number) of each noun an ordinal numbers ("the eighteenth festival", "the
    # second quarter").
    numbered: frozenset[tuple[str, int]] = frozenset()
    # (noun, kind) of each result of the predicate that a common noun narrows to one
    # kind: "won the men's race" -> ("race", "man"), "the wheelchair race" -> ("race",
    # "wheelchair").
    kinds: frozenset[tuple[str, str]] = frozenset()
    # It asks about what is still to come: "when will it open", "when is he expected to
    # go" (not "when was it expected to").
    ahead: bool = False
    # The preposition the question opens its wh-phrase with ("by how much", "in which
    # year"), which the answer hangs from too ("won by 38 seconds").
    wh_prep: str | None = None
    # Verbs "do" supports ("what did he thank him for"), as lemmas: the question writes
    # them in the base form whatever tense it asks, so a sentence matches them by its
    # verbs' base forms ("I thanked the Prime Minister"), not as written. A verb the
    # question inflects itself ("who carried") keeps to what is written, and its tense.
    supported: frozenset[str] = frozenset()
    # Verbs a modal carries ("who will command it"), as lemmas: written in the base form
    # too, they are matched by a sentence's verbs that a modal carries as well ("she will
    # be commanded by"), not by another tense ("he commanded her for years").
    modal: frozenset[str] = frozenset()
    # Common nouns that narrow another noun ("the painting awards", "the bus terminal"),
    # as written, lower case: which thing of its kind the question is about.
    narrowing: frozenset[str] = frozenset()
    # The common noun "how long is the crossing?" or "how strong were the gusts?" asks the
    # measure of (the subject of "be", the wh-adjective its complement), as a lemma.
    measured: str | None = None


def _types_of(wh: Token | None, head: Token | None) -> frozenset[str]:
    if wh is None:
        return frozenset()
    word = wh.lower_
    if word == "how":
        measure = next((t for t in wh.head.subtree if t.lower_ in lexicon.HOW_MEASURES), None)
        if measure is None and wh.head.lower_ in lexicon.HOW_MEASURES:
            measure = wh.head
        if measure is not None:
            return lexicon.QUANTITIES | lexicon.MEASURED_TIMES.get(measure.lower_, frozenset())
        return frozenset()
    if head is not None and word in ("which", "what", "whose"):
        found = lexicon.CATEGORY_TYPES.get(head.lemma_.casefold())
        if found is not None:
            return found
        return lexicon.NAMES if word != "what" else frozenset()
    if who_is_a_name(wh):
        return frozenset()  # a description answers it, not a name
    return lexicon.WH_TYPES.get(word, frozenset())


def _wh_and_head(tokens: list[Token]) -> tuple[Token | None, Token | None]:
    wh = next((t for t in tokens if t.tag_ in ("WP", "WDT", "WRB", "WP$")), None)
    if wh is None:
        return None, None
    if wh.tag_ in ("WDT", "WP$") or wh.dep_ == "det":
        # "which company", "what year", "whose party": the noun it determines.
        return wh, wh.head if wh.head.pos_ in ("NOUN", "PROPN") else None
    if wh.lower_ in ("who", "what") and wh.head.lemma_ in lexicon.COPULAS:
        # "who is the president of X", "who will become acting mayor": the attribute
        # noun is what is asked about.
        attr = next(
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
        return wh, attr
    return wh, None


def who_is_a_name(wh: Token) -> bool:
    """ "Who is Astrid Nyhus?" asks what a named person is (a role, a description), not for
    another name."""
    if wh.lower_ not in ("who", "whom", "whose") or wh.head.lemma_ != "be":
        return False
    named = [c for c in wh.head.children if c.dep_ in ("attr", "nsubj") and c.i != wh.i]
    return bool(named) and all(c.ent_type_ == "PERSON" for c in named)


def raised_subject(noun: Token) -> bool:
    """Whether the noun after "what are" is the subject of a clause the wh-word is the
    object of, as the small model may attach it: in "What are the firms expected to
    offer?" the firms offer what is asked; they are not it ("what are the countries
    involved" has no such clause)."""
    return any(
        c.dep_ in ("acl", "relcl") and any(g.dep_ == "xcomp" for g in c.children)
        for c in noun.children
    )


def _anchor(root: Token, head: Token | None) -> Token:
    """The word the question predicates: its verb, or for "who is the X" its noun."""
    anchor = head if root.lemma_ in lexicon.COPULAS and head is not None else root
    if anchor.lemma_ == "do":
        # "When did the ferry sink?" may parse with "do" as the root: its verb is the
        # predicate.
        anchor = next((c for c in anchor.children if c.pos_ == "VERB"), anchor)
    if any(c.dep_ == "auxpass" for c in anchor.children):
        # "When is he expected to go to Washington?", "Who is set to win?": a passive verb
        # that raises its subject into a clause of its own says how likely the clause is;
        # what is asked about is that clause's verb.
        anchor = next(
            (c for c in anchor.children if c.dep_ == "xcomp" and c.pos_ == "VERB"), anchor
        )
    return anchor


def _past(root: Token, anchor: Token) -> bool:
    """Whether the predicate is in the past tense: "won", "did it carry", "was it built",
    "what was the attendance"; in "how much does it cost now, and what did it cost
    before" it is not."""
    if anchor.tag_ == "VBD":
        return True
    if any(c.dep_ in ("aux", "auxpass") and c.tag_ == "VBD" for c in anchor.children):
        return True
    if anchor.i != root.i and root.tag_ == "VBD":
        # "what did it cost", and "what was the attendance" or "who became chief
        # executive", whose predicate is a noun.
        return root.lemma_ == "do" or (root.lemma_ in lexicon.COPULAS and anchor.pos_ != "VERB")
    return False


# Relations through which a verb takes its result, and through which a common noun
# narrows a noun to one kind ("the men's race", "the wheelchair race").
RESULTS = frozenset({"dobj", "attr", "oprd", "nsubjpass"})
KIND_OF = frozenset({"compound", "poss"})


def _kinds(anchor: Token) -> frozenset[tuple[str, str]]:
    # "the men's and women's races" asks about both kinds.
    return frozenset(
        (result.lemma_.casefold(), each.lemma_.casefold())
        for result in anchor.children
        if result.dep_ in RESULTS
        for kind in result.children
        if (kind.dep_ in KIND_OF and kind.pos_ == "NOUN" and not kind.ent_type_)
        or classifying(kind)
        for each in (kind, *kind.conjuncts)
    )


# Adjectives of when or in which order, not of which kind.
_NO_KIND = lexicon.PAST_ROLE | lexicon.WHEN_HELD | lexicon.ORDER


def classifying(token: Token) -> bool:
    """An adjective that says which kind of a thing ("the national title", "the junior
    race"): not one of degree ("the biggest"), order ("the first") or time ("the former")."""
    return (
        token.dep_ == "amod"
        and token.pos_ == "ADJ"
        and token.tag_ == "JJ"
        and not token.ent_type_
        and ordinals.value(token.lower_) is None
        and token.lemma_.casefold() not in _NO_KIND
    )


def _predicate(anchor: Token) -> Predicate:
    arguments: list[tuple[str, str]] = []
    particle: str | None = None
    for child in anchor.children:
        if child.tag_ in ("WP", "WDT", "WRB", "WP$") or child.is_punct:
            continue
        if child.dep_ == "prt":
            particle = child.lemma_.casefold()
        elif child.dep_ == "prep":
            for obj in child.children:
                if obj.dep_ == "pobj":
                    arguments.append((child.lemma_.casefold(), obj.lemma_.casefold()))
        elif child.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "dative", "oprd", "acomp"):
            arguments.append((child.dep_, child.lemma_.casefold()))
    return Predicate(anchor.lemma_.casefold(), tuple(arguments), particle)


_POINTING = frozenset({"the", "that", "this", "these", "those"})


def _definite(tokens: list[Token]) -> frozenset[str]:
    """The nouns of each noun phrase opened by an article or demonstrative, read from the
    tags (the parse of a short question may attach them wrongly)."""
    out: set[str] = set()
    for i, token in enumerate(tokens):
        if token.lower_ not in _POINTING or token.pos_ not in ("DET", "PRON"):
            continue
        for t in tokens[i + 1 :]:
            if t.pos_ not in ("ADJ", "NOUN", "PROPN", "NUM", "PUNCT") or t.is_sent_end:
                break
            if t.pos_ == "NOUN":
                out |= {t.lower_, t.lemma_.casefold()}
    return frozenset(out)


@lru_cache(maxsize=4096)
def parse_question(question: str) -> ParsedQuestion:
    doc = nlp.parse(question)
    tokens = list(doc)
    wh, head = _wh_and_head(tokens)
    root = next((t for t in tokens if t.dep_ == "ROOT"), None)
    anchor = _anchor(root, head) if root is not None else None
    dates = []
    for ent in doc.ents:
        if ent.label_ in lexicon.TIMES:
            found = date_range(ent.text, None)
            if found is not None:
                dates.append(DateRange(*found, ent.start_char, ent.end_char))
        elif ent.label_ not in lexicon.QUANTITIES:
            dates.extend(named_years(ent))
    numbers = tuple(
        float(t.text.replace(",", ""))
        for t in tokens
        if t.like_num
        and t.text.replace(",", "").replace(".", "", 1).isdigit()
        and t.ent_type_ != "DATE"
    )
    verbs = [t for t in tokens if t.pos_ in ("VERB", "AUX")]
    present = any(t.tag_ in ("VBZ", "VBP") for t in verbs) and not any(
        t.tag_ == "VBD" for t in verbs
    )
    return ParsedQuestion(
        question=question,
        types=_types_of(wh, head),
        wh=wh.lower_ if wh is not None else None,
        wh_prep=_wh_prep(tokens, wh),
        ahead=root is not None and anchor is not None and _ahead(root, anchor),
        head=head.lemma_.casefold() if head is not None else None,
        entities=tuple((e.label_, e.text) for e in doc.ents),
        dates=tuple(dates),
        numbers=numbers,
        predicate=_predicate(anchor) if anchor is not None else None,
        lemmas=frozenset(
            t.lemma_.casefold() for t in tokens if t.pos_ in ("NOUN", "PROPN", "VERB", "ADJ", "NUM")
        ),
        modifiers=frozenset(
            (t.head.lemma_.casefold(), t.lemma_.casefold())
            for t in tokens
            if t.dep_ in ("amod", "compound", "nmod", "advmod") and t.head.i != t.i
        ),
        present=present,
        definite=_definite(tokens),
        qualifiers=_qualifiers(head),
        owners=_owners(head),
        possessors=frozenset(
            w.casefold()
            for e in doc.ents
            if e.label_ == "PERSON" and e.root.dep_ == "poss"
            for w in re.findall(r"[^\W_]+", e.text)
            if w.casefold() != "s"
        ),
        past=root is not None and anchor is not None and _past(root, anchor),
        kinds=_kinds(anchor) if anchor is not None else frozenset(),
        supported=frozenset(
            t.lemma_.casefold()
            for t in verbs
            if t.pos_ == "VERB" and any(c.dep_ == "aux" and c.lemma_ == "do" for c in t.children)
        ),
        modal=frozenset(
            t.lemma_.casefold()
            for t in verbs
            if t.pos_ == "VERB" and any(c.dep_ == "aux" and c.tag_ == "MD" for c in t.children)
        ),
        narrowing=frozenset(
            t.lower_
            for t in tokens
            if t.dep_ == "compound" and t.pos_ == "NOUN" and _common(t.head) and not t.ent_type_
        ),
        measured=_measure_of(root, wh),
        numbered=ordinals.numbered(
            ((t.head.lemma_.casefold(), t.dep_, t.lemma_.casefold()) for t in tokens),
            [t.lemma_.casefold() for t in tokens if not t.is_punct],
        ),
    )


def _common(token: Token) -> bool:
    """A common noun, or a word the small model tags a proper noun though it is written in
    lower case ("the regional teaching award"): English capitalises its names."""
    return token.pos_ == "NOUN" or (token.pos_ == "PROPN" and token.text.islower())


def _ahead(root: Token, anchor: Token) -> bool:
    """ "will", "shall" on the predicate or the root, or a present passive that raises
    the predicate ("is expected to go", "are due to meet")."""
    verbs = {root.i: root, anchor.i: anchor}.values()
    if any(c.dep_ == "aux" and c.lower_ in lexicon.FUTURE for v in verbs for c in v.children):
        return True
    return anchor.i != root.i and any(
        c.dep_ == "auxpass" and c.tag_ in ("VBZ", "VBP") for c in root.children
    )


def _measure_of(root: Token | None, wh: Token | None) -> str | None:
    if root is None or wh is None or wh.lower_ != "how":
        return None
    if root.lemma_.casefold() not in lexicon.COPULAS or not any(
        c.dep_ == "acomp" for c in root.children
    ):
        return None
    subject = next((c for c in root.children if c.dep_ == "nsubj"), None)
    if subject is None or subject.pos_ != "NOUN" or subject.ent_type_:
        return None  # "How old is Anna Berg?", "How long is it?"
    return subject.lemma_.casefold()


def _wh_prep(tokens: list[Token], wh: Token | None) -> str | None:
    """The preposition that governs the wh-phrase: before it ("At what school ...?", "By
    how much ...?") or stranded at the end ("What school does she teach at?")."""
    if wh is None:
        return None
    if wh.i == 1 and tokens[0].tag_ == "IN":
        return tokens[0].lemma_.casefold()
    stranded = stranded_preposition(tokens)
    if stranded is not None and stranded.i > wh.i:
        return stranded.lemma_.casefold()
    return None


def stranded_preposition(tokens: Iterable[Token]) -> Token | None:
    """A preposition left at the end of a question without its object: "at" of "What
    school does she teach at?", "to" of "Who will it be handed to?"."""
    words = [t for t in tokens if not t.is_punct]
    last = words[-1] if words else None
    # The parse may hang the fronted wh-word from it: its object, if any, comes before it.
    if last is not None and last.tag_ == "IN" and all(c.i < last.i for c in last.children):
        return last
    return None


# Entity labels of the places and peoples a role can belong to.
OWNING: Final = lexicon.PLACES | {"NORP"}


def _owners(noun: Token | None) -> frozenset[str]:
    """The words of the places or peoples `noun` belongs to in the parse: a possessor
    ("Elmland's minister"), an adjective of nationality ("the Elmish minister") or the
    object of its "of" ("the president of Elmland")."""
    if noun is None:
        return frozenset()
    found: list[Token] = []
    for child in noun.children:
        if child.dep_ in ("poss", "amod", "compound") and child.ent_type_ in OWNING:
            found.append(child)
        elif child.dep_ == "prep" and child.lower_ == "of":
            found += [g for g in child.children if g.dep_ == "pobj" and g.ent_type_ in OWNING]
    words = [t for f in found for t in f.subtree if t.ent_type_ in OWNING]
    return frozenset(t.lemma_.casefold() for t in words)


def _qualifiers(head: Token | None) -> frozenset[str]:
    if head is None:
        return frozenset()
    return frozenset(
        c.lemma_.casefold()
        for c in head.children
        if c.dep_ in ("amod", "compound", "nmod")
        and c.pos_ in ("NOUN", "ADJ", "VERB")
        and not c.ent_type_
        and c.lemma_.casefold() not in lexicon.WHEN_HELD | lexicon.PAST_ROLE
    )
