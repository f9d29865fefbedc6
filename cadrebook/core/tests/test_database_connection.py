"""A connection kept between requests is checked before it is reused, so the first request
after a database restart (or a dropped connection) reconnects instead of answering 500."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.urls import reverse


def test_connections_are_checked_before_they_are_reused():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_the_server_dropped_the_connection_succeeds(client: Any):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite opens a new connection for every request (CONN_MAX_AGE 0)")
    assert client.get(reverse("login")).status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    # What a database restart does to every open connection: the server ends it.
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # What Django runs when a request starts (the test client leaves it out).
    close_old_connections()

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection.info.backend_pid != pid
