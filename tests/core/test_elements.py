import csv
from pathlib import Path
from typing import Any

import pytest

from core.elements import Categorisation, Element, ElementRules, categorise, tokenise
from templates import load_library

TITLES = Path(__file__).parent / "data" / "element_titles.csv"


@pytest.fixture(scope="module")
def rules() -> ElementRules:
    return ElementRules.from_mapping(load_library("elements"))


def small_rules(**settings: Any) -> ElementRules:
    """Rules small enough that a test shows every number that matters."""
    return ElementRules.from_mapping(
        {
            "settings": settings,
            "elements": {
                "air": {"keywords": ["kite", {"bubble machine": 2}], "categories": ["kites"]},
                "water": {
                    "keywords": ["water", "splash", {"water balloon": 3}],
                    "categories": ["water toys"],
                },
                "fire": {"keywords": ["race"]},
                "earth": {"keywords": ["sand"]},
            },
        }
    )


def label(result: Categorisation) -> str:
    return result.element.value if result.element else "undecided"


def title_rows() -> list[dict[str, str]]:
    with TITLES.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- the shipped rules file on real-looking product titles ---------------------------------------------


def test_the_title_table_is_big_enough_and_covers_every_outcome() -> None:
    rows = title_rows()
    assert len(rows) >= 40
    assert {row["expected"] for row in rows} == {"air", "water", "fire", "earth", "undecided"}


@pytest.mark.parametrize("row", title_rows(), ids=lambda row: row["title"])
def test_product_titles_land_on_the_expected_element(row: dict[str, str], rules: ElementRules) -> None:
    result = categorise(
        row["title"],
        rules,
        product_category=row["product_category"] or None,
        hashtags=row["hashtags"].split(),
    )
    assert label(result) == row["expected"], result.reasons


def test_the_rules_file_has_plenty_of_phrases_for_every_element(rules: ElementRules) -> None:
    for element in Element:
        keywords = [rule for rule in rules.keywords.values() if rule.element is element]
        categories = [rule for rule in rules.categories.values() if rule.element is element]
        assert len(keywords) >= 40, element
        assert len(categories) >= 8, element


def test_a_category_outweighs_any_single_keyword_in_the_shipped_file(rules: ElementRules) -> None:
    strongest_keyword = max(rule.weight for rule in rules.keywords.values())
    assert min(rule.weight for rule in rules.categories.values()) > strongest_keyword


# --- scoring and reasons --------------------------------------------------------------------------------


def test_scores_add_up_matched_weights_and_reasons_name_each_rule() -> None:
    result = categorise("Bubble machine and a kite", small_rules())
    assert result.element is Element.AIR
    assert result.score == 3
    assert result.scores == {Element.AIR: 3, Element.WATER: 0, Element.FIRE: 0, Element.EARTH: 0}
    assert result.reasons == ('keyword "bubble machine" → Air (+2)', 'keyword "kite" → Air (+1)')
    assert result.decided


def test_matching_ignores_case_and_simple_plurals_but_not_partial_words() -> None:
    rules = small_rules()
    assert categorise("KITES for sale", rules).element is Element.AIR
    assert categorise("Racing stripes", rules).element is None  # "race" is not a word of "racing"
    assert categorise("Sandals", rules).element is None


def test_the_longest_phrase_wins_so_its_words_do_not_count_again() -> None:
    result = categorise("Water balloons", small_rules())
    assert result.scores[Element.WATER] == 3
    assert result.reasons == ('keyword "water balloon" → Water (+3)',)


def test_a_repeated_keyword_counts_once() -> None:
    result = categorise("Splash splash splash", small_rules(), hashtags=["#splash"])
    assert result.scores[Element.WATER] == 1


def test_hashtags_are_split_on_camel_case() -> None:
    result = categorise("New this week", small_rules(), hashtags=["#SandCastleRace", "KiteDay"])
    assert result.scores == {Element.AIR: 1, Element.WATER: 0, Element.FIRE: 1, Element.EARTH: 1}
    assert 'hashtag "#KiteDay" has keyword "kite" → Air (+1)' in result.reasons


