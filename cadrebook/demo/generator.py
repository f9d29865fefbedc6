"""Deterministic synthetic data: a fictional province, its members and ten years of their events.

One generator serves the demo (`manage.py demo`: ~470 units, 8,000 members, on SQLite in a few
seconds) and the national-scale benchmarks (`bench/national.py`: ~300,000 units, 6 million
members, streamed with `COPY` into PostgreSQL).

It does not call the per-event services, which would take hours at national scale. It builds
each member's events in Python, checks them with the same pure fold the services use
(`cadrebook.members.lifecycle.fold` under the rule set in force, so every history obeys the
rules), derives the member's cached fields and `MemberPeriod` rows from the fold, and writes
rows in bulk: `bulk_create` by default, `COPY ... FROM STDIN` on PostgreSQL with `copy=True`.
Everything happens in one transaction with one audit entry ("demo.generated").

The same seed gives the same data whatever the writer: the tree comes from one seeded
`random.Random`, and members are made in fixed-size chunks, each from its own seeded generator
(so memory stays bounded and chunks could be made in parallel).
"""

from __future__ import annotations

import bisect
import collections
import datetime as dt
import itertools
import math
import multiprocessing
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from cadrebook.core.audit import audit_record
from cadrebook.core.bulk import RowWriter, copy_text, drop_secondary_structures
from cadrebook.core.dates import add_months, age_in_months
from cadrebook.core.normalize import normalize_name
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.members.choices import EventType as E
from cadrebook.members.choices import MemberStatus as S
from cadrebook.members.lifecycle import EventData, fold
from cadrebook.members.models import (
    ANCESTOR_COLUMNS,
    EVENT_COLUMNS,
    MEMBER_COLUMNS,
    PERIOD_COLUMNS,
    Member,
    MemberEvent,
    MemberPeriod,
)
from cadrebook.orgs.models import OrgUnit, UnitPlacement

DEMO_PASSWORD = "cadrebook-demo"

# Members are made in chunks of this many, each chunk from its own seeded generator. Changing
# it changes the data a seed gives.
CHUNK = 5000
BATCH_SIZE = 5000

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
FORCED_NAMES = ["Đặng Đức Ước", "Nguyễn Văn An"]

# Places and units -------------------------------------------------------------------------------
PLACE_FIRST = ["Tân", "Phú", "An", "Bình", "Hòa", "Long", "Thạnh", "Vĩnh", "Đông", "Tây", "Nam",
               "Bắc", "Hưng", "Phước", "Thuận", "Xuân", "Mỹ", "Quang", "Đức", "Hiệp", "Yên",
               "Kim", "Cẩm", "Thái"]
PLACE_SECOND = ["Phú", "An", "Lợi", "Hòa", "Thành", "Lộc", "Hưng", "Bình", "Thịnh", "Tiến",
                "Sơn", "Hải", "Lâm", "Phong", "Mỹ", "Trung", "Khánh", "Điền", "Thủy", "Nghĩa"]
PROVINCE_NAME = "Đảng bộ tỉnh Phú Lâm"
CENTRAL_CODE = "TW"
CENTRAL_NAME = "Ban Chấp hành Trung ương Đảng"
# Grassroots committees: (name pattern, cell names). "{place}" is the commune's place name.
GRASSROOTS_COMMITTEES = [
    ("Đảng bộ Công an {level} {place}", ["Chi bộ Đội {k}"]),
    ("Đảng bộ Trường THPT {place}", ["Chi bộ Tổ Toán", "Chi bộ Tổ Ngữ văn", "Chi bộ Tổ Ngoại ngữ",
                                     "Chi bộ Tổ Tự nhiên", "Chi bộ Tổ Xã hội", "Chi bộ Văn phòng"]),
    ("Đảng bộ Trung tâm Y tế {place}", ["Chi bộ Khoa Nội", "Chi bộ Khoa Ngoại", "Chi bộ Khoa Nhi",
                                        "Chi bộ Khoa Sản", "Chi bộ Khoa Dược", "Chi bộ Hành chính"]),
    ("Đảng bộ Công ty Cổ phần {place}", ["Chi bộ Phân xưởng {k}"]),
    ("Đảng bộ Khối cơ quan {level} {place}", ["Chi bộ Văn phòng", "Chi bộ Tư pháp",
                                              "Chi bộ Địa chính", "Chi bộ Văn hóa - Xã hội",
                                              "Chi bộ Kinh tế"]),
    ("Đảng bộ Quân sự {level} {place}", ["Chi bộ Dân quân {k}"]),
    ("Đảng bộ Cụm dân cư {place} {n}", ["Chi bộ Thôn {k}", "Chi bộ Khu phố {k}"]),
]
GRASSROOTS_CELLS = ["Chi bộ Thôn {k}", "Chi bộ Khu phố {k}", "Chi bộ Ấp {k}",
                    "Chi bộ Trường Tiểu học {place}", "Chi bộ Trạm Y tế {place}",
                    "Chi bộ Trường Mầm non {place}", "Chi bộ Hợp tác xã {place}"]

