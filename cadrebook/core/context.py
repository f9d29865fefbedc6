"""Per-request context (request id, API token) that services copy into the audit log."""

from __future__ import annotations

import contextvars
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# How the request was authenticated when not by a browser session: "token:<name>".
via_var: contextvars.ContextVar[str] = contextvars.ContextVar("via", default="")


def current_request_id() -> str:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_via() -> str:
    return via_var.get()
