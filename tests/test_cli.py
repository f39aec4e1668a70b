"""The command line: what it offers, first-run tasks, and clear refusals."""

from __future__ import annotations

import pytest

from contentbot.cli import main
from storage.channels import list_channels
from storage.db import session_scope


def test_help_lists_every_process_and_task(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("web", "worker", "clock", "dev", "console", "db", "seed", "start", "metrics"):
        assert f"    {command} " in out


def test_upgrade_then_seed(env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    assert main(["db", "upgrade"]) == 0
    assert main(["seed"]) == 0
    assert "channels: created Air, Water, Fire, Earth" in caplog.text
    with session_scope(env["DATABASE_URL"]) as session:
        assert len(list_channels(session)) == 4


def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    assert main(["seed"]) == 2
    assert "setting TIMEZONE" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["web", "dev"])
def test_slack_processes_refuse_to_start_without_a_token(
    command: str, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is not set" in err and "contentbot console" in err
