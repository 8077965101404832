"""Themes in the audit notes, and which notes may be quoted in a report for councillors."""

import pytest

from reports import themes


def test_elements_are_found_by_their_words():
    assert themes.elements_mentioned(
        "Ask the child, the parents and two network members to scale safety"
    ) == {
        "P6",
        "P9",
    }
    assert themes.elements_mentioned("The danger statement still uses professional words") == {"P2"}
    assert themes.elements_mentioned("Nothing to say") == set()


@pytest.mark.parametrize(
    "text",
    [
        "Mum and dad wrote the safety rules with the network and keep to them.",
        "If dad drinks again and shouts at mum, the children may be hurt.",
        "The child's words and pictures story is on the fridge.",
    ],
)
def test_plain_notes_are_quotable(text):
    assert themes.is_quotable(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sam and his mum wrote the rules.",  # a name first
        "Mum rang Jo at school.",  # a name later
        "The child was seen on 3 March.",  # a date
        "Visit 12 Acacia Road again.",  # an address
        "Email the plan to gran@example.org",
        "",
    ],
)
def test_anything_that_could_name_someone_is_not(text):
    assert not themes.is_quotable(text)


def test_excerpts_prefer_the_most_written_and_are_shortened():
    long = "the network " + "meets every week and checks on the children " * 5
    notes = ["Sam is safer.", "The plan works.", "The plan works.", "Gran helps.", long]
    picked = themes.excerpts(notes)
    assert picked[0] == "The plan works."
    assert picked[1] == "Gran helps."
    assert len(themes.excerpts([long])[0]) <= themes.EXCERPT_LENGTH
    assert themes.excerpts([long])[0].endswith("…")
