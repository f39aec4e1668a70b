"""The template sandbox's limits: costly bodies fail fast with TemplateError; ordinary ones render as before."""

from __future__ import annotations

import time

import pytest

from core.sandbox import MAX_OUTPUT
from core.templates import TemplateError, check_template, render

COSTLY = {
    "huge power": "{{ 9**(9**7) }}",
    "float power": "{{ 2.0 ** 10000 }}",
    "repetition": "{{ 'x' * 10**7 }}",
    "list repetition": "{{ [1] * 10**8 }}",
    "huge range": "{{ range(10**9)|list|length }}",
    "sandbox's own limit": "{{ range(100000)|length }}",
    "empty nested loops": "{% for i in range(999) %}{% for j in range(999) %}{% for k in range(999) %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "loops over a long text": "{% set x = 'a' * 40000 %}{% for c in x %}{% for d in x %}{% endfor %}{% endfor %}",
    "doubling with ~": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}",
    "doubling with +": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}",
    "squaring": "{% set ns = namespace(n=3) %}{% for i in range(60) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "center filter": "{{ 'x'|center(10**9) }}",
    "batch filter": "{{ [1, 2]|batch(999999999, 'x')|list }}",
    "ljust method": "{{ 'x'.ljust(999999999) }}",
    "printf width": "{{ '%999999999s'|format(1) }}",
    "printf operator": "{{ '%999999999s' % 1 }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "replace growth": "{{ ('x' * 1000)|replace('', 'y' * 1000) }}",
    "long output": "{% for i in range(1000) %}{{ 'x' * 200 }}{% endfor %}",
    "recursion": "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "5,000-digit literal": "{{ 2 ** " + "9" * 5000 + " }}",
}


@pytest.mark.parametrize("body", COSTLY.values(), ids=COSTLY.keys())
def test_a_costly_body_fails_fast_with_a_template_error(body: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError):
        render(body, {})
    assert time.monotonic() - started < 2.0


def test_a_body_over_the_size_limit_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(TemplateError, match="the body is 5,001 characters; keep it under 5,000"):
        check_template("x" * 5001, [])


def test_ordinary_arithmetic_loops_and_filters_still_work() -> None:
    body = (
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ 2**10 }} {{ 'ab' * 3 }} {{ 'x'|center(5) }}|"
        "{{ '%05.1f'|format(3.14159) }} {{ '{:>4}'.format(7) }} {{ name|upper ~ '!' }} {{ [1, 2] + [3] }}"
    )
    assert render(body, {"name": "ann"}) == "012 1024 ababab   x  |003.1    7 ANN! [1, 2, 3]"


def test_output_up_to_the_limit_is_allowed() -> None:
    assert len(render(f"{{{{ 'x' * {MAX_OUTPUT} }}}}", {})) == MAX_OUTPUT
