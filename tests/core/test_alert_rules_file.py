"""templates/alerts.yaml: the default rules load, and a broken file says where it is broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.alerts import AlertRuleError, Kind, Route, Severity
from templates import alert_rules


def test_the_default_rules_load() -> None:
    rules = {rule.name: rule for rule in alert_rules()}
    zero = rules["zero_views"]
    assert zero.kind is Kind.ZERO_VIEWS and zero.enabled and zero.number("after_hours") == 2
    assert zero.severity is Severity.CRITICAL and Route.EMAIL in zero.routes
    assert {rule.kind for rule in rules.values()} == set(Kind)  # every kind has a default rule


def test_a_broken_file_names_the_rule_and_field(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name: zero\n    kind: zero_views\n    after_hours: soon\n")
    with pytest.raises(AlertRuleError) as caught:
        alert_rules(path)
    assert caught.value.problems == [
        "alerts.yaml: rule 'zero', after_hours: 'soon' is not a number of 0 or more "
        "(hours after the post became public (view counts lag))"
    ]


def test_bad_yaml_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name: [zero\n")
    with pytest.raises(AlertRuleError, match=r"alerts.yaml line \d+: not valid YAML"):
        alert_rules(path)
    with pytest.raises(AlertRuleError, match="cannot read it"):
        alert_rules(tmp_path / "missing.yaml")
