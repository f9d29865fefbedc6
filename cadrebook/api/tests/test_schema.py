"""The committed OpenAPI schema (docs/openapi.json) is the one the API serves."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from cadrebook.api.schema import schema_text

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_the_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "docs/openapi.json is out of date: run "
        "`.venv/bin/python -m cadrebook.api.schema > docs/openapi.json` and commit it"
    )


def test_the_schema_and_the_docs_are_served_without_a_cdn(db: None) -> None:
    c = Client()
    schema = c.get("/api/v1/openapi.json").json()
    assert {"/api/v1/members", "/api/v1/units", "/api/v1/audit"} <= set(schema["paths"])
    docs = c.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "/static/ninja/swagger-ui-bundle.js" in docs
