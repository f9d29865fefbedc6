"""The generated unit tree: one province (or the central committee over provinces), its
communes, their grassroots committees and cells, with names, codes and founding dates.

Units are laid out as rows with their treebeard paths, depths and child counts, and one open
placement each, for the bulk writers; with them comes what member generation needs to know
(which units hold members, how big they are, which commune they are in). Nothing here touches
the database.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cadrebook.core.normalize import normalize_name
from cadrebook.orgs.models import OrgUnit

# fmt: off
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

# The columns of the rows, in the bulk writers' order.
UNIT_COLUMNS = (
    "id", "path", "depth", "numchild", "code", "name", "name_norm", "kind", "founded_on",
    "dissolved_on",
)
PLACEMENT_COLUMNS = (
    "unit_id", "parent_id", "depth", "valid_from", "valid_to", "document",
    "anc1_id", "anc2_id", "anc3_id", "anc4_id", "anc5_id", "anc6_id",
)
# fmt: on


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
