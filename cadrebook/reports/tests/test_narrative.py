"""The narrative of the annual report, written from a hand-made statistics dict (the shape of
docs/reports.md): no database, so every sentence can be checked against known numbers."""

from __future__ import annotations

import copy
import re
from typing import Any

from cadrebook.reports.document import narrative

KHMER = re.compile("[\u1780-\u17ff]")

_MEMBERS: dict[str, Any] = {
    "total": 8123,
    "probationary": 610,
    "full": 7513,
    "exempt": 402,
    "by_gender": {"male": 4874, "female": 3249},
    "by_age_bracket": {"18-30": 1203, "31-40": 2011, "41-50": 1876, "51-60": 1601, "61+": 1432},
    "by_age_bracket_gender": {
        "18-30": {"male": 700, "female": 503},
        "31-40": {"male": 1200, "female": 811},
        "41-50": {"male": 1100, "female": 776},
        "51-60": {"male": 1000, "female": 601},
        "61+": {"male": 874, "female": 558},
    },
    "by_ethnicity": {
        "majority": 7030,
        "minorities": 1093,
        "groups": {"Kinh": 7030, "Tày": 890, "Nùng": 203},
    },
    "by_education": {
        "upper_secondary": 6500,
        "lower_secondary": 1200,
        "primary": 323,
        "literate": 100,
        "unknown": 0,
    },
    "by_theory": {"advanced": 240, "intermediate": 1390, "elementary": 3650, "none": 2843},
    "full_with_card": 7360,
    "full_without_card": 153,
}
_MOVEMENTS = {
    "admitted": 830,
    "recognized": 790,
    "not_recognized": 12,
    "transferred_in": 40,
    "transferred_out": 35,
    "exempted": 51,
    "removed": 20,
    "expelled": 3,
    "deceased": 61,
    "readmitted": 0,
}
_UNITS = {
    "total": 444,
    "by_kind": {"province_committee": 1, "commune_committee": 43, "cell": 400},
    "cells_below_minimum": 4,
    "cell_min_full_members": 3,
}


def sample_stats() -> dict[str, Any]:
    """The province of docs/reports.md for 2024, with one subordinate commune. A fresh copy on
    every call, so a test may change it freely."""
    members = copy.deepcopy(_MEMBERS)
    previous_members = {**copy.deepcopy(_MEMBERS), "total": 7956, "probationary": 632}
    target = {
        "indicator": "admissions",
        "year": 2024,
        "target": 820,
        "actual": 830,
        "achievement_pct": 101.22,
    }
    return {
        "unit": "P01",
        "name": "Đảng bộ tỉnh Phú Lâm",
        "kind": "province_committee",
        "as_of": "2024-12-31",
        "from": "2024-01-01",
        "to": "2024-12-31",
        "members": members,
        "movements": dict(_MOVEMENTS),
        "units": copy.deepcopy(_UNITS),
        "targets": [target],
        "previous": {
            "as_of": "2023-12-31",
            "from": "2023-01-01",
            "to": "2023-12-31",
            "members": previous_members,
            "movements": {**_MOVEMENTS, "admitted": 790},
            "units": copy.deepcopy(_UNITS),
            "targets": [],
        },
        "change_pct": {
            "members": {"total": 2.1, "probationary": -3.48, "full": 0.0, "exempt": 0.0},
            "movements": {"admitted": 5.06, "recognized": 0.0, "readmitted": None},
        },
        "children": [
            {
                "unit": "C001",
                "name": "Đảng bộ xã An Bình",
                "kind": "commune_committee",
                "members": copy.deepcopy(_MEMBERS),
                "movements": dict(_MOVEMENTS),
                "units": copy.deepcopy(_UNITS),
                "targets": [dict(target)],
            }
        ],
        "source": "snapshot",
    }


