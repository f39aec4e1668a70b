"""Checking and rendering templates, and validating library entries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.elements import Element
from core.templates import (
    TemplateError,
    TemplateKind,
    TemplateSpec,
    Variable,
    check_template,
    library_from_mapping,
    render,
    render_sample,
)

CATEGORIES = {"categories": [{"slug": "plush", "label": "Plush"}]}


def _entry(**overrides: Any) -> dict[str, Any]:
    entry = {
        "key": "gift-panic",
        "name": "Gift panic",
        "kind": "hook",
        "body": "Stuck on a gift for age {{ age }}?",
        "variables": [{"name": "age", "description": "Age in years", "sample": "6"}],
        "example": "Stuck on a gift for age 6?",
        "elements": ["air"],
        "categories": ["plush"],
    }
    entry.update(overrides)
    return entry


def _load(*hooks: dict[str, Any]) -> list[TemplateSpec]:
    return library_from_mapping({"templates": list(hooks)}, {"templates": []}, categories=CATEGORIES)


def test_check_template_accepts_exactly_the_declared_variables() -> None:
    check_template("{{ product }} for {{ age }}", ["product", "age"])


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateError, match="line 3"):
        check_template("first line\nsecond {{ product }}\nthird {{ product }", ["product"])


def test_undeclared_variable_is_named() -> None:
    with pytest.raises(TemplateError, match=r"undeclared.*price"):
        check_template("{{ product }} for {{ price }}", ["product"])


def test_declared_but_unused_variable_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"not used.*age"):
        check_template("{{ product }}", ["product", "age"])


def test_variables_set_or_looped_inside_the_template_need_no_declaration() -> None:
    check_template("{% set n = 3 %}{% for item in items %}{{ n }}{{ item }}{% endfor %}", ["items"])


def test_include_is_refused() -> None:
    with pytest.raises(TemplateError, match="include"):
        check_template("{% include 'secrets.txt' %}", [])


def test_render_is_plain_text_and_trimmed() -> None:
    assert render("  <b>{{ name }}</b> & co\n\n", {"name": "Tom & Jerry"}) == "<b>Tom & Jerry</b> & co"


def test_block_tags_leave_no_blank_lines() -> None:
    body = "Top picks:\n{% for toy in toys.split(',') %}\n- {{ toy }}\n{% endfor %}\nThe end"
    assert render(body, {"toys": "kite,blocks"}) == "Top picks:\n- kite\n- blocks\nThe end"


def test_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(TemplateError, match="'age' is undefined"):
        render("for age {{ age }}", {})


def test_missing_value_for_a_spec_names_the_variables() -> None:
    spec = _load(_entry())[0]
    with pytest.raises(TemplateError, match=r"gift-panic.*age"):
        render(spec, {"product": "kite"})


def test_sandbox_blocks_reaching_python_internals() -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        render("{{ name.__class__.__mro__[1].__subclasses__() }}", {"name": "x"})


def test_render_sample_uses_the_samples() -> None:
    spec = TemplateSpec(
        key="k",
        name="n",
        kind=TemplateKind.CAPTION,
        body="{{ a }}-{{ b }}",
        variables=(Variable("a", sample="1"), Variable("b", sample="2")),
        elements=(Element.FIRE,),
        categories=("plush",),
    )
    assert render_sample(spec) == "1-2"


def test_library_entry_becomes_a_spec() -> None:
    [spec] = _load(_entry())
    assert spec == TemplateSpec(
        key="gift-panic",
        name="Gift panic",
        kind=TemplateKind.HOOK,
        body="Stuck on a gift for age {{ age }}?",
        variables=(Variable("age", "Age in years", "6"),),
        elements=(Element.AIR,),
        categories=("plush",),
        example="Stuck on a gift for age 6?",
    )


def test_integer_sample_is_accepted_as_text() -> None:
    entry = _entry(variables=[{"name": "age", "description": "Age", "sample": 6}])
    assert _load(entry)[0].variables[0].sample == "6"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"example": "Stuck on a gift for age 7?"}, "example differs"),
        ({"kind": "caption"}, "kind is 'caption' but this file holds 'hook'"),
        ({"key": "Gift Panic"}, "key must be lowercase"),
        ({"elements": ["lava"]}, "unknown element.*lava"),
        ({"elements": []}, "'elements' must be a non-empty list"),
        ({"categories": ["plushies"]}, "unknown categor.*plushies"),
        ({"body": "{{ age }"}, "syntax error on line 1"),
        ({"body": "{{ age }} {{ price }}"}, "undeclared.*price"),
        ({"variables": [{"name": "age", "description": "Age", "sample": True}]}, "quote it"),
        ({"variables": [{"name": "age", "sample": "6"}]}, "'description' must be non-empty"),
        ({"variables": [{"name": "my-age", "description": "Age", "sample": "6"}]}, "identifier"),
        ({"name": ""}, "'name' must be non-empty"),
    ],
)
def test_invalid_entry_is_reported_with_file_and_entry(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message) as raised:
        _load(_entry(key="ok-entry"), _entry(**overrides))
    assert str(raised.value).startswith("hooks entry 2")


def test_duplicate_keys_across_files_are_refused() -> None:
    framework = _entry(kind="script_framework")
    with pytest.raises(TemplateError, match="frameworks entry 1 \\('gift-panic'\\): duplicate key"):
        library_from_mapping({"templates": [_entry()]}, {"templates": [framework]}, categories=CATEGORIES)


def test_file_without_templates_list_is_refused() -> None:
    with pytest.raises(TemplateError, match="captions: expected a top-level 'templates:' list"):
        library_from_mapping({"templates": []}, {"templates": []}, [_entry()], categories=CATEGORIES)


def test_duplicate_category_slug_is_refused() -> None:
    categories = copy.deepcopy(CATEGORIES)
    categories["categories"].append({"slug": "plush", "label": "Plush again"})
    with pytest.raises(TemplateError, match="categories entry 2 \\('plush'\\): duplicate slug"):
        library_from_mapping({"templates": []}, {"templates": []}, categories=categories)
