"""The library data files people edit by hand: templates/library/*.yaml."""

from __future__ import annotations

import pytest

from core.templates import (
    TemplateKind,
    TemplateSpec,
    categories_from_mapping,
    render,
    render_sample,
)
from templates import library_specs, load_library

LIBRARY = list(library_specs())


def _of_kind(kind: TemplateKind) -> list[TemplateSpec]:
    return [spec for spec in LIBRARY if spec.kind == kind]


def test_library_has_enough_hooks_and_frameworks() -> None:
    assert len(_of_kind(TemplateKind.HOOK)) >= 12
    assert len(_of_kind(TemplateKind.SCRIPT_FRAMEWORK)) >= 6


@pytest.mark.parametrize("spec", LIBRARY, ids=lambda spec: spec.key)
def test_example_equals_the_rendering_of_the_samples(spec: TemplateSpec) -> None:
    assert render_sample(spec) == spec.example


@pytest.mark.parametrize("spec", LIBRARY, ids=lambda spec: spec.key)
def test_every_variable_changes_the_output(spec: TemplateSpec) -> None:
    # Guards against a sample that happens to equal literal text, which would hide a broken variable.
    for variable in spec.variables:
        values = {v.name: v.sample for v in spec.variables} | {variable.name: "⟨changed⟩"}
        assert "⟨changed⟩" in render(spec, values), variable.name


def test_every_referenced_category_exists() -> None:
    slugs = {c.slug for c in categories_from_mapping(load_library("categories"))}
    referenced = {slug for spec in LIBRARY for slug in spec.categories}
    assert referenced <= slugs


def test_categories_cover_the_brand_range() -> None:
    slugs = {c.slug for c in categories_from_mapping(load_library("categories"))}
    expected = {"plush", "puzzles", "stem-kits", "board-games", "outdoor", "water-play", "building-sets"}
    assert expected | {"arts-crafts", "vehicles", "dolls-figures", "flying-toys", "baby-toddler"} <= slugs


def test_water_play_carries_a_supervision_note() -> None:
    water = next(c for c in categories_from_mapping(load_library("categories")) if c.slug == "water-play")
    assert "supervision" in water.safety.lower()


def test_script_frameworks_are_timed_beats_starting_at_zero() -> None:
    for spec in _of_kind(TemplateKind.SCRIPT_FRAMEWORK):
        lines = spec.example.splitlines()
        assert lines[0].startswith("0-3 s HOOK"), spec.key
        assert all(" s " in line for line in lines), spec.key


def test_no_placeholder_text() -> None:
    for spec in LIBRARY:
        text = f"{spec.body} {spec.example}".lower()
        assert not any(word in text for word in ("lorem", "todo", "xxx", "tbd")), spec.key
