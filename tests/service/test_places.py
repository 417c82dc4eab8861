"""Names of places and their adjectives, read from WordNet's database files."""

from __future__ import annotations

from service.core import places


def test_the_database_comes_with_the_installed_package() -> None:
    folder = places.folder()
    assert (folder / "data.noun").is_file() and (folder / "data.adj").is_file()
    # Thousands of place words, not a handful.
    assert len(places.table()) > 3000


def test_a_place_has_its_names_and_its_adjective_points_to_it() -> None:
    assert {"united kingdom", "britain", "uk"} <= places.names("uk")
    assert "france" in places.names("french")
    assert "iran" in places.names("iranian")
    assert places.names("holland") == places.names("netherlands")


def test_only_a_capitalised_word_or_its_own_initials_name_a_place() -> None:
    # "IN" and "OR" abbreviate Indiana and Oregon, but are no initials of their names.
    assert places.names("in") == frozenset()
    assert places.names("or") == frozenset()
    assert "united states" in places.names("usa")
    # A word that names no place.
    assert places.names("ferry") == frozenset()
