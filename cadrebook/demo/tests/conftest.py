"""Fixtures of the demo tests: password hashing cheap enough for the demo logins."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2(Argon2PasswordHasher):
    """Argon2 with test-sized costs: the demo logins' hashes stay argon2, the tests fast."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


@pytest.fixture
def cheap_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.CheapArgon2"]