def test_english_reads_like_the_provincial_reports() -> None:
    text = narrative(sample_stats(), "en")
    assert text.startswith(
        "In 2024 Đảng bộ tỉnh Phú Lâm admitted 830 new members and recognized 790 "
        "probationary members as full members."
    )
    assert "830 admissions against a target of 820, 101.22%." in text
    assert "had 8,123 members (7,513 full, 610 probationary), up 2.10% on a year earlier" in text
    assert "402 of them are exempt from activities." in text
    assert "The subtree counts 444 party organizations; 4 cells have fewer than 3 full" in text
    assert len(text.split("\n\n")) == 3  # what happened, where it stands, its organizations


def test_only_movements_that_happened_are_mentioned() -> None:
    text = narrative(sample_stats(), "en")
    assert "40 members transferred in and 35 transferred out" in text
    assert "61 members died" in text and "3 members were expelled" in text
    assert "readmitted" not in text  # none were

    quiet = sample_stats()
    quiet["movements"] = dict.fromkeys(quiet["movements"], 0)
    text = narrative(quiet, "en")
    # Admissions and recognitions are always reported, even when there were none.
    assert "admitted 0 new members and recognized 0 probationary members" in text
    assert "Over the period" not in text


def test_singular_forms() -> None:
    stats = sample_stats()
    stats["movements"].update(admitted=1, recognized=1, deceased=1)
    stats["members"].update(total=1, full=1, probationary=0, exempt=1)
    stats["units"].update(total=1, cells_below_minimum=1)
    text = narrative(stats, "en")
    assert "admitted 1 new member and recognized 1 probationary member as a full member." in text
    assert "1 member died" in text
    assert "had 1 member (1 full, 0 probationary)" in text
    assert "1 of them is exempt from activities." in text
    assert "counts 1 party organization; 1 cell has fewer than 3 full members." in text


def test_a_fall_and_no_comparison() -> None:
    stats = sample_stats()
    stats["change_pct"]["members"]["total"] = -3.5
    assert "down 3.50% on a year earlier" in narrative(stats, "en")
    stats["change_pct"]["members"]["total"] = None  # nothing a year earlier
    text = narrative(stats, "en")
    assert "a year earlier" not in text


def test_a_period_other_than_a_calendar_year() -> None:
    stats = sample_stats()
    stats.update({"from": "2024-03-01", "to": "2024-06-30", "as_of": "2024-06-30"})
    en = narrative(stats, "en")
    assert en.startswith("From ") and "In 2024" not in en
    assert narrative(stats, "vi").startswith("Từ 01/03/2024 đến 30/06/2024, Đảng bộ tỉnh")


def test_vietnamese() -> None:
    text = narrative(sample_stats(), "vi")
    assert text.startswith(
        "Năm 2024, Đảng bộ tỉnh Phú Lâm đã kết nạp 830 đảng viên mới và công nhận 790 đảng "
        "viên dự bị thành đảng viên chính thức."
    )
    assert "830 lượt kết nạp so với chỉ tiêu 820, đạt 101,22%." in text
    assert "Tính đến 31/12/2024, Đảng bộ tỉnh Phú Lâm có 8.123 đảng viên" in text
    assert "(7.513 chính thức, 610 dự bị), tăng 2,10% so với cùng kỳ năm trước" in text
    assert "61 đảng viên từ trần" in text
    assert "4 chi bộ có dưới 3 đảng viên chính thức." in text


def test_khmer() -> None:
    text = narrative(sample_stats(), "km")
    assert len(KHMER.findall(text)) > 100  # written in Khmer script, not left in English
    assert "admitted" not in text
    assert "បានទទួលសមាជិកថ្មីចំនួន 830 នាក់" in text
    assert "101,22%" in text and "8.123" in text
    assert "Đảng bộ tỉnh Phú Lâm" in text  # a name is never translated


def test_the_active_language_is_left_as_it_was() -> None:
    from django.utils import translation

    with translation.override("en"):
        narrative(sample_stats(), "vi")
        assert translation.get_language() == "en"
