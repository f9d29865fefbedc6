"""Settings come from the environment, with safe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import env_bool, env_int

ROOT = Path(__file__).resolve().parents[3]


def _settings(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CADREBOOK_")}
    clean.update({"CADREBOOK_VAR_DIR": str(tmp_path), **env})
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings;"
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_debug_is_off_and_cookies_are_secure_unless_asked(tmp_path):
    out = _settings({}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "0"]


def test_a_generated_secret_key_is_kept_between_starts(tmp_path):
    _settings({}, tmp_path)
    first = (tmp_path / "secret_key").read_text()
    _settings({}, tmp_path)
    assert (tmp_path / "secret_key").read_text() == first and len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_mode_refuses_to_start_without_a_real_secret(tmp_path):
    out = _settings({"CADREBOOK_PRODUCTION": "true"}, tmp_path)
    assert out.returncode != 0 and "CADREBOOK_SECRET_KEY" in out.stderr
    weak = _settings({"CADREBOOK_PRODUCTION": "true", "CADREBOOK_SECRET_KEY": "short"}, tmp_path)
    assert weak.returncode != 0
    ok = _settings({"CADREBOOK_PRODUCTION": "true", "CADREBOOK_SECRET_KEY": "k" * 60}, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == ["False", "True", "31536000"]


def test_malformed_values_are_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("CADREBOOK_DEBUG", "maybe")
    with pytest.raises(ValueError, match="CADREBOOK_DEBUG"):
        env_bool("DEBUG")
    monkeypatch.setenv("CADREBOOK_MAX_TREE_DEPTH", "six")
    with pytest.raises(ValueError, match="CADREBOOK_MAX_TREE_DEPTH"):
        env_int("MAX_TREE_DEPTH", 6)
