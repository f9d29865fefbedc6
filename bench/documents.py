"""Documents register benchmark: a synthetic register of millions of documents, then the search
by words, a unit's register page and the counts by type, each against hand-written SQL.

    createdb -h 127.0.0.1 -U postgres cb_docs
    CADREBOOK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cb_docs \\
        .venv/bin/python manage.py migrate
    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/documents.py --documents 2000000
    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/documents.py --bench-only --runs 20

The generator (PostgreSQL only: COPY) uses the database's unit tree, or makes a small one
when it has none (the centre, 34 provinces, 100 commune committees each, 3 grassroots
committees under each commune). Documents are spread over the issuers by level (the
provinces' standing committees issue most: 35 %; the communes half; the grassroots the
rest), over five-year terms from 2010 to 2030, over the rule set's types by plausible
weights, numbered in each (issuer, term, counter) by date; titles and abstracts are drawn
from a list of topics and the issuer's name, a few in Khmer, a rare topic in about one
document in 40,000. The search keys are written by `documents.words`, as the services write
them. Status history rows are not made (nothing measured reads them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from bench.national import machine, timed_query  # noqa: E402
from cadrebook.accounts.services import role_grant  # noqa: E402
from cadrebook.core.normalize import normalize_name  # noqa: E402
from cadrebook.core.scoping import PATH_END  # noqa: E402
from cadrebook.documents.models import AREA_DEPTH, Document  # noqa: E402
from cadrebook.documents.selectors import counts_by_type, search_documents  # noqa: E402
from cadrebook.documents.word_keys import area_path  # noqa: E402
from cadrebook.documents.words import TOP, query_words, text_keys  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402

PAGE = 51  # the API's page and the one more that tells there is a next

# Type, printed code, counter, weight (a province's register: many plans, notices, reports).
TYPES = [
    ("resolution", "NQ", "NQ", 6),
    ("decision", "QĐ", "QĐ", 14),
    ("regulation", "QĐ", "QĐ", 2),
    ("directive", "CT", "CT", 1),
    ("conclusion", "KL", "KL", 3),
    ("guideline", "HD", "HD", 4),
    ("plan", "KH", "KH", 16),
    ("notice", "TB", "TB", 14),
    ("report", "BC", "BC", 20),
    ("program", "CTr", "CTr", 2),
    ("project", "ĐA", "ĐA", 1),
    ("official_letter", "CV", "CV", 14),
    ("minutes", "BB", "BB", 2),
    ("submission", "TTr", "TTr", 1),
]
TITLE_HEAD = {
    "resolution": "Nghị quyết",
    "decision": "Quyết định",
    "regulation": "Quy định",
    "directive": "Chỉ thị",
    "conclusion": "Kết luận",
    "guideline": "Hướng dẫn",
    "plan": "Kế hoạch",
    "notice": "Thông báo",
    "report": "Báo cáo",
    "program": "Chương trình",
    "project": "Đề án",
    "official_letter": "Công văn",
    "minutes": "Biên bản",
    "submission": "Tờ trình",
}
TOPICS = [
    "về công tác phát triển đảng viên",
    "về nâng cao chất lượng sinh hoạt chi bộ",
    "tổ chức Đại hội đại biểu Đảng bộ",
    "về công tác kiểm tra, giám sát",
    "về xây dựng, chỉnh đốn Đảng",
    "về phát triển kinh tế - xã hội",
    "về công tác cán bộ",
    "về chuyển đổi số",
    "thực hiện Nghị quyết 28-NQ/TW",
    "về xây dựng nông thôn mới",
    "về công tác dân vận",
    "về phòng, chống tham nhũng, lãng phí",
    "tổng kết công tác năm",
    "sơ kết 6 tháng đầu năm",
    "về học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "về công tác bảo vệ chính trị nội bộ",
    "về thi đua, khen thưởng",
    "về kỷ luật đảng viên",
    "về chuẩn y kết quả bầu cử",
    "về công tác quốc phòng, an ninh",
    "về phát triển giáo dục và đào tạo",
    "về bảo vệ môi trường",
    "về công tác tuyên giáo",
    "về thu, nộp đảng phí",
    "về tiếp nhận, chuyển sinh hoạt đảng",
    "về công nhận đảng viên chính thức",
    "về kết nạp đảng viên",
    "về khen thưởng tổ chức đảng trong sạch, vững mạnh",
    "về đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên",
    "về quy hoạch cán bộ nhiệm kỳ",
]
RARE_TOPIC = "về phát triển vùng trồng mắc-ca"  # about one document in 40,000
KHMER_TITLES = [
    "សេចក្តីសម្រេចស្តីពីការអភិវឌ្ឍន៍សមាជិកបក្ស",
    "ផែនការរៀបចំមហាសន្និបាតបក្ស",
    "របាយការណ៍សង្ខេបការងារប្រចាំឆ្នាំ",
]
SIGNERS = ["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Minh Tuấn", "Phạm Quốc Bảo", "Võ Thị Hồng"]
POSITIONS = ["Bí thư", "Phó Bí thư", "Phó Bí thư Thường trực", "T/M Ban Thường vụ"]
TERMS = [(2010, 2015), (2015, 2020), (2020, 2025), (2025, 2030)]
FIRST, LAST = dt.date(2010, 10, 16), dt.date(2026, 11, 30)


# The unit tree ---------------------------------------------------------------------------------
def _step(num: int) -> str:
    key = OrgUnit._int2str(num)
    return OrgUnit.alphabet[0] * (OrgUnit.steplen - len(key)) + key


def ensure_tree(provinces: int = 34, communes: int = 100, grassroots: int = 3) -> None:
    """A small tree when the database has none: the centre, provinces, communes, grassroots."""
    if OrgUnit.objects.exists():
        return
    rows: list[OrgUnit] = []

    def add(path: str, code: str, name: str, kind: str, children: int) -> None:
        rows.append(
            OrgUnit(
                path=path,
                depth=len(path) // OrgUnit.steplen,
                numchild=children,
                code=code,
                name=name,
                name_norm=normalize_name(name),
                kind=kind,
            )
        )

    add(_step(1), "TW", "Ban Chấp hành Trung ương", "central_committee", provinces)
    for p in range(1, provinces + 1):
        ppath = _step(1) + _step(p)
        add(ppath, f"T{p:02d}", f"Đảng bộ tỉnh {p:02d}", "province_committee", communes)
        for c in range(1, communes + 1):
            cpath = ppath + _step(c)
            add(
                cpath,
                f"T{p:02d}X{c:03d}",
                f"Đảng bộ xã {p:02d}-{c:03d}",
                "commune_committee",
                grassroots,
            )
            for g in range(1, grassroots + 1):
                add(
                    cpath + _step(g),
                    f"T{p:02d}X{c:03d}G{g}",
                    f"Đảng bộ cơ sở {p:02d}-{c:03d}-{g}",
                    "grassroots_committee",
                    0,
                )
    OrgUnit.objects.bulk_create(rows, batch_size=5000)


def issuers() -> list[tuple[int, str, str, str, float]]:
    """(id, name, printed code, path, share of the documents) for the units that issue."""
    units = list(
        OrgUnit.objects.filter(
            kind__in=["province_committee", "commune_committee", "grassroots_committee"]
        ).values_list("id", "name", "kind", "path")
    )
    share = {"province_committee": 0.35, "commune_committee": 0.50, "grassroots_committee": 0.15}
    code = {"province_committee": "TU", "commune_committee": "ĐU", "grassroots_committee": "ĐU"}
    by_kind: dict[str, int] = defaultdict(int)
    for _pk, _name, kind, _path in units:
        by_kind[kind] += 1
    return [
        (pk, name, code[kind], path, share[kind] / by_kind[kind]) for pk, name, kind, path in units
    ]


# The register ----------------------------------------------------------------------------------
def _esc(value: object) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _line(values: tuple[object, ...]) -> str:
    return "\t".join(_esc(v) for v in values) + "\n"


def generate(total: int, seed: int = 17) -> None:
    rng = random.Random(seed)
    units = issuers()
    now = dt.datetime.now(dt.UTC).isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM documents_term")
        term_id = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM documents_document")
        doc_id = cursor.fetchone()[0]
    raw = connection.connection
    t0 = time.perf_counter()
    term_lines: list[str] = []
    terms: dict[tuple[int, int], int] = {}
    for pk, _name, symbol, _path, _share in units:
        for start, end in TERMS:
            term_id += 1
            terms[(pk, start)] = term_id
            term_lines.append(
                _line(
                    (
                        term_id,
                        pk,
                        f"{start}-{end}",
                        dt.date(start, 10, 16),
                        dt.date(end, 10, 15) if end < 2030 else None,
                        "f",
                        symbol,
                        "f",
                        now,
                        None,
                    )
                )
            )
    with (
        raw.cursor() as cur,
        cur.copy(
            'COPY documents_term (id, unit_id, label, start, "end", congress, issuer_symbol, '
            "approximate, created_at, created_by_id) FROM STDIN"
        ) as copy,
    ):
        copy.write("".join(term_lines))
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE documents_documentword DROP CONSTRAINT IF EXISTS "
            "documents_documentword_pkey"
        )
        cursor.execute("DROP INDEX IF EXISTS document_word")
        cursor.execute("DROP INDEX IF EXISTS document_word_area")
    type_names = [t[0] for t in TYPES]
    type_weights = [t[3] for t in TYPES]
    type_info = {t[0]: t for t in TYPES}
    span = (LAST - FIRST).days
    done = 0
    owed = 0.0
    doc_cols = (
        "id, issuer_id, type, counter, term_id, number, date, symbol, symbol_legacy, title, "
        "abstract, signer_name, signer_position, confidentiality, status, language, "
        "symbol_norm, area, created_at, updated_at, created_by_id"
    )
    doc_lines: list[str] = []
    word_lines: list[str] = []
    khmer_units = {u[0] for u in units if u[3].startswith(_step(1) + _step(33))}
    # Each issuer's `area` (the id of its unit at AREA_DEPTH), as `word_keys.area_of` says.
    tops = dict(OrgUnit.objects.filter(depth__lte=AREA_DEPTH).values_list("path", "pk"))
    areas = {pk: tops[area_path(path)] for pk, _n, _s, path, _sh in units}
    # One issuer at a time: its documents by date, numbered per (term, counter).
    for pk, name, issuer_symbol, _path, share in units:
        owed += total * share
        count = min(int(owed), total - done)
        owed -= count
        if count <= 0:
            continue
        docs = sorted(
            (
                FIRST + dt.timedelta(days=rng.randrange(span)),
                rng.choices(type_names, type_weights)[0],
            )
            for _ in range(count)
        )
        numbers: dict[tuple[int, str], int] = defaultdict(int)
        place = name.replace("Đảng bộ ", "")
        for day, type_code in docs:
            start = max(s for s, _e in TERMS if dt.date(s, 10, 16) <= day)
            term = terms[(pk, start)]
            _t, code, counter, _w = type_info[type_code]
            numbers[(term, counter)] += 1
            number = numbers[(term, counter)]
            symbol = f"{number:02d}-{code}/{issuer_symbol}"
            roll = rng.random()
            if pk in khmer_units and roll < 0.05:
                title, language = rng.choice(KHMER_TITLES), "km"
            else:
                topic = RARE_TOPIC if roll < 1 / 40000 else rng.choice(TOPICS)
                title, language = f"{TITLE_HEAD[type_code]} {topic} {place}", "vi"
            abstract = ""
            if rng.random() < 0.2:
                abstract = (
                    f"Triển khai {rng.choice(TOPICS)} giai đoạn {start}-{start + 5} trên địa bàn"
                )
            conf = rng.random()
            confidentiality = "secret" if conf < 0.01 else "restricted" if conf < 0.04 else "none"
            st = rng.random()
            status = (
                "draft"
                if st < 0.01
                else "revoked"
                if st < 0.02
                else "replaced"
                if st < 0.04
                else "amended"
                if st < 0.06
                else "issued"
            )
            doc_id += 1
            doc_lines.append(
                _line(
                    (
                        doc_id,
                        pk,
                        type_code,
                        counter,
                        term,
                        number,
                        day,
                        symbol,
                        "f",
                        title,
                        abstract,
                        rng.choice(SIGNERS),
                        rng.choice(POSITIONS),
                        confidentiality,
                        status,
                        language,
                        normalize_name(symbol),
                        areas[pk],
                        now,
                        now,
                        None,
                    )
                )
            )
            keys = dict.fromkeys(text_keys(symbol), "t")
            for part in (title, abstract):
                for key in text_keys(part):
                    keys.setdefault(key, "f")
            area = areas[pk]
            word_lines.extend(f"{doc_id}\t{_esc(k)}\t{s}\t{area}\n" for k, s in keys.items())
        done += count
        if len(doc_lines) >= 50_000 or done >= total or pk == units[-1][0]:
            _copy(raw, doc_cols, doc_lines, word_lines)
            doc_lines, word_lines = [], []
        if done and (done // 100_000) != ((done - count) // 100_000):
            print(f"  {done:,} documents, {time.perf_counter() - t0:.0f} s", flush=True)
    _copy(raw, doc_cols, doc_lines, word_lines)
    raw.commit()
    print(f"documents written: {done:,} in {time.perf_counter() - t0:.0f} s; indexing…")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE documents_documentword ADD PRIMARY KEY (document_id, word)")
        cursor.execute("CREATE INDEX document_word ON documents_documentword (word, document_id)")
        cursor.execute(
            "CREATE INDEX document_word_area ON documents_documentword (area, word, document_id)"
        )
        for table in ("documents_term", "documents_document"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    raw.autocommit = True
    with raw.cursor() as cur:
        for table in (
            "orgs_orgunit",
            "documents_term",
            "documents_document",
            "documents_documentword",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"done in {time.perf_counter() - t0:.0f} s")


def _copy(raw: Any, doc_cols: str, doc_lines: list[str], word_lines: list[str]) -> None:
    if not doc_lines:
        return
    with raw.cursor() as cur:
        with cur.copy(f"COPY documents_document ({doc_cols}) FROM STDIN") as copy:
            copy.write("".join(doc_lines))
        with cur.copy(
            "COPY documents_documentword (document_id, word, symbol, area) FROM STDIN"
        ) as copy:
            copy.write("".join(word_lines))


# The benchmark ---------------------------------------------------------------------------------
QUERIES = [
    "nghị quyết",
    "kế hoạch",
    "đại hội",
    "28-nq",
    "phát triển đảng viên",
    "kiem tra giam sat",
    "chuyển đổi số",
    "nq/tu",
    "mắc-ca",
    "សមាជិកបក្ស",
    "zzz",
]


def _user(name: str, role: str, unit: OrgUnit) -> Any:
    user, created = get_user_model().objects.get_or_create(username=name)
    if created:
        role_grant(actor=None, user=user, role=role, unit=unit)
    return user


def _time(fn: Any, runs: int) -> tuple[float, float, float, Any]:
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times) * 1000, p95 * 1000, times[-1] * 1000, result


def _search_sql(q: str, path: str) -> tuple[str, list[object]]:
    words = query_words(q)
    exists = " ".join(
        "AND EXISTS (SELECT 1 FROM documents_documentword k WHERE k.document_id = d.id "
        "AND k.word >= %s AND k.word < %s)"
        for _w in words
    )
    params: list[object] = [path, path + PATH_END]
    for w in words:
        params += [w, w + TOP]
    return (
        "SELECT d.id FROM documents_document d JOIN orgs_orgunit u ON u.id = d.issuer_id "
        f"WHERE u.path >= %s AND u.path < %s {exists} ORDER BY d.date DESC, d.id DESC "
        f"LIMIT {PAGE}",
        params,
    )


def bench(runs: int) -> None:
    root = OrgUnit.objects.get(depth=1, kind="central_committee")
    province = OrgUnit.objects.filter(kind="province_committee").order_by("path")[1]
    commune = OrgUnit.objects.filter(kind="commune_committee", path__startswith=province.path)[7]
    national = _user("bench-docs-national", "organizer", root)
    viewer = _user("bench-docs-viewer", "viewer", province)
    print(machine())
    print(f"documents: {Document.objects.count():,}")
    print("\n| search | scope | p50 ms | p95 ms | max ms | found | SQL ms | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for q in QUERIES:
        for label, user, unit, within in (
            ("country", national, root, None),
            ("province, viewer", viewer, province, None),
            ("commune page", national, commune, commune),
        ):
            # As the API and the register page ask: a page (and one more), `limit`.
            p50, p95, top, rows = _time(
                lambda user=user, q=q, within=within: list(
                    search_documents(user, q=q, unit=within, limit=PAGE)[:PAGE]
                ),
                runs,
            )
            sql, params = _search_sql(q, unit.path)
            ref, _n = timed_query(sql, params)
            print(
                f"| {q} | {label} | {p50:.1f} | {p95:.1f} | {top:.1f} | {len(rows)} | "
                f"{ref * 1000:.1f} | {p95 / max(ref * 1000, 0.01):.1f} |"
            )
    print("\n| register page | p50 ms | p95 ms | max ms | rows | SQL ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, unit in (("province", province), ("commune", commune)):
        p50, p95, top, rows = _time(
            lambda unit=unit: list(search_documents(national, unit=unit)[:PAGE]), runs
        )
        sql = (
            "SELECT d.id, d.symbol, d.title FROM documents_document d "
            "JOIN orgs_orgunit u ON u.id = d.issuer_id WHERE u.path >= %s AND u.path < %s "
            f"ORDER BY d.date DESC, d.id DESC LIMIT {PAGE}"
        )
        ref, _n = timed_query(sql, [unit.path, unit.path + PATH_END])
        print(
            f"| {label} ({unit.code}) | {p50:.1f} | {p95:.1f} | {top:.1f} | {len(rows)} | "
            f"{ref * 1000:.1f} | {p95 / max(ref * 1000, 0.01):.1f} |"
        )
    print("\n| counts by type | p50 ms | p95 ms | max ms | documents | SQL ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for year in (2024, 2025):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        p50, p95, top, counts = _time(
            lambda start=start, end=end: counts_by_type([province], start, end), runs
        )
        sql = (
            "SELECT d.type, count(*) FROM documents_document d "
            "JOIN orgs_orgunit u ON u.id = d.issuer_id WHERE u.path >= %s AND u.path < %s "
            "AND d.date BETWEEN %s AND %s AND d.status <> 'draft' GROUP BY d.type"
        )
        ref, _n = timed_query(sql, [province.path, province.path + PATH_END, start, end])
        print(
            f"| {province.code} {year} | {p50:.1f} | {p95:.1f} | {top:.1f} | "
            f"{sum(counts[province.pk].values()):,} | {ref * 1000:.1f} | "
            f"{p95 / max(ref * 1000, 0.01):.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2_000_000)
    parser.add_argument("--bench-only", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only (COPY)")
    if not args.bench_only:
        ensure_tree()
        generate(args.documents)
    bench(args.runs)


if __name__ == "__main__":
    main()
