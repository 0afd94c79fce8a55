"""Lists, filters, sorts and searches at scale (issue #7 item 2).

Against the production server (gunicorn as run.py starts it) on a generated dataset, signed in as
a province manager (region ``44``, the whole dataset in scope) and a city manager (广州 ``4401``,
about 15 % of it), each scenario is requested ``--repeat`` times one after the other (after one
warm-up request) and reported as median and p95; the anonymous public organization directory
(page and API) is then loaded with ``--concurrency`` connections for ``--duration`` seconds.

    python -m bench.run lists --db sqlite|postgres --size large [--repeat 10] [--concurrency 8]
                              [--duration 5] [--database-url URL] [--only SUBSTRING]

The managers do not come with the generated data: ``ensure_managers`` adds them (idempotent)
with the generator's password and a TOTP second factor, and they sign in through the login form
and the code page as a person would.
"""

import re
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.stats import percentile

MANAGERS = (
    # key, region code, mobile (the generator never hands out 139 numbers)
    ("province", "44", "13900000044"),
    ("city", "4401", "13900004401"),
)
TARGETS_MS = {"province": 300, "city": 150, "exact": 50, "directory": 100}


@dataclass
class Scenario:
    key: str
    path: str
    who: str  # province | city | anonymous
    kind: str = "list"  # list | exact | directory
    method: str = "GET"
    form: dict = field(default_factory=dict)  # POST body (the CSRF token is added)
    expect: str = ""  # text the answer must contain (an exact look-up must find its volunteer)


# --- the dataset's managers --------------------------------------------------------------------------


def ensure_managers() -> dict:
    """Region managers of the province and of its largest city, TOTP enabled. Returns
    ``{key: (user, totp_secret)}``."""
    import pyotp
    from django.db import transaction

    from bench.stages.people import PASSWORD
    from zhiyuan.accounts.models import RoleAssignment, User
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.services import TOTP_PURPOSE
    from zhiyuan.core.crypto import DecryptionError, seal, unseal

    out = {}
    with transaction.atomic():
        for key, code, mobile in MANAGERS:
            user = User.objects.filter(mobile=mobile).first()
            if user is None:
                user = User.objects.create_user(mobile, PASSWORD, display_name=f"bench {key} manager")
            try:
                unseal(user.totp_secret_sealed, purpose=TOTP_PURPOSE)
                fresh = not user.totp_enabled
            except DecryptionError:  # none yet, or sealed with another checkout's keys
                fresh = True
            if fresh:
                user.totp_secret_sealed = seal(pyotp.random_base32(), purpose=TOTP_PURPOSE)
                user.totp_enabled, user.totp_last_step = True, 0
            user.failed_logins, user.locked_until = 0, None
            user.save()
            if not RoleAssignment.objects.filter(user=user, role=Role.REGION_MANAGER, region_code=code, active=True).exists():
                RoleAssignment.objects.create(user=user, role=Role.REGION_MANAGER, region_code=code)
            out[key] = (user, unseal(user.totp_secret_sealed, purpose=TOTP_PURPOSE))
    return out


def login_manager(port: int, user, password: str, secret: str) -> str:
    """The login form, then the TOTP code page; returns the Cookie header of the session."""
    import pyotp
    from django.conf import settings

    from bench.run import _cookies, get

    jar: dict = {}

    def step(path, form=None):
        status, headers, html = get(port, path, {"Cookie": _cookie(jar)})
        jar.update(_cookies(headers))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if form is None:
            return status, headers
        body = {"csrfmiddlewaretoken": token.group(1) if token else "", **form}
        hdrs = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _cookie(jar),
            "Referer": f"http://127.0.0.1:{port}{path}",
        }
        status, headers, _ = get(port, path, hdrs, method="POST", body=urlencode(body))
        jar.update(_cookies(headers))
        return status, headers

    status, headers = step("/accounts/login/", {"mobile": user.mobile, "password": password})
    location = dict((k.lower(), v) for k, v in headers).get("location", "")
    if status not in (302, 303) or "totp" not in location:
        raise RuntimeError(f"login of {user.mobile}: expected the TOTP step, got {status} {location!r}")
    # A code is good once (replay guard): wait for the next step if this one was used already.
    now = int(time.time())
    if user.totp_last_step and user.totp_last_step >= now // 30:
        time.sleep(30 - now % 30 + 1)
    status, headers = step("/accounts/login/totp/", {"code": pyotp.TOTP(secret).now()})
    if status not in (302, 303) or settings.SESSION_COOKIE_NAME not in jar:
        raise RuntimeError(f"TOTP step of {user.mobile} failed: {status}")
    return _cookie(jar)


