"""The rules checker, finding by finding, with the hard edges issue 16 names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.agents import Product
from core.draft_checks import CAPTION_LIMIT, DraftChecks, DraftText, Finding, draft_from_json, run_checks
from core.draft_checks.words import forms, utf16_length
from templates import rules_checker

KITE = Product(
    "SkyLoop Stunt Kite",
    "Toys > Outdoor > Kites",
    (
        "Flies in winds of 8-30 km/h",
        "Two 20 m flying lines",
        "Non-toxic dyes",
        "Batteries not included",
        "Keep away from power lines",
    ),
    age_grade="8+",
)


def flags(caption: str, *, product: Product | None = KITE, avoid: tuple[str, ...] = (), tags=()) -> list[str]:
    draft = DraftText(caption=caption, hashtags=tuple(tags), product=product, avoid_words=avoid)
    return sorted({f.flag for f in rules_checker().check(draft)})


def evidence(caption: str, flag: str, **kwargs) -> list[str]:
    draft = DraftText(caption=caption, **kwargs)
    return [f.evidence for f in rules_checker().check(draft) if f.flag == flag]


# --- too_long ---------------------------------------------------------------------------------------------


def test_the_limit_counts_utf16_code_units() -> None:
    assert utf16_length("kite") == 4
    assert utf16_length("é") == 1  # in the BMP
    assert utf16_length("🪁") == 2  # outside it


def test_a_caption_of_exactly_the_limit_passes_and_one_unit_more_does_not() -> None:
    assert flags("a" * CAPTION_LIMIT) == []
    assert flags("a" * (CAPTION_LIMIT + 1)) == ["too_long"]


def test_emoji_outside_the_bmp_count_twice() -> None:
    caption = "🪁" * 1100  # 1,100 characters, 2,200 code units
    assert flags(caption) == []
    assert flags(caption + "!") == ["too_long"]
    assert len(caption + "!") < CAPTION_LIMIT  # a character count would have let it through


def test_hashtags_not_in_the_caption_count_towards_the_limit() -> None:
    assert flags("a" * 2190, tags=("#KitesForKids",)) == ["too_long"]
    assert flags("a" * 2180 + " #Kites", tags=("#Kites",)) == []


@given(st.text())
def test_utf16_length_is_what_utf16_encodes(text: str) -> None:
    assert utf16_length(text) == len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- avoid_word -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "So cheap!",
        "CHEAP kites",
        "Cheaper than a movie ticket",
        "The cheapest loop in town",
        "Not cheaply made",
        "Dirt cheap thrills",  # an idiom
    ],
)
def test_a_word_to_avoid_in_any_case_or_inflection(caption: str) -> None:
    assert flags(caption, avoid=("cheap",)) == ["avoid_word"]


@pytest.mark.parametrize(
    ("word", "caption"),
    [
        ("messy", "The messiest fun"),
        ("messy", "Kids get messier"),
        ("guaranteed", "We guarantee loops"),
        ("weapon", "Your secret weapon for game night"),  # an idiom
        ("weapon", "Secret weapons"),
        ("drown", "Don't let them drown in boredom"),
        ("drown", "drowning in bubbles"),
        ("kill", "a killer deal"),
        ("secret weapon", "our secret weapons"),  # a phrase, its last word inflected
    ],
)
def test_inflections_and_idioms(word: str, caption: str) -> None:
    assert flags(caption, avoid=(word,)) == ["avoid_word"]


@pytest.mark.parametrize(
    "tag", ["#cheaptoys", "#CheapToys", "#toyssocheap", "#cheap", "#CHEAP", "#cheapthrills"]
)
def test_inside_hashtags(tag: str) -> None:
    assert flags("Loops all day", avoid=("cheap",), tags=(tag,)) == ["avoid_word"]
    assert evidence("Loops all day", "avoid_word", hashtags=(tag,), avoid_words=("cheap",)) == [tag]


def test_a_hashtag_written_in_the_caption_counts_too() -> None:
    assert flags("Loops all day #cheapfun", avoid=("cheap",)) == ["avoid_word"]


@pytest.mark.parametrize(
    ("word", "caption", "tags"),
    [
        ("kill", "Build real skills", ()),
        ("kill", "Loops for every skill level", ("#SkillsBuilder",)),
        ("kill", "Loops", ("#skillsbuilder",)),
        ("war", "A warm afternoon of loops", ()),
        ("war", "Loops", ("#warmhugs",)),
        ("war", "Reward yourself", ()),
        ("cheap", "Cheapside market", ()),  # a name that starts with it is another word
        ("mess", "A message from the team", ()),
    ],
)
def test_letters_inside_an_unrelated_word_are_not_the_word(
    word: str, caption: str, tags: tuple[str, ...]
) -> None:
    assert flags(caption, avoid=(word,), tags=tags) == []


def test_forms_stay_close_to_the_word() -> None:
    assert {"cheaper", "cheapest", "cheaply", "cheapness"} <= forms("cheap")
    assert {"messier", "messiest", "messily"} <= forms("messy")
    assert {"warring", "wars"} <= forms("war") and "warm" not in forms("war")
    assert "skills" not in forms("kill")


# --- unsubstantiated_claim ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "100% safe for everyone",
        "BPA-free plastic",
        "Boosts IQ while they play",
        "Makes kids smarter",
        "The best kite ever made",
        "The #1 kite on TikTok",
        "Better than any other kite",
        "Teachers love it",
        "Doctors recommend it",
        "Unbreakable spars",
        "Lasts forever",
        "Batteries included",  # the facts say they are not
        "Flies at 45 km/h",
        "Climbs 100 m high",
        "Three times higher than other kites",
    ],
)
def test_claims_the_facts_do_not_state(caption: str) -> None:
    assert "unsubstantiated_claim" in flags(caption)


@pytest.mark.parametrize(
    "caption",
    [
        "Non-toxic dyes in every colour",  # the facts say non-toxic
        "Nontoxic dyes",  # however it is spelt
        "Flies in winds up to 30 km/h",
        "Loops in a 25 km/h breeze",  # less than the facts' 30
        "Two 20 m lines",
        "Lines 65 ft long",  # 19.8 m, in feet
        "Do your best loop",  # an idiom, not a superiority claim
        "Best friends, one kite",
    ],
)
def test_claims_the_facts_state_and_idioms_are_fine(caption: str) -> None:
    assert flags(caption) == []


def test_without_facts_every_objective_claim_is_unsupported() -> None:
    assert flags("Non-toxic dyes", product=None) == ["unsubstantiated_claim"]
    assert flags("Flies at 30 km/h", product=None) == ["unsubstantiated_claim"]


# --- performance_exaggeration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "It flies by itself",
        "Always comes back to you",
        "It talks to you!",
        "No wind needed",
        "It sails all by itself",
    ],
)
def test_performance_the_facts_do_not_support(caption: str) -> None:
    assert flags(caption) == ["performance_exaggeration"]


def test_performance_the_facts_state_is_fine() -> None:
    talking = Product("Chatter Owl", "Toys > Plush", ("Talks: 20 phrases",), age_grade="3+")
    assert flags("It talks to you!", product=talking) == []


def test_an_inflated_number_that_also_exaggerates_carries_both() -> None:
    assert flags("Flies by itself at 90 km/h") == ["performance_exaggeration", "unsubstantiated_claim"]


# --- sales_pressure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "Ask your mom to buy one!",
        "Tell your parents you need this",
        "Buy now before they're all gone",
        "Hurry, only 3 left!",
        "Don't miss out",
        "Everyone at school has one",
        "Don't be left out",
        "Add it to your birthday list",
    ],
)
def test_pressure_aimed_at_children(caption: str) -> None:
    assert flags(caption) == ["sales_pressure"]


@pytest.mark.parametrize(
    "caption", ["Back in stock!", "Link in bio for grown-ups", "Available now in three colours"]
)
def test_plain_news_is_not_pressure(caption: str) -> None:
    assert flags(caption) == []


# --- unsafe_use --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "Fly it near power lines for the strongest wind",
        "Fly it across the road",
        "Aim it at your brother",
        "No adult needed in the pool",
        "Let them swim alone in the pool",
        "Light it with a match",
    ],
)
def test_unsafe_play(caption: str) -> None:
    assert "unsafe_use" in flags(caption)


@pytest.mark.parametrize(
    "caption",
    [
        "Keep away from power lines and roads",
        "Never fly near power lines",
        "Never swim alone in the pool",
        "Don't aim at faces",
        "Always with an adult in the pool",
    ],
)
def test_safety_advice_that_names_a_hazard_is_not_unsafe(caption: str) -> None:
    assert flags(caption) == []


def test_a_child_alone_when_the_facts_ask_for_an_adult() -> None:
    kit = Product("Volcano Lab", "Toys > Science Kits", ("Adult supervision required",), age_grade="8+")
    assert flags("Kids can do it by themselves", product=kit) == ["unsafe_use"]
    assert flags("Kids can do it by themselves", product=KITE) == []


# --- age_mismatch ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "Perfect for your 5-year-old",
        "Great for toddlers",
        "Fun for ages 4-7",
        "For kids 6+",
        "Our baby loves it",
    ],
)
def test_a_child_younger_than_the_age_grade(caption: str) -> None:
    assert flags(caption) == ["age_mismatch"]


@pytest.mark.parametrize(
    "caption",
    ["Perfect for your 9-year-old", "Ages 8+", "For kids 8 and up", "Not for children under 3: small parts"],
)
def test_the_age_grade_or_older_and_warnings_are_fine(caption: str) -> None:
    assert flags(caption) == []


def test_no_age_grade_no_age_check() -> None:
    assert flags("Great for toddlers", product=Product("Kite")) == []


# --- placeholder -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    [
        "[Product name] loops all day",
        "For [The child's age in years]-year-olds",
        "Meet {{ product }}",
        "Meet {product}",
        "TODO: a hook",
        "Lorem ipsum dolor",
    ],
)
def test_unfilled_placeholders(caption: str) -> None:
    assert "placeholder" in flags(caption, product=None)


@pytest.mark.parametrize(
    "caption",
    [
        "Read [our guide](https://example.com)",
        "Thanks <@U0ALICE>!",
        "Loops [x]",
        "[ON SCREEN] Loops",
        "[VO] Save this",
    ],
)
def test_links_mentions_short_marks_and_stage_directions_are_not_placeholders(caption: str) -> None:
    assert "placeholder" not in flags(caption, product=None)


# --- the interface -----------------------------------------------------------------------------------------


def test_a_version_of_any_agent_is_read_whole() -> None:
    fields = {
        "hook": "Cheap loops",
        "beats": ["0-3s: [Product name]"],
        "caption": "Loops",
        "hashtags": ["#a"],
    }
    draft = DraftText.of_fields(fields, KITE, ["cheap"])
    assert draft.caption == "Loops" and draft.hashtags == ("#a",)
    assert {f.flag for f in rules_checker().check(draft)} == {"avoid_word", "placeholder"}


def test_run_checks_keeps_a_repeated_finding_once_with_the_checker_that_made_it_first() -> None:
    class Repeats:
        name = "claude"

        def check(self, draft: DraftText, found: list[Finding]) -> list[Finding]:
            return [Finding(f.flag, "again", f.evidence, "claude") for f in found] + [
                Finding("sales_pressure", "belonging", "rule the playground", "claude")
            ]

    draft = DraftText(caption="So cheap. Kids with one rule the playground", avoid_words=("cheap",))
    checks = run_checks(draft, [rules_checker(), Repeats()])
    assert [(f.flag, f.evidence, f.checker) for f in checks.findings] == [
        ("avoid_word", "cheap", "rules"),
        ("sales_pressure", "rule the playground", "claude"),
    ]
    assert checks.checkers == ("rules", "claude")
    assert DraftChecks.from_dict(checks.to_dict()) == checks


def test_a_check_drafts_line_is_read_or_refused_by_field() -> None:
    draft = draft_from_json(
        {"product": {"title": "Kite", "age_grade": "8+", "facts": ["x"]}, "caption": "c", "hashtags": ["#a"]}
    )
    assert draft.product is not None and draft.product.min_age == 8
    with pytest.raises(ValueError, match="hashtags must be a list"):
        draft_from_json({"caption": "c", "hashtags": "#a"})


@given(st.text(max_size=300), st.lists(st.sampled_from(["cheap", "war", "kill", "messy"]), max_size=3))
def test_every_finding_quotes_the_draft(text: str, avoid: list[str]) -> None:
    draft = DraftText(caption=text, product=KITE, avoid_words=tuple(avoid))
    for finding in rules_checker().check(draft):
        if finding.flag != "too_long":
            assert finding.evidence.casefold() in draft.text.casefold()
