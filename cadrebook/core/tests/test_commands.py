"""The `cadrebook` console script (accounts' `createadmin` is tested in accounts)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_console_script_runs_manage_commands(capsys, monkeypatch):
    from cadrebook.core import cli

    monkeypatch.setattr("sys.argv", ["cadrebook", "check"])
    cli.main()
    assert "no issues" in capsys.readouterr().out