HOMETOWNS = ["Hà Nội", "Nghệ An", "Thanh Hóa", "Hà Tĩnh", "Quảng Ngãi", "Thái Bình", "Nam Định",
             "Lạng Sơn", "Cao Bằng", "Sóc Trăng", "Cần Thơ", "Đắk Lắk", "Lào Cai", "Hải Phòng",
             "Huế", "Bình Định", "Quảng Nam", "Hưng Yên", "Ninh Bình", "An Giang"]
OCCUPATIONS = ["Cán bộ, công chức", "Viên chức", "Công nhân", "Nông dân", "Giáo viên", "Bác sĩ",
               "Công an", "Quân nhân", "Doanh nhân", "Sinh viên", "Lao động tự do", "Kỹ sư"]
DESTINATIONS = ["Đảng bộ tỉnh Lâm Đồng", "Đảng bộ thành phố Hà Nội", "Đảng bộ Quân khu 7",
                "Đảng bộ Khối Doanh nghiệp Trung ương", "Đảng bộ thành phố Hồ Chí Minh",
                "Đảng bộ tỉnh Nghệ An"]
EDUCATION = [("upper_secondary", 80), ("lower_secondary", 15), ("primary", 4), ("literate", 1)]
THEORY = [("", 35), ("elementary", 45), ("intermediate", 17), ("advanced", 3)]
# Three-digit province codes of the citizen ID (the place of birth registration).
# Multipliers coprime with 10**7 and 99 * 10**6: `g * M + c` modulo those numbers maps each
# member index to a distinct, scattered citizen ID and card number (up to 10 million members).
ID_MULTIPLIER = 3_874_033
CARD_MULTIPLIER = 7_919_357
ID_PROVINCES = ["001", "026", "030", "031", "036", "038", "040", "042", "052", "079"]

# Yearly rates of what happens to an active member (competing exponential clocks).
RATE_TRANSFER = 0.05
RATE_LEAVE = 0.008
RATE_REMOVE = 0.006
RATE_EXPEL = 0.001
RATE_TEMPORARY = 0.01
RATE_EXEMPT_HEALTH = 0.003
RATE_EXEMPT_ELDERLY = 0.35  # from EXEMPT_ELDERLY_AGE on
EXEMPT_ELDERLY_AGE = 66
RATE_EXEMPTION_END = 0.15  # for the ill, below the elderly age
SHARE_NEVER_ADMITTED = 0.04
SHARE_NOT_RECOGNIZED = 0.02
SHARE_READMITTED = 0.3
SHARE_WOMEN = 0.40
SHARE_NO_NATIONAL_ID = 0.03
SHARE_NO_CARD = 0.02

UNIT_COLUMNS = (
    "id", "path", "depth", "numchild", "code", "name", "name_norm", "kind", "founded_on",
    "dissolved_on",
)
PLACEMENT_COLUMNS = (
    "unit_id", "parent_id", "depth", "valid_from", "valid_to", "document",
    "anc1_id", "anc2_id", "anc3_id", "anc4_id", "anc5_id", "anc6_id",
)
# fmt: on


