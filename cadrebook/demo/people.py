"""Who the generated members are: names, ethnic groups, schooling, occupations.

The tables they are drawn from with their weights, the numbers citizen IDs and card numbers
are made from, and the small, fast draws from a seeded `random.Random` that the histories use
too. Nothing here touches the database.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

# fmt: off
# Names ----------------------------------------------------------------------------------------
# (family name, weight in per cent): the common Kinh family names and their rough shares.
FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 4),
    ("Phan", 4.5), ("Vũ", 3.5), ("Võ", 3.5), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4),
    ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.8), ("Trương", 0.8),
    ("Mai", 0.5), ("Cao", 0.5),
]
MIDDLE_MALE = ["Văn", "Văn", "Văn", "Đức", "Minh", "Hữu", "Quốc", "Thanh", "Công", "Quang",
               "Xuân", "Đình", "Ngọc", "Trọng"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Hồng",
                 "Thùy", "Bích", "Mỹ"]
# A second middle name for some (e.g. "Nguyễn Thị Thu Hà").
SECOND_MIDDLE = ["Thu", "Minh", "Thanh", "Ngọc", "Hoàng", "Anh", "Bảo", "Xuân"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng",
              "Huy", "Khánh", "Khoa", "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn",
              "Tài", "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Ước"]
GIVEN_FEMALE = ["An", "Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hồng",
                "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "Nga", "Ngân", "Nhung", "Oanh",
                "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Tuyết", "Vân", "Yến"]
# (ethnic group, weight in per cent, family names typical of the group or None for Kinh ones)
ETHNICITIES = [
    ("Kinh", 86.5, None),
    ("Tày", 2.5, ["Hoàng", "Nông", "Lộc", "Ma", "Hà"]),
    ("Thái", 2.5, ["Lò", "Lường", "Cầm", "Quàng", "Vi"]),
    ("Mường", 2, ["Bùi", "Đinh", "Quách", "Hà"]),
    ("Khmer", 2, ["Thạch", "Danh", "Sơn", "Kim", "Lâm"]),
    ("Hoa", 1.5, ["Lý", "Trương", "Quách", "Lưu", "Mã"]),
    ("Nùng", 1.5, ["Hoàng", "Nông", "Lương", "Vi"]),
    ("H'Mông", 1.5, ["Giàng", "Vàng", "Sùng", "Thào", "Lầu"]),
]
# The first members made have these names and calm lives (the demo and the tests rely on them).
FORCED_NAMES = ["Đặng Đức Ước", "Nguyễn Văn An"]

# Origins, schooling, work and identity numbers ------------------------------------------------
HOMETOWNS = ["Hà Nội", "Nghệ An", "Thanh Hóa", "Hà Tĩnh", "Quảng Ngãi", "Thái Bình", "Nam Định",
             "Lạng Sơn", "Cao Bằng", "Sóc Trăng", "Cần Thơ", "Đắk Lắk", "Lào Cai", "Hải Phòng",
             "Huế", "Bình Định", "Quảng Nam", "Hưng Yên", "Ninh Bình", "An Giang"]
OCCUPATIONS = ["Cán bộ, công chức", "Viên chức", "Công nhân", "Nông dân", "Giáo viên", "Bác sĩ",
               "Công an", "Quân nhân", "Doanh nhân", "Sinh viên", "Lao động tự do", "Kỹ sư"]
EDUCATION = [("upper_secondary", 80), ("lower_secondary", 15), ("primary", 4), ("literate", 1)]
THEORY = [("", 35), ("elementary", 45), ("intermediate", 17), ("advanced", 3)]
# Three-digit province codes of the citizen ID (the place of birth registration).
# Multipliers coprime with 10**7 and 99 * 10**6: `g * M + c` modulo those numbers maps each
# member index to a distinct, scattered citizen ID and card number (up to 10 million members).
ID_MULTIPLIER = 3_874_033
CARD_MULTIPLIER = 7_919_357
ID_PROVINCES = ["001", "026", "030", "031", "036", "038", "040", "042", "052", "079"]
# Shares of the members: women, and those without a citizen ID or a card.
SHARE_WOMEN = 0.40
SHARE_NO_NATIONAL_ID = 0.03
SHARE_NO_CARD = 0.02
# fmt: on


# Draws ------------------------------------------------------------------------------------------
def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    items = [p[0] for p in pairs]
    cum: list[float] = []
    total = 0.0
    for _, weight in pairs:
        total += weight
        cum.append(total)
    return items, cum


_FAMILY, _FAMILY_CUM = _weighted(FAMILY_NAMES)
_ETHNIC, _ETHNIC_CUM = _weighted([(e[0], e[1]) for e in ETHNICITIES])
_ETHNIC_FAMILIES = {e[0]: e[2] for e in ETHNICITIES}
_EDU, _EDU_CUM = _weighted(EDUCATION)
_THEORY, _THEORY_CUM = _weighted(THEORY)


def _pick(rng: random.Random, items: list[Any], cum: list[float]) -> Any:
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


def _ri(rng: random.Random, low: int, high: int) -> int:
    """A whole number from low to high inclusive (`randint` at a quarter of its cost)."""
    return low + int(rng.random() * (high - low + 1))


def _ch(rng: random.Random, items: Sequence[Any]) -> Any:
    return items[int(rng.random() * len(items))]


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=_ri(rng, low, high))


def _person_name(rng: random.Random, female: bool, ethnicity: str) -> str:
    families = _ETHNIC_FAMILIES.get(ethnicity)
    family = _ch(rng, families) if families else _pick(rng, _FAMILY, _FAMILY_CUM)
    middle = _ch(rng, MIDDLE_FEMALE if female else MIDDLE_MALE)
    given = _ch(rng, GIVEN_FEMALE if female else GIVEN_MALE)
    if rng.random() < 0.15:
        second = _ch(rng, SECOND_MIDDLE)
        if second not in (middle, given):
            return f"{family} {middle} {second} {given}"
    return f"{family} {middle} {given}"


def _admission_age_months(rng: random.Random, low: int, high: int) -> int:
    """Most are admitted in their twenties and thirties."""
    r = rng.random()
    if r < 0.06:
        years = _ri(rng, 18, 19)
    elif r < 0.52:
        years = _ri(rng, 20, 29)
    elif r < 0.82:
        years = _ri(rng, 30, 39)
    elif r < 0.94:
        years = _ri(rng, 40, 49)
    else:
        years = _ri(rng, 50, 60)
    # Keep a month's margin inside the limits: the birthday adds up to one.
    return min(max(years * 12 + _ri(rng, 0, 11), low + 1), high - 1)
