"""Sample files and helpers shared by the import tests."""

from __future__ import annotations

from typing import Any

from django.test import Client

# A members file: a full member and a probationary one in K1, and one admitted at 15.
HEAD = (
    "external_id,full_name,gender,birth_date,ethnicity,national_id,unit_code,status,"
    "admitted_on,recognized_on,card_number\n"
)
FULL = (
    "A1,Nguyễn Văn An,male,1990-02-01,Kinh,001090000001,K1,full,2020-01-10,2021-01-10,01.000001\n"
)
PROB = "A2,Trần Thị Bình,female,04/03/1992,Tày,,K1,probationary,2026-01-10,,\n"
APPL = "A3,Lê Văn Cường,male,1995-03-04,Kinh,,K2,applicant,,,\n"
TOO_YOUNG = "A5,Trẻ Quá,male,2010-01-01,Kinh,,K1,probationary,2025-01-01,,\n"
GOOD = HEAD + FULL + PROB
ONE_BAD = HEAD + FULL + TOO_YOUNG + PROB  # the bad row is row 3 (the header is row 1)


def logged_in(user: Any) -> Client:
    """A test client with `user` logged in."""
    client = Client()
    client.force_login(user)
    return client


def downloaded(response: Any) -> bytes:
    """The body of a file download, its file closed. Not `response.close()`: that sends
    `request_finished`, whose handler closes the database connection of the test's
    transaction on PostgreSQL."""
    data = b"".join(response.streaming_content)
    for close in response._resource_closers:  # what response.close() would close
        close()
    response._resource_closers.clear()
    return data