def _placement_rows(unit_rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One open placement per generated unit, from the beginning (a generated tree never
    moved). Rows are (id, path, depth, ...) in UNIT_COLUMNS order."""
    step = OrgUnit.steplen
    by_path = {row[1]: row[0] for row in unit_rows}
    result = []
    for uid, path, depth, *_rest in unit_rows:
        # A generated tree is a new root: every ancestor is among these rows.
        ancestors = [by_path[path[: step * d]] for d in range(1, depth + 1)]
        pad = [None] * (6 - len(ancestors))
        result.append(
            (uid, ancestors[-2] if depth > 1 else None, depth, None, None, "", *ancestors, *pad)
        )
    return result


@dataclass
class Summary:
    """What one run of `generate` wrote, and how long it took."""

    root_code: str
    units: int
    member_units: int
    members: int
    events: int
    periods: int
    seconds: float
    statuses: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.units + self.members + self.events + self.periods


@dataclass
class _Tree:
    """The generated units, and what member generation needs to know about them."""

    rows: list[tuple[Any, ...]]
    root_code: str
    member_units: list[int]  # ids of the units that hold members
    cum_weights: list[float]  # cumulative sizes of those units, for weighted choice
    commune_of: list[int]  # commune index of each member unit
    by_commune: list[list[int]]  # member-unit indexes per commune
    places: list[str]  # place name of each commune
    levels: list[str]  # "xã" or "phường" for each commune
    ancestors: dict[int, tuple[int, ...]]  # unit id -> ids from the root down to the unit
    holding: frozenset[int] = frozenset()  # the ids of member_units


@dataclass
class _Context:
    """Everything a chunk of members is made from; plain data, so it could go to a worker."""

    seed: int
    tree: _Tree
    rules: Ruleset
    today: dt.date
    start: dt.date
    now: dt.datetime
    member_id_base: int
    probation_months: int
    readmit_gap: int
    readmit_max: int
    min_age: int
    max_age: int
    cards: bool


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


# The tree -----------------------------------------------------------------------------------------
def _step(num: int) -> str:
    key = OrgUnit._int2str(num)
    if len(key) > OrgUnit.steplen:
        raise ValueError("too many siblings for the tree's path step")
    return OrgUnit.alphabet[0] * (OrgUnit.steplen - len(key)) + key


def _build_tree(
    rng: random.Random,
    *,
    communes: int,
    grassroots_per_commune: int,
    cells_per_grassroots: int,
    start: dt.date,
    next_id: int,
    root_number: int,
    provinces: int = 0,
) -> _Tree:
    """Lay out the units with their paths, depths and numchild; ids are assigned from next_id.

    One province at the top, or with `provinces`, the central committee with that many
    provinces under it."""
    rows: list[tuple[Any, ...]] = []
    ancestors: dict[int, tuple[int, ...]] = {}
    member_units: list[int] = []
    weights: list[float] = []
    commune_of: list[int] = []
    by_commune: list[list[int]] = []
    places: list[str] = []
    levels: list[str] = []
    latest = start - dt.timedelta(days=1)

    def founded(year_from: int, year_to: int) -> dt.date:
        day = dt.date(rng.randint(year_from, year_to), rng.randint(1, 12), rng.randint(1, 28))
        return min(day, latest)

    ids = iter(range(next_id, 2**62))
    root_id = next(ids)
    if provinces:
        # A national tree: the central committee at the top, the provinces under it, and the
        # communes shared out among them.
        root_code = CENTRAL_CODE
        root_path = _step(root_number)
        rows.append(
            (
                root_id,
                root_path,
                1,
                provinces,
                root_code,
                CENTRAL_NAME,
                normalize_name(CENTRAL_NAME),
                "central_committee",
                founded(1930, 1930),
                None,
            )
        )
        ancestors[root_id] = (root_id,)
        tops = []
        for p in range(1, provinces + 1):
            p_id = next(ids)
            share = communes * p // provinces - communes * (p - 1) // provinces
            p_name = f"Đảng bộ tỉnh {PLACE_FIRST[p % len(PLACE_FIRST)]} "
            p_name += PLACE_SECOND[(p * 7) % len(PLACE_SECOND)] + f" {p}"
            tops.append((p_id, root_path + _step(p), f"P{p:02d}", p_name, share, (root_id,)))
    else:
        tops = [(root_id, _step(root_number), f"P{root_number:02d}", PROVINCE_NAME, communes, ())]
        root_code = tops[0][2]
    c = 0
    for p_id, p_path, p_code, p_name, p_communes, above in tops:
        p_depth = len(above) + 1
        ancestors[p_id] = (*above, p_id)
        rows.append(
            (
                p_id,
                p_path,
                p_depth,
                p_communes,
                p_code,
                p_name,
                normalize_name(p_name),
                "province_committee",
                founded(1946, 1960),
                None,
            )
        )
        c = _build_communes(
            rng,
            rows,
            ids,
            ancestors,
            member_units,
            weights,
            commune_of,
            by_commune,
            places,
            levels,
            founded,
            latest,
            p_id=p_id,
            p_path=p_path,
            p_code=p_code,
            p_depth=p_depth,
            communes=p_communes,
            first=c,
            grassroots_per_commune=grassroots_per_commune,
            cells_per_grassroots=cells_per_grassroots,
        )
    cum: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    return _Tree(
        rows=rows,
        root_code=root_code,
        member_units=member_units,
        cum_weights=cum,
        commune_of=commune_of,
        by_commune=by_commune,
        places=places,
        levels=levels,
        ancestors=ancestors,
        holding=frozenset(member_units),
    )


def _build_communes(
    rng: random.Random,
    rows: list[tuple[Any, ...]],
    ids: Iterator[int],
    ancestors: dict[int, tuple[int, ...]],
    member_units: list[int],
    weights: list[float],
    commune_of: list[int],
    by_commune: list[list[int]],
    places: list[str],
    levels: list[str],
    founded: Callable[[int, int], dt.date],
    latest: dt.date,
    *,
    p_id: int,
    p_path: str,
    p_code: str,
    p_depth: int,
    communes: int,
    first: int,
    grassroots_per_commune: int,
    cells_per_grassroots: int,
) -> int:
    """The communes of one province with their grassroots units and cells; returns the
    number of communes laid out so far in the whole tree."""
    width_c = max(2, len(str(communes)))
    spread = max(1, grassroots_per_commune // 5)
    max_grassroots = grassroots_per_commune + spread
    width_g = max(2, len(str(max_grassroots)))
    width_k = max(1, len(str(cells_per_grassroots + 3)))
    ancestors_p = ancestors[p_id]
    c = first
    for number in range(1, communes + 1):
        c += 1
        place = rng.choice(PLACE_FIRST) + " " + rng.choice(PLACE_SECOND)
        level = "phường" if rng.random() < 0.3 else "xã"
        places.append(place)
        levels.append(level)
        by_commune.append([])
        c_id = next(ids)
        c_code = f"{p_code}.C{number:0{width_c}d}"
        c_path = p_path + _step(number)
        ancestors[c_id] = (*ancestors_p, c_id)
        n_grassroots = rng.randint(max(1, grassroots_per_commune - spread), max_grassroots)
        c_name = f"Đảng bộ {level} {place}"
        rows.append(
            (
                c_id,
                c_path,
                p_depth + 1,
                n_grassroots,
                c_code,
                c_name,
                normalize_name(c_name),
                "commune_committee",
                founded(1960, 1990),
                None,
            )
        )
        for g in range(1, n_grassroots + 1):
            g_id = next(ids)
            g_code = f"{c_code}.G{g:0{width_g}d}"
            g_path = c_path + _step(g)
            ancestors[g_id] = (*ancestors_p, c_id, g_id)
            g_founded = founded(1975, 2010)
            if rng.random() < 0.2:
                name = rng.choice(GRASSROOTS_CELLS).format(k=g, place=place)
                rows.append(
                    (
                        g_id,
                        g_path,
                        p_depth + 2,
                        0,
                        g_code,
                        name,
                        normalize_name(name),
                        "grassroots_cell",
                        g_founded,
                        None,
                    )
                )
                member_units.append(g_id)
                weights.append(rng.uniform(0.4, 1.6))
                commune_of.append(c - 1)
                by_commune[-1].append(len(member_units) - 1)
                continue
            pattern, cell_names = rng.choice(GRASSROOTS_COMMITTEES)
            name = pattern.format(level=level, place=place, n=g)
            n_cells = rng.randint(max(2, cells_per_grassroots - 1), cells_per_grassroots + 3)
            rows.append(
                (
                    g_id,
                    g_path,
                    p_depth + 2,
                    n_cells,
                    g_code,
                    name,
                    normalize_name(name),
                    "grassroots_committee",
                    g_founded,
                    None,
                )
            )
            numbered = [n for n in cell_names if "{k}" in n]
            for k in range(1, n_cells + 1):
                k_id = next(ids)
                if k <= len(cell_names) and "{k}" not in cell_names[k - 1]:
                    k_name = cell_names[k - 1]
                elif numbered:
                    k_name = rng.choice(numbered).format(k=k)
                else:
                    k_name = f"Chi bộ số {k}"
                k_founded = min(g_founded + dt.timedelta(days=rng.randint(0, 1500)), latest)
                rows.append(
                    (
                        k_id,
                        g_path + _step(k),
                        p_depth + 3,
                        0,
                        f"{g_code}.K{k:0{width_k}d}",
                        k_name,
                        normalize_name(k_name),
                        "cell",
                        k_founded,
                        None,
                    )
                )
                ancestors[k_id] = (*ancestors_p, c_id, g_id, k_id)
                member_units.append(k_id)
                weights.append(rng.uniform(0.3, 2.0))
                commune_of.append(c - 1)
                by_commune[-1].append(len(member_units) - 1)
    return c


# Members --------------------------------------------------------------------------------------------
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


def _other_unit(rng: random.Random, tree: _Tree, current_index: int) -> int:
    """Index of a member unit other than `current_index`, mostly in the same commune."""
    local = tree.by_commune[tree.commune_of[current_index]]
    if len(local) > 1 and rng.random() < 0.7:
        choice = _ch(rng, local)
        while choice == current_index:
            choice = _ch(rng, local)
        return choice
    choice = current_index
    while choice == current_index and len(tree.member_units) > 1:
        choice = bisect.bisect(tree.cum_weights, rng.random() * tree.cum_weights[-1])
    return choice


def _doc(rng: random.Random) -> str:
    return f"{_ri(rng, 1, 400)}-QĐ/ĐU"


def _history(
    rng: random.Random,
    ctx: _Context,
    home: int,
    birth: dt.date,
    registered: dt.date,
    admit_on: dt.date,
    calm: bool,
) -> list[tuple[Any, ...]]:
    """The events of one life as (type, date, unit index, to unit index, destination,
    document, reason); indexes point into `tree.member_units`.

    Competing exponential clocks with yearly rates decide what happens next to an active
    member; the probation review is a fixed appointment among them. `calm` lives are admitted,
    recognized and left alone (the named members the demo and the tests rely on).
    """
    today = ctx.today
    tree = ctx.tree
    events: list[tuple[Any, ...]] = [(E.REGISTERED, registered, home, None, "", "", "")]
    if admit_on > today or (not calm and rng.random() < SHARE_NEVER_ADMITTED):
        return events
    events.append((E.ADMITTED, admit_on, home, None, "", _doc(rng), ""))
    unit = home
    probationary = True
    fails = not calm and rng.random() < SHARE_NOT_RECOGNIZED
    review_on = add_months(admit_on, ctx.probation_months) + _days(rng, 0, 45)
    exempt = False
    readmissions = 0
    t = admit_on
    one_year = dt.timedelta(days=365)
    while True:
        age = (t - birth).days / 365.25
        if calm:
            rates = [0.0] * 7
        else:
            death = 0.001 * math.exp(0.08 * (age - 30)) * (2 if exempt else 1)
            if exempt:
                exempt_change = RATE_EXEMPTION_END if age < EXEMPT_ELDERLY_AGE - 6 else 0.0
            else:
                exempt_change = (
                    RATE_EXEMPT_ELDERLY if age >= EXEMPT_ELDERLY_AGE else RATE_EXEMPT_HEALTH
                )
            rates = [
                death,
                RATE_TRANSFER * (0.2 if exempt else 1),
                0.0 if exempt else RATE_LEAVE,
                RATE_REMOVE,
                0.0 if probationary else RATE_EXPEL,  # discipline forms: no expulsion on probation
                0.0 if (exempt or probationary) else RATE_TEMPORARY,
                exempt_change,
            ]
        total = sum(rates)
        wait = rng.expovariate(total) * 365.25 if total else math.inf
        if probationary and t + dt.timedelta(days=min(wait, 40000)) >= review_on:
            if review_on > today:
                break
            t = max(t, review_on)  # never before an event already made (a late arrival)
            if fails:
                events.append((E.NOT_RECOGNIZED, t, None, None, "", _doc(rng), "probation_failed"))
                readmit = _readmission(rng, ctx, birth, t, readmissions, unit)
                if readmit is None:
                    break
                t, unit = readmit
                events.append((E.READMITTED, t, unit, None, "", _doc(rng), ""))
                readmissions += 1
                exempt = False
                fails = rng.random() < SHARE_NOT_RECOGNIZED
                review_on = add_months(t, ctx.probation_months) + _days(rng, 0, 45)
                continue
            events.append((E.RECOGNIZED, t, None, None, "", _doc(rng), ""))
            probationary = False
            continue
        if wait > 365:
            t += one_year
            if t > today:
                break
            continue
        t += dt.timedelta(days=max(1, int(wait)))
        if t > today:
            break
        kind = bisect.bisect(list(itertools.accumulate(rates)), rng.random() * total)
        if kind == 0:
            events.append((E.DECEASED, t, None, None, "", "", ""))
            break
        if kind == 1:
            to = _other_unit(rng, tree, unit)
            if to == unit:
                continue
            reason = _ch(rng, ["work", "residence"])
            events.append((E.TRANSFER_OUT, t, None, to, "", f"{_ri(rng, 1, 900)}-GGT/ĐU", reason))
            arrive = t + _days(rng, 0, 30) if rng.random() < 0.7 else t
            if arrive > today:
                break  # still pending today
            events.append((E.TRANSFER_IN, arrive, to, None, "", "", ""))
            unit = to
            t = arrive
        elif kind == 2:
            events.append(
                (
                    E.TRANSFER_OUT,
                    t,
                    None,
                    None,
                    _ch(rng, DESTINATIONS),
                    f"{_ri(rng, 1, 900)}-GGT/ĐU",
                    "work",
                )
            )
            break
        elif kind in (3, 4):
            if kind == 4:
                events.append((E.EXPELLED, t, None, None, "", _doc(rng), "discipline"))
                break
            reason = _ch(rng, ["absence", "fees_unpaid", "no_progress"])
            events.append((E.REMOVED, t, None, None, "", _doc(rng), reason))
            readmit = _readmission(rng, ctx, birth, t, readmissions, unit)
            if readmit is None:
                break
            t, unit = readmit
            events.append((E.READMITTED, t, unit, None, "", _doc(rng), ""))
            readmissions += 1
            probationary = True
            exempt = False
            fails = rng.random() < SHARE_NOT_RECOGNIZED
            review_on = add_months(t, ctx.probation_months) + _days(rng, 0, 45)
        elif kind == 5:
            host = _other_unit(rng, tree, unit)
            if host == unit:
                continue
            events.append(
                (
                    E.TEMPORARY_TRANSFER,
                    t,
                    None,
                    host,
                    "",
                    "",
                    "study" if rng.random() < 0.3 else "work",
                )
            )
            back = add_months(t, _ri(rng, 3, 11))
            if back > today:
                break  # still away today
            events.append((E.TEMPORARY_TRANSFER_ENDED, back, None, None, "", "", ""))
            t = back
        elif kind == 6:
            if exempt:
                events.append((E.EXEMPTION_ENDED, t, None, None, "", "", ""))
                exempt = False
            else:
                events.append(
                    (
                        E.EXEMPTED,
                        t,
                        None,
                        None,
                        "",
                        "",
                        "age" if age >= EXEMPT_ELDERLY_AGE else "health",
                    )
                )
                exempt = True
    return events


def _readmission(
    rng: random.Random, ctx: _Context, birth: dt.date, left: dt.date, done: int, unit: int
) -> tuple[dt.date, int] | None:
    """A readmission date (at least the rule set's gap after leaving) and cell, or None."""
    if done >= ctx.readmit_max or rng.random() >= SHARE_READMITTED:
        return None
    day = add_months(left, ctx.readmit_gap) + _days(rng, 1, 900)
    if day > ctx.today or not ctx.min_age <= age_in_months(birth, day) <= ctx.max_age:
        return None
    if rng.random() < 0.3:
        unit = _other_unit(rng, ctx.tree, unit)
    return day, unit


# Normalized names by name: there are only some tens of thousands of distinct names.
_NORM_CACHE: dict[str, str] = {}


def _chunk_rng(seed: int, chunk_no: int) -> random.Random:
    return random.Random(f"cadrebook-synthetic:{seed}:members:{chunk_no}")


def _make_chunk(
    ctx: _Context, chunk_no: int, first: int, count: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], Counter[str]]:
    """Members `first` .. `first + count - 1` (global indexes): member, event and period rows."""
    rng = _chunk_rng(ctx.seed, chunk_no)
    tree = ctx.tree
    unit_ids = tree.member_units
    holding = tree.holding
    span = (ctx.today - ctx.start).days
    rules = ctx.rules
    norm_cache = _NORM_CACHE
    members: list[tuple[Any, ...]] = []
    events_out: list[tuple[Any, ...]] = []
    periods_out: list[tuple[Any, ...]] = []
    statuses: Counter[str] = Counter()
    pad = (None,) * ANCESTOR_COLUMNS

    def check_unit(unit_id: int, day: dt.date, field_name: str) -> None:
        if unit_id not in holding:  # pragma: no cover - a generator bug
            raise AssertionError(f"unit {unit_id} holds no members")

    for i in range(first, first + count):
        forced = i < len(FORCED_NAMES)
        female = not forced and rng.random() < SHARE_WOMEN
        ethnicity = "Kinh" if forced else _pick(rng, _ETHNIC, _ETHNIC_CUM)
        name = FORCED_NAMES[i] if forced else _person_name(rng, female, ethnicity)
        home = bisect.bisect(tree.cum_weights, rng.random() * tree.cum_weights[-1])
        if forced:
            registered = ctx.start + _days(rng, 0, 60)
            admit_on = registered + _days(rng, 120, 200)
        else:
            registered = ctx.start + _days(rng, 0, span)
            admit_on = registered + _days(rng, 90, 360)
        months = _admission_age_months(rng, ctx.min_age, ctx.max_age)
        birth = add_months(admit_on, -months) - _days(rng, 0, 20)
        history = _history(rng, ctx, home, birth, registered, admit_on, calm=forced)

        data = [
            EventData(
                type=ev[0],
                date=ev[1],
                unit_id=unit_ids[ev[2]] if ev[2] is not None else None,
                to_unit_id=unit_ids[ev[3]] if ev[3] is not None else None,
                destination=ev[4],
                id=n,
            )
            for n, ev in enumerate(history, start=1)
        ]
        state = fold(data, rules=rules, birth_date=birth, check_unit=check_unit)
        member_id = ctx.member_id_base + i
        status = str(state.status or S.APPLICANT)
        statuses[status] += 1

        g = member_id - 1  # a global index: unique numbers across runs on one database
        national_id = None
        if rng.random() >= SHARE_NO_NATIONAL_ID:
            h = (g * ID_MULTIPLIER + 1_234_567) % 10_000_000  # a bijection of 0 .. 10**7 - 1
            century_sex = (0 if birth.year < 2000 else 2) + (1 if female else 0)
            national_id = f"{ID_PROVINCES[h % 10]}{century_sex}{birth.year % 100:02d}{h // 10:06d}"
        card = None
        if ctx.cards and status == S.FULL and (forced or rng.random() >= SHARE_NO_CARD):
            h = (g * CARD_MULTIPLIER + 4_321_987) % 99_000_000  # a bijection of 0 .. 99e6 - 1
            card = f"{1 + h // 1_000_000:02d}.{h % 1_000_000:06d}"
        norm = norm_cache.get(name)
        if norm is None:
            norm = norm_cache[name] = normalize_name(name)
        commune = tree.commune_of[home]
        members.append(
            (
                member_id,
                name,
                norm,
                "female" if female else "male",
                birth,
                ethnicity,
                national_id,
                _ch(rng, HOMETOWNS),
                _pick(rng, _EDU, _EDU_CUM),
                _pick(rng, _THEORY, _THEORY_CUM),
                "Hưu trí" if (ctx.today - birth).days > 62 * 365 else _ch(rng, OCCUPATIONS),
                f"0{_ch(rng, '9873')}{_ri(rng, 0, 99_999_999):08d}",
                f"Thôn {_ri(rng, 1, 12)}, {tree.levels[commune]} {tree.places[commune]}",
                card,
                None,
                status,
                state.unit_id,
                state.exempt,
                state.admitted_on,
                state.recognized_on,
                state.pending_to,
                1,
                ctx.now,
            )
        )
        for ev, d in zip(history, data, strict=True):
            events_out.append(
                (
                    member_id,
                    str(d.type),
                    d.date,
                    d.unit_id,
                    d.to_unit_id,
                    ev[4],
                    ev[5],
                    ev[6],
                    None,
                    False,
                    ctx.now,
                    None,
                    # taken_over: the generated years of history stand for records kept
                    # before Cadrebook (no votes, no ends of temporary transfers on file).
                    True,
                )
            )
        for p in state.periods:
            anc = tree.ancestors[p.unit_id]
            periods_out.append(
                (
                    member_id,
                    p.unit_id,
                    str(p.status),
                    p.exempt,
                    p.valid_from,
                    p.valid_to,
                    *anc,
                    *pad[len(anc) :],
                )
            )
    return members, events_out, periods_out, statuses


# Writers ----------------------------------------------------------------------------------------
# A chunk of members as written: (member rows, event rows, period rows), each either a list of
# tuples (for bulk_create) or COPY text; then the status counts.
Chunk = tuple[Any, Any, Any, int, int, Counter[str]]


def _chunk_rows(ctx: _Context, chunk_no: int, first: int, count: int) -> Chunk:
    m, e, p, statuses = _make_chunk(ctx, chunk_no, first, count)
    return m, e, p, len(e), len(p), statuses


def _chunk_text(ctx: _Context, chunk_no: int, first: int, count: int) -> Chunk:
    m, e, p, statuses = _make_chunk(ctx, chunk_no, first, count)
    return copy_text(m), copy_text(e), copy_text(p), len(e), len(p), statuses


_WORKER_CTX: _Context | None = None


def _worker_init(ctx: _Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _worker_chunk(chunk_no: int, first: int, count: int) -> Chunk:
    assert _WORKER_CTX is not None
    try:
        return _chunk_text(_WORKER_CTX, chunk_no, first, count)
    except Exception as exc:
        # Not every exception survives pickling back to the parent; a plain one does.
        raise RuntimeError(f"chunk {chunk_no}: {traceback.format_exc()}") from exc


def _chunks(ctx: _Context, members: int, *, text: bool, workers: int) -> Iterator[Chunk]:
    """The chunks of members in order, made here or by `workers` forked processes (at most
    two chunks per worker in flight, so memory stays bounded)."""
    tasks = [
        (n, first, min(CHUNK, members - first)) for n, first in enumerate(range(0, members, CHUNK))
    ]
    if workers <= 1 or len(tasks) <= 1:
        make = _chunk_text if text else _chunk_rows
        for task in tasks:
            yield make(ctx, *task)
        return
    # Forked workers inherit the context and never touch the database connection.
    pool = multiprocessing.get_context("fork").Pool(
        workers, initializer=_worker_init, initargs=(ctx,)
    )
    try:
        pending: collections.deque[Any] = collections.deque()
        queue = iter(tasks)
        for task in itertools.islice(queue, 2 * workers):
            pending.append(pool.apply_async(_worker_chunk, task))
        while pending:
            result = pending.popleft().get()
            following = next(queue, None)
            if following is not None:
                pending.append(pool.apply_async(_worker_chunk, following))
            yield result
    finally:
        pool.terminate()
        pool.join()


class _OrmWriter:
    """`bulk_create` in batches: works on every database Django supports."""

    text = False

    def write(self, model: Any, columns: Sequence[str], rows: Any) -> None:
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)


class _CopyWriter(RowWriter):
    """PostgreSQL `COPY ... FROM STDIN`: rows, or text already formatted."""

    text = True


# The entry point ----------------------------------------------------------------------------------
def national_params(members: int) -> dict[str, int]:
    """Tree sizes that keep the national shape: the central committee, 34 provinces, and
    ~300,000 units for 6 million members."""
    return {
        "members": members,
        "provinces": 34,
        "communes": max(2, round(members / 2000)),
        "grassroots_per_commune": 10,
        "cells_per_grassroots": 10,
    }


def generate(
    *,
    seed: int = 1,
    provinces: int = 0,
    communes: int = 10,
    grassroots_per_commune: int = 10,
    cells_per_grassroots: int = 4,
    members: int = 8000,
    years: int = 10,
    today: dt.date | None = None,
    copy: bool = False,
    rebuild_indexes: bool = True,
    workers: int = 1,
    progress: Any = None,
) -> Summary:
    """Write a fictional province with `members` members and `years` years of their events.

    `copy=True` streams the rows with COPY (PostgreSQL only) and, with `rebuild_indexes`,
    drops the member tables' secondary indexes and constraints for the load and rebuilds them
    after it, and `workers` > 1 makes the members in that many forked processes while this
    one writes. `progress(done, total)` is called after each chunk of members.
    """
    started = time.perf_counter()
    phases: dict[str, float] = {}
    if copy and connection.vendor != "postgresql":
        raise ValueError("copy=True needs PostgreSQL")
    rules = current_ruleset()
    today = today or timezone.localdate()
    start = add_months(today, -12 * years)
    card_ok = bool(rules.card_pattern().match("01.234567"))
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "LOCK TABLE orgs_orgunit, members_member IN SHARE ROW EXCLUSIVE MODE"
                )
            unit_base = (OrgUnit.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            member_base = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            last_root = OrgUnit.objects.get_last_root_node()
            root_number = (
                OrgUnit._str2int(last_root.path[: OrgUnit.steplen]) + 1 if (last_root) else 1
            )
            tree = _build_tree(
                random.Random(f"cadrebook-synthetic:{seed}:tree"),
                provinces=provinces,
                communes=communes,
                grassroots_per_commune=grassroots_per_commune,
                cells_per_grassroots=cells_per_grassroots,
                start=start,
                next_id=unit_base,
                root_number=root_number,
            )
            writer: _OrmWriter | _CopyWriter = _CopyWriter(cursor) if copy else _OrmWriter()
            restore: list[str] = []
            if copy and rebuild_indexes:
                restore = drop_secondary_structures(
                    cursor, ["members_member", "members_memberevent", "members_memberperiod"]
                )
            writer.write(OrgUnit, UNIT_COLUMNS, tree.rows)
            writer.write(UnitPlacement, PLACEMENT_COLUMNS, _placement_rows(tree.rows))
            phases["units"] = time.perf_counter() - started

            ctx = _Context(
                seed=seed,
                tree=tree,
                rules=rules,
                today=today,
                start=start,
                now=timezone.now(),
                member_id_base=member_base,
                probation_months=rules.int("probation.months"),
                readmit_gap=rules.int("readmission.min_months_after_leaving"),
                readmit_max=rules.int("readmission.max_times"),
                min_age=rules.int("admission.min_age_months"),
                max_age=rules.int("admission.max_age_months"),
                cards=card_ok,
            )
            n_events = n_periods = 0
            statuses: Counter[str] = Counter()
            done = 0
            for m_rows, e_rows, p_rows, n_e, n_p, st in _chunks(
                ctx, members, text=writer.text, workers=workers if copy else 1
            ):
                writer.write(Member, MEMBER_COLUMNS, m_rows)
                writer.write(MemberEvent, EVENT_COLUMNS, e_rows)
                writer.write(MemberPeriod, PERIOD_COLUMNS, p_rows)
                n_events += n_e
                n_periods += n_p
                done += sum(st.values())
                statuses.update(st)
                if progress is not None:
                    progress(done, members)
            phases["members"] = time.perf_counter() - started - phases["units"]
            t0 = time.perf_counter()
            if restore:
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                for statement in restore:
                    cursor.execute(statement)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
                phases["indexes"] = time.perf_counter() - t0
            if connection.vendor == "postgresql":
                for table, model in (("orgs_orgunit", OrgUnit), ("members_member", Member)):
                    top = model.objects.aggregate(m=Max("id"))["m"]
                    if top:
                        cursor.execute(
                            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, top]
                        )
                if copy:
                    t0 = time.perf_counter()
                    for table in (
                        "orgs_orgunit",
                        "members_member",
                        "members_memberevent",
                        "members_memberperiod",
                    ):
                        cursor.execute(f"ANALYZE {table}")
                    phases["analyze"] = time.perf_counter() - t0
        root = OrgUnit.objects.get(code=tree.root_code)
        summary = Summary(
            root_code=tree.root_code,
            units=len(tree.rows),
            member_units=len(tree.member_units),
            members=members,
            events=n_events,
            periods=n_periods,
            seconds=0.0,
            statuses=dict(sorted(statuses.items())),
            phases=phases,
        )
        audit_record(
            actor=None,
            obj=root,
            action="create",
            event_type="demo.generated",
            unit=root,
            after={
                "seed": seed,
                "units": summary.units,
                "members": members,
                "events": n_events,
                "periods": n_periods,
                "years": years,
                "today": today,
                "copy": copy,
            },
        )
    summary.seconds = time.perf_counter() - started
    return summary