def _cookie(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# --- the scenarios -----------------------------------------------------------------------------------


def samples(code: str) -> dict:
    """Real values to search for inside ``code``: a volunteer (name, mobile, number, ID number),
    the largest active organization, a county, code-table values."""
    from django.db.models import Count

    from zhiyuan.organizations.models import Membership, Organization
    from zhiyuan.regions.models import Region
    from zhiyuan.volunteers import code_tables
    from zhiyuan.volunteers.documents import document_unseal
    from zhiyuan.volunteers.models import Volunteer

    # A volunteer near the middle of the id range: not the first row any index returns.
    in_scope = Volunteer.objects.processable().filter(region_code__startswith=code, status="active")
    last = in_scope.order_by("-id").values_list("id", flat=True).first() or 0
    v = in_scope.filter(id__lte=last // 2 or last).select_related("user").order_by("-id").first()
    if v is None:
        v = in_scope.select_related("user").first()
    if v is None:
        raise RuntimeError(f"no volunteer in {code}")
    county = Region.objects.filter(code__startswith=code, level=3).order_by("code").values_list("code", flat=True).first()
    org_ids = Organization.objects.filter(region_code__startswith=code, status="active").values_list("id", flat=True)[:200]
    biggest = (
        Membership.objects.filter(organization_id__in=list(org_ids), status="active")
        .values("organization_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return {
        "name": v.name,
        "mobile": v.user.mobile,
        "volunteer_no": v.volunteer_no,
        "detail": f"/volunteers/manage/{v.pk}/",  # on the page only when the look-up found them
        "id_type": v.id_type,
        "id_number": document_unseal(v.id_number_sealed),
        "county": county or code,
        "org": biggest["organization_id"] if biggest else None,
        "political_status": code_tables.political_status_choices()[0][0],
        "skill": code_tables.skill_choices()[0][0],
        "service_category": code_tables.service_category_choices()[0][0],
        "registered_from": v.registered_at.date().replace(day=1).isoformat(),
        "registered_to": v.registered_at.date().isoformat(),
    }


def scenarios(sample: dict[str, dict]) -> list[Scenario]:
    from zhiyuan.volunteers.lists import VOLUNTEERS

    sort_choices = VOLUNTEERS.sort_choices()

    out = []
    base = "/volunteers/manage/"
    for who in ("province", "city"):
        s = sample[who]
        q = [
            ("list", {}),
            ("filter status=suspended", {"status": "suspended"}),
            ("filter gender=2", {"gender": "2"}),
            ("filter age 18-22", {"age_min": 18, "age_max": 22}),
            ("filter political_status", {"political_status": s["political_status"]}),
            ("filter skill", {"skill": s["skill"]}),
            ("filter service_category", {"service_category": s["service_category"]}),
            ("filter registered month", {"registered_from": s["registered_from"], "registered_to": s["registered_to"]}),
            ("filter region=county", {"region": s["county"]}),
            *[(f"sort {value}", {"sort": value}) for value, _label in sort_choices],
            ("search name", {"q": s["name"]}),
            # Deep pages: the list pages by a keyset cursor now (core.lists), so a page after
            # millions of rows costs what the first does; a cursor walk is still to be added here.
        ]
        out += [Scenario(f"{who}: volunteers {label}", base + ("?" + urlencode(p) if p else ""), who) for label, p in q]
        out += [
            Scenario(f"{who}: exact mobile", base + "?" + urlencode({"q": s["mobile"]}), who, "exact", expect=s["detail"]),
            Scenario(
                f"{who}: exact volunteer number",
                base + "?" + urlencode({"q": s["volunteer_no"]}),
                who,
                "exact",
                expect=s["detail"],
            ),
            Scenario(
                f"{who}: exact ID number (POST)",
                base,
                who,
                "exact",
                "POST",
                {"id_type": s["id_type"], "id_number": s["id_number"]},
                expect=s["detail"],
            ),
            Scenario(f"{who}: organizations list", "/organizations/manage/", who),
            Scenario(f"{who}: stations list", "/stations/manage/", who),
            # stations and regions lists (stations/lists.py, regions/lists.py): keyset, region range
            Scenario(f"{who}: stations filter region=county", "/stations/manage/?" + urlencode({"region": s["county"]}), who),
            Scenario(f"{who}: stations API", "/api/v1/stations/points", who),
            Scenario(f"{who}: regions browse county", f"/regions/{s['county']}/", who),
            Scenario(f"{who}: regions search", "/regions/?" + urlencode({"q": "街道"}), who),
        ]
        if s["org"]:
            out.append(Scenario(f"{who}: organization members (detail page)", f"/organizations/manage/{s['org']}/", who))
    out += [
        Scenario("anonymous: directory page", "/organizations/directory/", "anonymous", "directory"),
        Scenario("anonymous: directory API", "/api/v1/organizations/public", "anonymous", "directory"),
        # keyset pages: no page number (a deep page costs what the first does); a region is a range
        Scenario("anonymous: directory API, one city", "/api/v1/organizations/public?region=4413", "anonymous", "directory"),
        Scenario("anonymous: stations public page", "/stations/", "anonymous"),
        Scenario("anonymous: stations public API", "/api/v1/stations/public/points", "anonymous"),
        Scenario("anonymous: regions API", "/api/v1/regions/?parent=44", "anonymous"),
    ]
    return out


def run_sequential(port: int, sc: Scenario, cookie: str, *, repeat: int) -> dict:
    """One warm-up, then ``repeat`` requests in a row: median, p95, max (ms)."""
    from bench.run import get

    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if sc.method == "POST":
        status, _h, html = get(port, sc.path, headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        body = urlencode({"csrfmiddlewaretoken": token.group(1) if token else "", **sc.form})
        csrf = re.search(r"csrftoken=([^;]+)", cookie or "")
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded",
                   "Referer": f"http://127.0.0.1:{port}{sc.path}"}  # fmt: skip
        if csrf is None:
            raise RuntimeError("no CSRF cookie for a POST scenario")
    lat, statuses = [], []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        status, _h, text = get(port, sc.path, headers, method=sc.method, body=body)
        elapsed = time.perf_counter() - t0
        statuses.append(status)
        if i:
            lat.append(elapsed * 1000)
    bad = [s for s in statuses if s != 200]
    if sc.expect and sc.expect not in text:
        bad.append("missing the expected result")
    return {
        "path": sc.path,
        "who": sc.who,
        "kind": sc.kind,
        "method": sc.method,
        "requests": len(lat),
        "errors": len(bad),
        "statuses": sorted(set(statuses)),
        "found": not sc.expect or sc.expect in text,
        "bytes": len(text),
        "median_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "max_ms": round(max(lat), 1),
        "target_ms": target_of(sc),
    }


def target_of(sc: Scenario) -> int:
    if sc.kind in ("exact", "directory"):
        return TARGETS_MS[sc.kind]
    return TARGETS_MS.get(sc.who, TARGETS_MS["province"])


def print_table(results: dict, loads: dict) -> None:
    print(f"\n{'scenario':<52}{'n':>4}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'target':>8}")
    for key, r in results.items():
        flag = "" if r["p95_ms"] < r["target_ms"] else "  over"
        print(f"{key:<52}{r['requests']:>4}{r['errors']:>5}{r['median_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['target_ms']:>8}{flag}")
    if loads:
        print(f"\n{'load (anonymous)':<52}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}")
        for key, r in loads.items():
            print(f"{key:<52}{r['concurrency']:>6}{r['rps']:>9,.1f}{r.get('median_ms', 0):>9.1f}{r.get('p99_ms', 0):>9.1f}"
                  f"{r['errors']:>7}")  # fmt: skip


def bench_lists(args) -> dict:
    from pathlib import Path

    from bench import dbs
    from bench import run as harness
    from bench.generate import setup_django
    from bench.http_load import load
    from bench.machine import database_info, load_average, machine_info, now_iso
    from bench.sizes import parse_size

    size = parse_size(args.size)
    if args.database_url:
        url = args.database_url
        setup_django(url)
    else:
        url = dbs.database_url(args.db, size.name)
        setup_django(url)
        if not dbs.exists(url):  # reused as it is otherwise: migrating it is enough for these reads
            harness.sh(harness.PY, "-m", "bench.generate", "--db", args.db, "--size", size.name, "--seed", args.seed,
                       "--fresh", env=harness.child_env(url))  # fmt: skip
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    call_command("migrate", interactive=False, verbosity=0)  # the server would; the samples need the schema
    from bench.stages.people import PASSWORD

    managers = ensure_managers()
    sample = {key: samples(code) for key, code, _m in MANAGERS}
    todo = [sc for sc in scenarios(sample) if not args.only or args.only in sc.key]
    load_before = load_average()
    log = dbs.BENCH_VAR / f"gunicorn-lists-{dbs.vendor_of(url)}-{size.name}.log"
    results, loads = {}, {}
    with harness.production_server(url, workers=args.workers, log=log) as (base, _proc, argv):
        port = int(base.rsplit(":", 1)[1])
        cookies = {"anonymous": ""}
        for key, (user, secret) in managers.items():
            user.refresh_from_db()
            cookies[key] = login_manager(port, user, PASSWORD, secret)
        for sc in todo:
            print(f"{sc.key} ...", file=sys.stderr, flush=True)
            results[sc.key] = run_sequential(port, sc, cookies[sc.who], repeat=args.repeat)
            if results[sc.key]["errors"]:
                raise RuntimeError(f"{sc.key}: status {results[sc.key]['statuses']} (see {log})")
        if args.duration > 0:
            for sc in todo:
                if sc.kind == "directory" and "page 50" not in sc.key:
                    print(f"load: {sc.key}, {args.concurrency} connections, {args.duration:g} s", file=sys.stderr, flush=True)
                    loads[sc.key] = load(base + sc.path, client=args.client, concurrency=args.concurrency,
                                         duration=args.duration, warmup=args.warmup)  # fmt: skip
                    loads[sc.key]["path"] = sc.path
    print_table(results, loads)
    body = {
        "benchmark": "lists",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before, "load_average_after": load_average()},
        "database": database_info(connection),
        "dataset": {"size": size.as_dict(), "seed": args.seed, "tables": harness._table_counts()},
        "server": {"argv": [Path(argv[0]).name, *argv[1:]], "workers": args.workers},
        "managers": {key: code for key, code, _m in MANAGERS},
        "sequential": {"repeat": args.repeat, "results": results},
        "load": {"concurrency": args.concurrency, "duration": args.duration, "client": args.client, "results": loads},
        "targets_ms": TARGETS_MS,
    }
    harness.write_result("lists", connection.vendor, size.name, body, args.json)
    return body


def add_parser(sub) -> None:
    p = sub.add_parser("lists", help="manager lists, filters, sorts, searches and the public directory at scale")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--size", default="smoke")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--database-url", help="an already generated database (default: the benchmark database of --size)")
    p.add_argument("--repeat", type=int, default=10, help="sequential requests per scenario after one warm-up")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=5, help="seconds of load on the directory (0: none)")
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--only", help="run the scenarios whose name contains this")
    p.add_argument("--json")
