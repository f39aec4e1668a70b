"""Catalogue title search, age grades and product checks: pure functions, tried on generated input."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.agents import Product
from core.products import (
    AgeGrade,
    CatalogueProduct,
    ShopProduct,
    fold,
    refusals,
    score,
    search,
    status_label,
    tokens,
    unknown_or_not_live,
    with_product,
    without_product,
)
from core.shop import VideoProducts, missing_tags

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ACCENTED = {"e": "éèêë", "a": "àâä", "u": "ùûü", "o": "ôö", "i": "îï", "c": "ç", "n": "ñ"}

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
titles = st.lists(words, min_size=1, max_size=6).map(" ".join)


@st.composite
def dressed_up(draw: st.DrawFn, word: str) -> str:
    """`word` as people might write it: any case, accents on its vowels."""
    letters = []
    for letter in word:
        if letter in ACCENTED and draw(st.booleans()):
            letter = draw(st.sampled_from(ACCENTED[letter]))
        letters.append(letter.upper() if draw(st.booleans()) else letter)
    return "".join(letters)


def catalogue(*names: str) -> list[ShopProduct]:
    return [ShopProduct(str(n), name, "ACTIVATE") for n, name in enumerate(names)]


@given(st.data(), titles)
def test_a_title_is_found_by_any_of_its_words_or_their_beginnings_however_written(
    data: st.DataObject, title: str
) -> None:
    chosen = data.draw(st.lists(st.sampled_from(title.split()), min_size=1, max_size=3))
    typed = [data.draw(dressed_up(w[: data.draw(st.integers(1, len(w)))])) for w in chosen]
    dressed_title = " ".join(data.draw(dressed_up(w)) for w in title.split())
    assert search(catalogue(dressed_title), " ".join(typed)) == catalogue(dressed_title)


@given(titles, words)
def test_a_word_that_starts_no_word_of_the_title_finds_nothing(title: str, word: str) -> None:
    assume(not any(t.startswith(word) for t in title.split()))
    assert search(catalogue(title), f"{title.split()[0]} {word}") == []


@given(st.lists(titles, max_size=30), st.text(max_size=20), st.integers(1, 10))
def test_results_all_match_come_from_the_catalogue_and_respect_the_limit(
    names: list[str], query: str, limit: int
) -> None:
    products = catalogue(*names)
    found = search(products, query, limit=limit)
    assert len(found) <= limit and all(p in products for p in found)
    assert all(score(p.title, query) is not None for p in found)
    scores = [score(p.title, query) for p in found]
    assert scores == sorted(scores, reverse=True)
    everything = search(products, query, limit=len(products) + 1)
    assert found == everything[:limit]


@given(st.text(max_size=40))
def test_folding_is_idempotent_and_leaves_no_accents_or_capitals(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(unicodedata.combining(c) for c in folded)
    assert tokens(folded) == tokens(text)


def test_whole_words_rank_above_beginnings_and_ties_go_to_the_shorter_title() -> None:
    products = catalogue("Kitesurf Figure", "Stunt Kite for Beginners", "Kite", "Kitchen Set")
    assert [p.title for p in search(products, "kite")] == [
        "Kite",
        "Stunt Kite for Beginners",
        "Kitesurf Figure",
    ]
    assert search(products, "") == [] and search(products, "  !! ") == []


@pytest.mark.parametrize(
    ("text", "grade", "label"),
    [
        ("3+", AgeGrade(3), "3+"),
        ("Ages 6+", AgeGrade(6), "6+"),
        ("3-5", AgeGrade(3, 5), "3-5"),
        ("4 to 7 years", AgeGrade(4, 7), "4-7"),
        ("8 – 12", AgeGrade(8, 12), "8-12"),
    ],
)
def test_age_grades_read_what_toy_boxes_say(text: str, grade: AgeGrade, label: str) -> None:
    assert AgeGrade.parse(text) == grade and grade.label == label


@given(st.integers(0, 18), st.one_of(st.none(), st.integers(0, 18)))
def test_an_age_grade_label_parses_back_to_itself(low: int, high: int | None) -> None:
    assume(high is None or high >= low)
    grade = AgeGrade(low, high)
    assert AgeGrade.parse(grade.label) == grade
    assert grade.includes(low) and not grade.includes(low - 1)


@pytest.mark.parametrize("text", ["toddlers", "", "5-3"])
def test_nonsense_is_not_an_age_grade(text: str) -> None:
    with pytest.raises(ValueError):
        AgeGrade.parse(text)


def test_only_live_products_can_be_promoted_and_the_reason_is_said() -> None:
    shop = [ShopProduct("1", "Kite", "ACTIVATE"), ShopProduct("2", "Boat", "SELLER_DEACTIVATED")]
    kept = [CatalogueProduct("3", "Volcano", "PLATFORM_DEACTIVATED", NOW)]
    assert unknown_or_not_live(["1", "2", "3", "4"], [*shop, *kept]) == {
        "2": "deactivated by the seller",
        "3": "deactivated by TikTok",
        "4": "not in the shop",
    }
    assert unknown_or_not_live(["1"], shop) == {}
    assert status_label("SOMETHING_NEW") == "something new"


def test_a_catalogue_product_is_what_the_agents_take_and_survives_a_round_trip() -> None:
    product = CatalogueProduct(
        "17", "Tidepool Bath Boat", "ACTIVATE", NOW, "Toys > Bath", ("Floats",), AgeGrade(3)
    )
    for_agents = product.for_agents()
    assert for_agents == Product("Tidepool Bath Boat", "Toys > Bath", ("Floats",), id="17", age_grade="3+")
    assert Product.from_dict(for_agents.to_dict()) == for_agents
    assert Product("Plain").to_dict() == {
        "title": "Plain",
        "category": "",
        "facts": [],
    }  # older rows unchanged


def test_products_missing_from_a_video_are_named_per_video() -> None:
    seen = [
        VideoProducts("v1", "Kite day", None, (("1", "Kite"),)),
        VideoProducts("v2", "Bath time", None, (("2", "Boat"), ("3", "Duck"))),
    ]
    expected = {"v1": {"1"}, "v2": {"2", "4"}, "v3": {"5"}}
    assert missing_tags(expected, seen) == {"v2": frozenset({"4"}), "v3": frozenset({"5"})}
    assert missing_tags({"v1": {"1"}}, seen) == {}


def test_refusals_say_why_each_product_cannot_go_on_a_post() -> None:
    lines = refusals({"7": "deactivated by the seller", "8": "not in the shop"})
    assert lines[0].startswith("Product 7 is deactivated by the seller") and "ACTIVATE" in lines[0]
    assert "Product 8 is not in the shop's catalogue" in lines[1]
    assert refusals({}) == []


def test_a_caption_names_its_product_once() -> None:
    assert (
        with_product("Loops all day! #AirPlay", "SkyLoop Kite")
        == "Loops all day! #AirPlay\n\nShop: SkyLoop Kite"
    )
    assert with_product("The skyloop kite loops", "SkyLoop Kite") == "The skyloop kite loops"
    assert with_product("Loops", None) == "Loops"


def test_a_caption_loses_the_product_it_was_given_and_nothing_else() -> None:
    named = with_product("Loops all day!", "SkyLoop Kite")
    assert without_product(named, "SkyLoop Kite") == "Loops all day!"
    assert without_product("The skyloop kite loops", "SkyLoop Kite") == "The skyloop kite loops"
    assert without_product(named, None) == named