# Demo users -----------------------------------------------------------------------------------------
def create_demo_users(*, root: OrgUnit | None = None) -> list[tuple[str, str, str]]:
    """One login per role on a generated province (the first root when none is given), all
    with the password DEMO_PASSWORD. Existing users are kept and given the grant.

    Returns (username, role, unit code or "national") for each.
    """
    from django.contrib.auth import get_user_model

    from cadrebook.accounts.roles import Role
    from cadrebook.accounts.services import role_grant, user_create

    root = root or OrgUnit.objects.get_first_root_node()
    if root is None:
        raise ValueError("generate the data first: there is no org unit")
    in_root = {"unit__path__startswith": root.path}
    uoc = (
        Member.objects.filter(
            full_name=FORCED_NAMES[0], status__in=(S.PROBATIONARY, S.FULL), **in_root
        )
        .order_by("id")
        .first()
        or Member.objects.filter(**in_root).order_by("id").first()
    )
    if uoc is None:
        raise ValueError("the province has no members")
    cell = uoc.unit
    commune = OrgUnit.objects.get(path=cell.path[: 2 * OrgUnit.steplen])
    plan: list[tuple[str, str, OrgUnit | None]] = [
        ("national", Role.ADMINISTRATOR, None),
        ("organizer", Role.ORGANIZER, root),
        ("clerk", Role.CLERK, cell),
        ("viewer", Role.VIEWER, commune),
        ("inspector", Role.INSPECTOR, root),
    ]
    user_model = get_user_model()
    result = []
    with transaction.atomic():
        for username, role, unit in plan:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_create(actor=None, username=username, password=DEMO_PASSWORD)
            if username == "national" and not user.is_staff:
                user_model.objects.filter(pk=user.pk).update(is_staff=True)
            role_grant(actor=None, user=user, role=role, unit=unit)
            result.append((username, str(role), unit.code if unit else "national"))
    return result