def test_a_product_category_outweighs_keywords_in_the_text() -> None:
    result = categorise("Splash into summer", small_rules(), product_category="Toys > Outdoor > Kites")
    assert result.element is Element.AIR
    assert 'category "kites" → Air (+3)' in result.reasons


def test_category_phrases_are_not_matched_in_the_text() -> None:
    assert categorise("Our favourite kites", small_rules()).scores[Element.AIR] == 1


# --- undecided ------------------------------------------------------------------------------------------


def test_nothing_matched_is_undecided() -> None:
    result = categorise("Plush teddy bear", small_rules())
    assert not result.decided
    assert result.score == 0
    assert result.reasons == ("undecided: no rule matched",)


def test_a_tie_is_undecided_and_names_the_tied_elements() -> None:
    result = categorise("Kite race", small_rules())
    assert result.element is None
    assert result.score == 1
    assert result.reasons[-1] == "undecided: tie between Air and Fire (1 each)"


def test_a_lead_smaller_than_the_margin_is_undecided() -> None:
    result = categorise("Bubble machine race", small_rules(min_margin=1.5))
    assert result.element is None
    assert result.reasons[-1] == "undecided: Air (2) leads Fire (1) by less than the margin 1.5"


def test_a_score_below_the_minimum_is_undecided() -> None:
    result = categorise("A kite", small_rules(min_score=2))
    assert result.element is None
    assert result.reasons[-1] == "undecided: best score 1 (Air) is below the minimum 2"


# --- tokenising -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("#WaterPlay", ("water", "play")),
        ("HotWheels XP30", ("hot", "wheel", "xp", "30")),
        ("T-Rex", ("t", "rex")),
        ("kid's batteries boxes glass", ("kid", "battery", "box", "glass")),
        ("ＫＩＴＥＳ", ("kite",)),
    ],
)
def test_tokenise(text: str, tokens: tuple[str, ...]) -> None:
    assert tokenise(text) == tokens


# --- malformed rules files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["air"], "expected a mapping at the top level, got list"),
        ({"elements": {}}, "'elements' must map element names"),
        ({"element": {"air": {}}}, "unknown top-level key(s) 'element'"),
        ({"elements": {"wind": {"keywords": ["kite"]}}}, "unknown element 'wind'"),
        ({"elements": {"air": ["kite"]}}, "elements.air: expected 'keywords' and/or 'categories', got list"),
        ({"elements": {"air": {"keyword": ["kite"]}}}, "elements.air: unknown key(s) 'keyword'"),
        ({"elements": {"air": {"keywords": "kite"}}}, "elements.air: expected a list of phrases, got str"),
        ({"elements": {"air": {"keywords": [42]}}}, "expected a phrase or 'phrase: weight', got 42"),
        ({"elements": {"air": {"keywords": [{"kite": "high"}]}}}, "weight of 'kite' must be a number > 0"),
        ({"elements": {"air": {"keywords": [{"kite": 0}]}}}, "weight of 'kite' must be a number > 0"),
        ({"elements": {"air": {"keywords": ["!!"]}}}, "'!!' has no words to match"),
        (
            {"elements": {"air": {"keywords": ["bubble"]}, "water": {"keywords": ["Bubbles"]}}},
            "elements.water.keywords: 'Bubbles' is already listed as 'bubble' under air",
        ),
        (
            {"settings": {"min_margin": -1}, "elements": {"air": {}}},
            "settings.min_margin: expected a number ≥ 0",
        ),
        ({"settings": {"margin": 1}, "elements": {"air": {}}}, "settings: unknown key(s) 'margin'"),
    ],
)
def test_a_malformed_rules_file_is_refused_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        ElementRules.from_mapping(data)
    assert message in str(raised.value)
