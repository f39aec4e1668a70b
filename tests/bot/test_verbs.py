"""How a one-line command is split into words, and channel names with spaces found among them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.verbs import UsageError, Verb, join_channel, split_command


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("generate hook Water kids' pool float", ["generate", "hook", "Water", "kids'", "pool", "float"]),
        ("check don't stop 'til dawn", ["check", "don't", "stop", "'til", "dawn"]),
        ('generate hook "Water Park" splash', ["generate", "hook", "Water Park", "splash"]),
        ("generate hook 'Water Park' splash", ["generate", "hook", "Water Park", "splash"]),
        ("generate hook \u201cWater Park\u201d splash", ["generate", "hook", "Water Park", "splash"]),
        ('check "unclosed quote', ["check", '"unclosed', "quote"]),
        ('check say "hi"there" now', ["check", "say", 'hi"there', "now"]),
        ("  spaced   out  ", ["spaced", "out"]),
        ("", []),
    ],
)
def test_quotes_group_words_and_apostrophes_stay(text: str, words: list[str]) -> None:
    assert split_command(text) == words


@given(st.text(alphabet=st.sampled_from("ab '\"\u2019\u201c\u201d \t")))
def test_no_text_is_refused_and_no_letter_is_lost(text: str) -> None:
    words = split_command(text)
    kept = "".join(words)
    letters = [c for c in text if c in "ab"]
    assert [c for c in kept if c in "ab"] == letters


@given(st.lists(st.text(alphabet="abc'", min_size=1), max_size=6))
def test_words_without_leading_quotes_split_as_typed(words: list[str]) -> None:
    plain = [w if not w.startswith("'") else "x" + w for w in words]
    assert split_command(" ".join(plain)) == plain


NAMES = ["Air", "Water", "Water Park", "Fire", "Earth"]


def test_the_longest_channel_name_the_words_spell_is_one_argument() -> None:
    assert join_channel(["hook", "water", "park", "slide"], 1, NAMES) == ["hook", "water park", "slide"]
    assert join_channel(["hook", "Water", "slide"], 1, NAMES) == ["hook", "Water", "slide"]
    assert join_channel(["hook", "Water Park", "slide"], 1, NAMES) == ["hook", "Water Park", "slide"]
    assert join_channel(["hook"], 1, NAMES) == ["hook"]


def test_an_unknown_channel_says_how_to_type_names_with_spaces() -> None:
    with pytest.raises(UsageError) as raised:
        join_channel(["hook", "Lava", "Land", "slide"], 1, NAMES)
    assert str(raised.value) == (
        "`Lava` is not a channel; the channels are Air, Water, Water Park, Fire, Earth. "
        'Type a name with spaces as it is, or in quotes: `"Water Park"`.'
    )


def test_the_usage_says_which_argument_is_the_channel() -> None:
    assert Verb(("generate",), "generate [agent channel brief...]", "").channel_at == 1
    assert Verb(("stats",), "stats [channel]", "").channel_at == 0
    assert Verb(("channel", "setup"), "channel setup [name]", "").channel_at is None
