"""Load benchmark: concurrent signed-in users against a running Cadrebook server.

Start a server first (the production one, `cadrebook serve`, or the development one,
`cadrebook serve --dev`), then:

    .venv/bin/python bench/load.py --base http://127.0.0.1:8000 --user admin --password demo \\
        --unit P01 --member 123 --users 50 --duration 300

Each simulated user signs in once (its own session) and then, for `--duration` seconds,
requests the pages of the mix one after another with no pause, on one keep-alive
connection: the member list of `--unit`, the dossier of `--member`, the unit page of `--unit`,
the dashboard of `--unit` and the statistics API of `--unit` for the last full year
(`--only list` runs one of them alone; `--page NAME=PATH`, repeated, runs other pages
instead, such as the floors of `bench/floor_app.py`). Prints, per page: requests, errors (any status but
200, or a failed connection), requests per second, p50/p95/p99 and the maximum in ms; and the
CPU time the server's processes (`--server-pattern`, matched in /proc against their command
lines; PostgreSQL's own processes apart) spent per request, read from /proc before and after.

The load generator runs on the same machine as the server and takes CPU from it: the figures
are what one 2-core machine serves with its own load beside it. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import statistics
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Results:
    """Latencies (seconds) and errors per page name, shared by the user threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_error: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies[name].append(seconds)
            else:
                self.errors[name] += 1
                self.first_error.setdefault(name, error)


class Session:
    """One user: a keep-alive connection and a session cookie."""

    def __init__(self, base: str) -> None:
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the server closed a kept-alive connection: once more
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data, response

    def sign_in(self, user: str, password: str) -> None:
        status, page, _r = self.request("GET", "/login/")
        match = CSRF_RE.search(page.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise SystemExit(f"sign-in page: HTTP {status}")
        form = urllib.parse.urlencode(
            {"username": user, "password": password, "csrfmiddlewaretoken": match.group(1)}
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://{self.host}:{self.port}/login/",
        }
        status, _page, _r = self.request("POST", "/login/", body=form, headers=headers)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"sign-in refused (HTTP {status}): check --user and --password")


def pages(args: argparse.Namespace) -> dict[str, str]:
    year = dt.date.today().year - 1
    unit = urllib.parse.quote(args.unit)
    mix = {
        "member list": f"/members/?unit={unit}",
        "dossier": f"/members/{args.member}/",
        "unit page": f"/units/{unit}/",
        "dashboard": f"/reports/?unit={unit}",
        "statistics API": f"/api/v1/reports/stats?unit={unit}&from={year}-01-01&to={year}-12-31",
    }
    if args.search:
        mix["name search"] = f"/api/v1/members?unit={unit}&q={urllib.parse.quote(args.search)}"
    if args.page:  # the pages given instead of the mix
        mix = dict(page.split("=", 1) for page in args.page)
    if args.only:
        mix = {name: path for name, path in mix.items() if name.startswith(args.only)}
    return mix


def cpu_seconds(pattern: str) -> tuple[float, float]:
    """CPU time (user + system) of the processes whose command line matches `pattern`, and of
    PostgreSQL's processes, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    ours = db = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        if cmd.startswith("postgres"):
            db += used
        elif re.search(pattern, cmd) and "bench/load.py" not in cmd:
            ours += used
    return ours, db


def user(args: argparse.Namespace, mix: dict[str, str], results: Results, stop: float) -> None:
    session = Session(args.base)
    session.sign_in(args.user, args.password)
    names = list(mix)
    turn = hash(threading.current_thread().name) % len(names)
    while time.perf_counter() < stop:
        name = names[turn % len(names)]
        turn += 1
        t0 = time.perf_counter()
        try:
            status, _body, _r = session.request("GET", mix[name])
            error = None if status == 200 else f"HTTP {status}"
        except (http.client.HTTPException, OSError) as exc:
            error = repr(exc)
        results.add(name, time.perf_counter() - t0, error)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--unit", required=True, help="the unit code of the pages")
    parser.add_argument("--member", required=True, type=int, help="the member of the dossier")
    parser.add_argument("--search", default="", help="add a name search through the API")
    parser.add_argument("--only", default="", help="one page of the mix (name prefix)")
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="request these pages instead of the mix (repeat; e.g. bench/floor_app.py's)",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--server-pattern", default=r"gunicorn|runserver")
    parser.add_argument("--label", default="", help="printed with the results")
    args = parser.parse_args()
    mix = pages(args)
    check = Session(args.base)
    check.sign_in(args.user, args.password)
    for name, path in mix.items():  # every page answers before the clock starts
        status, _body, _r = check.request("GET", path)
        if status != 200:
            raise SystemExit(f"{name} ({path}) answered HTTP {status}")
    results = Results()
    cpu_before = cpu_seconds(args.server_pattern)
    started = time.perf_counter()
    stop = started + args.duration
    threads = [
        threading.Thread(target=user, args=(args, mix, results, stop), name=f"user-{n}")
        for n in range(args.users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu_after = cpu_seconds(args.server_pattern)
    total = sum(len(v) for v in results.latencies.values()) + sum(results.errors.values())
    print(
        f"{args.label or args.base}: {args.users} users, {elapsed:.0f} s, {total:,} requests, "
        f"{total / elapsed:.1f} requests/s"
    )
    print("\n| page | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in mix:
        times = results.latencies.get(name, [])
        errors = results.errors.get(name, 0)
        if not times:
            print(f"| {name} | 0 | {errors} | | | | | |")
            continue
        print(
            f"| {name} | {len(times) + errors:,} | {errors} | {(len(times) + errors) / elapsed:.1f} | "
            f"{statistics.median(times) * 1000:.0f} | {percentile(times, 0.95) * 1000:.0f} | "
            f"{percentile(times, 0.99) * 1000:.0f} | {max(times) * 1000:.0f} |"
        )
    server_cpu = cpu_after[0] - cpu_before[0]
    db_cpu = cpu_after[1] - cpu_before[1]
    if total:
        print(
            f"\nserver CPU {server_cpu:.1f} s ({server_cpu / total * 1000:.2f} ms a request), "
            f"PostgreSQL CPU {db_cpu:.1f} s ({db_cpu / total * 1000:.2f} ms a request)"
        )
    for name, error in results.first_error.items():
        print(f"first error of {name}: {error}")


if __name__ == "__main__":
    main()
