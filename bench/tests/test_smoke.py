"""The benchmarks at smoke size, in the default test suite so they never rot: the generator into the
test database (COPY on PostgreSQL, batched inserts on SQLite), the statistics, the pure-Python
load client, and the whole HTTP harness against a real gunicorn."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

import pytest
from stdnum.cn import ric

from bench import idcards
from bench.sizes import parse_size
from bench.stats import compare, percentile, summarize

ROOT = Path(__file__).resolve().parents[2]


# --- generator ---------------------------------------------------------------------------------


def _generated():
    from zhiyuan.core.crypto import blind_index, unseal
    from zhiyuan.volunteers.models import Volunteer

    rows = []
    for v in Volunteer.objects.select_related("user").order_by("id"):
        number = unseal(v.id_number_sealed, purpose="volunteers.id_number")
        assert v.id_number_index == blind_index(f"{v.id_type}:{number}", purpose="volunteers.id_number")
        rows.append((v, number))
    return rows


@pytest.mark.django_db
def test_generator_smoke_fills_every_existing_model_realistically():
    from bench.generate import generate
    from zhiyuan.accounts.models import User

    users_before = User.objects.count()
    report = generate(size=parse_size("smoke"), seed=7, province="44", quiet=True)

    statuses = {s["stage"]: s["status"] for s in report["stages"]}
    assert "missing" not in statuses.values(), f"a model family has no generator stage: {report['stages']}"
    assert statuses["people"] == "done"
    assert report["tables"]["volunteers.Volunteer"] == 200
    assert User.objects.count() == users_before + 200

    rows = _generated()
    assert len(rows) == 200
    numbers = [n for _, n in rows]
    assert len(set(numbers)) == 200
    for v, number in rows:
        # checksum-valid GB 11643 number agreeing with the profile it was generated with
        assert idcards.is_valid(number) and ric.calc_check_digit(number) == number[-1]
        assert number[6:14] == v.birth_date.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if v.gender == "1" else 0)
        assert number not in v.id_number_sealed and v.id_number_masked == number[:4] + "*" * 10 + number[-4:]
        assert v.region_code.startswith("44") and len(v.region_code) == 12
        assert v.user.display_name == v.name
        assert 14 <= (dt.date(2026, 11, 22) - v.birth_date).days // 365 <= 81
    # one password for everyone, hashed once
    hashes = {v.user.password for v, _ in rows}
    assert len(hashes) == 1 and rows[0][0].user.check_password("Bench#2026zy")
    assert len({v.volunteer_no for v, _ in rows}) == 200
    try:
        from zhiyuan.volunteers.numbers import volunteer_no_is_valid
    except ImportError:
        pass
    else:
        assert all(volunteer_no_is_valid(v.volunteer_no) for v, _ in rows)
    _assert_related_rows_like_registration([v for v, _ in rows])
    assert len({v.user.mobile for v, _ in rows}) == 200
    # proportions: ~55 % women, Guangzhou + Shenzhen the biggest cities, most people local
    women = sum(v.gender == "2" for v, _ in rows) / 200
    assert 0.4 < women < 0.7
    cities = Counter(v.region_code[:4] for v, _ in rows)
    assert cities["4401"] + cities["4403"] > cities["4453"] + cities["4404"]
    assert sum(n[:6] == v.region_code[:6] for v, n in rows) > 100
    volunteers = {v.id: v for v, _ in rows}
    from bench.stages import get_model

    if get_model("organizations.Organization") is not None:
        assert statuses["organizations"] == "done"
        assert report["tables"]["organizations.Organization"] == parse_size("smoke").organizations
        _assert_organizations_like_the_services(volunteers)
    if get_model("stations.ServicePoint") is not None:
        assert statuses["stations"] == "done"
        assert report["tables"]["stations.ServicePoint"] == parse_size("smoke").service_points
        _assert_service_points_like_the_network(volunteers)
    if get_model("insurance.InsurancePolicy") is not None:
        assert statuses["insurance"] == "done"
        _assert_insurance_like_the_services()
    _assert_every_domain_table_is_filled()


# Tables the generator leaves empty on purpose: written by the running system (audit, sessions,
# tasks, import jobs), or reference data filled elsewhere. A new domain model must either get a
# generator stage or be named here with its reason.
NOT_GENERATED = {
    "core.AuditEntry": "written by every service call; the generator bypasses services",
    "core.ChainHead": "the head row of each partition of each hash chain",
    "accounts.ApiToken": "created by people, none at scale",
    "accounts.RecoveryCode": "runtime: a code per password reset, short-lived",
    "accounts.TotpResetRequest": "runtime: rare manager requests",
    "volunteers.ProfileCorrectionRequest": "rare, no load",
    "volunteers.ImportJob": "runtime (VOL-10 uploads), measured by bench.run import",
    "volunteers.ImportJobError": "runtime",
    "regions.RegionPopulation": "reference data imported from statistics",
    "core.WorkerHeartbeat": "runtime: one row per running background worker",
    "core.ExportJob": "runtime (background exports), measured by bench.run exports",
    "demo.DemoSeed": "written by manage.py demo_seed, not by the generator",
    "core.Notification": "runtime: one in-app notice per event told to a user",
    "activities.ActivityRating": "runtime: volunteers rate activities after taking part (no stage yet)",
    "activities.VolunteerRating": "runtime: organizers rate volunteers after a shift (no stage yet)",
    "activities.BeneficiaryFeedback": "runtime: public feedback forms, rare",
    "core.NotificationDelivery": "runtime: one row per channel of a delivered notice",
    "core.NotificationPreference": "runtime: only people who change their notification settings",
    "records.HonourGrant": "runtime: honour-hour proposals awaiting a second person (approved: ledger honour entries)",
    "activities.CheckEvent": "runtime: the idempotency log of check-in requests (the attendance rows are generated)",
    "activities.ProjectStatusChange": "not yet: projects carry their status and review, not its history",
    "records.CorrectionRequest": "not yet: corrections are generated as compensating entries without a request",
}


def _assert_insurance_like_the_services():
    """Policies validate as the service would; listed people are active members of the holder,
    indexed like their volunteer; the kept counts agree; the cover check answers on the data."""
    from zhiyuan.insurance.coverage import insurance_covered_many
    from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson
    from zhiyuan.organizations.models import Membership, Organization

    policies = list(InsurancePolicy.objects.all())
    assert policies and all(p.ends_on > p.starts_on and p.sum_insured > 0 for p in policies)
    assert len({(p.insurer, p.policy_no) for p in policies}) == len(policies)
    people = list(InsuredPerson.objects.select_related("volunteer", "policy"))
    assert people
    for person in people:
        assert person.id_number_index == person.volunteer.id_number_index and person.name == person.volunteer.name
        assert person.policy.cover == "listed"
        assert Membership.objects.filter(
            organization_id=person.policy.holder_id, volunteer_id=person.volunteer_id, status="active"
        ).exists()
    for p in policies:
        assert p.insured_count == sum(1 for x in people if x.policy_id == p.pk)
    org = Organization.objects.get(pk=people[0].policy.holder_id)
    answers = insurance_covered_many(volunteers=[people[0].volunteer], organization=org, on=people[0].policy.starts_on)
    assert answers[people[0].volunteer_id].covered


def _assert_every_domain_table_is_filled():
    from django.apps import apps

    empty = sorted(
        m._meta.label
        for m in apps.get_models()
        if m.__module__.startswith("zhiyuan.") and not m._meta.proxy and m._meta.managed and not m.objects.exists()
    )
    unexplained = [label for label in empty if label not in NOT_GENERATED]
    assert not unexplained, f"tables the generator leaves empty without a reason in NOT_GENERATED: {unexplained}"
    if apps.is_installed("zhiyuan.organizations"):
        from zhiyuan.organizations.models import Organization, OrganizationCategory
        from zhiyuan.volunteers.codes import ServiceCategory

        assert set(OrganizationCategory.objects.values_list("code", flat=True)) <= set(ServiceCategory.values)
        per_org = Counter(OrganizationCategory.objects.values_list("organization_id", flat=True))
        assert set(per_org) == set(Organization.objects.values_list("id", flat=True))
        assert set(per_org.values()) <= {1, 2, 3}


def _assert_related_rows_like_registration(volunteers):
    """What registration writes beside the volunteer, where those tables exist."""
    from bench.stages import get_model

    ids = [v.id for v in volunteers]
    minors = {v.id for v in volunteers if (dt.date(2026, 11, 22) - v.birth_date).days < 18 * 365}
    Consent = get_model("volunteers.ConsentRecord", migrated=True)
    if Consent is not None:
        kinds = Counter(Consent.objects.filter(volunteer_id__in=ids).values_list("kind", flat=True))
        assert kinds["privacy"] == kinds["oath"] == len(ids)
        assert kinds["guardian"] == len(minors) > 0
    Status = get_model("volunteers.VolunteerStatusChange", migrated=True)
    if Status is not None:
        first = Status.objects.filter(volunteer_id__in=ids, from_status="")
        assert first.count() == len(ids)
    Counter_ = get_model("volunteers.VolunteerNumberCounter", migrated=True)
    if Counter_ is not None:
        from zhiyuan.volunteers.numbers import serial_of

        assert Counter_.objects.get(pk=1).last_serial >= max(serial_of(v.volunteer_no) for v in volunteers)


def _region_levels(codes) -> dict[str, int]:
    from zhiyuan.regions.models import Region

    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "level"))


def _assert_organizations_like_the_services(volunteers):
    """Every kind (ORG-1), valid USCCs (ORG-2), the status history (ORG-3), memberships of
    generated volunteers with admins bound by role assignments (ORG-4), real regions."""
    from stdnum.cn import uscc

    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.organizations.models import LEGAL_ENTITY_KINDS, Kind, Membership, Organization
    from zhiyuan.organizations.services import uscc_clean
    from zhiyuan.organizations.services.common import PHONE_RE
    from zhiyuan.regions.codes import region_prefix

    orgs = {o.id: o for o in Organization.objects.prefetch_related("status_changes")}
    kinds = Counter(o.kind for o in orgs.values())
    assert set(kinds) == set(Kind.values) and kinds.most_common(1)[0][0] == "team"
    statuses = Counter(o.status for o in orgs.values())
    assert statuses["active"] >= 0.6 * len(orgs)
    levels = _region_levels(o.region_code for o in orgs.values())
    codes = [o.uscc for o in orgs.values() if o.uscc]
    assert len(codes) == len(set(codes)) == sum(k in LEGAL_ENTITY_KINDS for k in (o.kind for o in orgs.values()))
    for o in orgs.values():
        o.full_clean()  # choices, lengths, check and unique constraints
        assert o.region_code in levels and o.region_code.startswith("44"), o.region_code
        assert PHONE_RE.fullmatch(o.contact_phone) and o.contact_name and o.address and o.name
        if o.kind in LEGAL_ENTITY_KINDS:
            assert uscc.is_valid(o.uscc) and uscc_clean(o.uscc) == o.uscc
            assert o.uscc[0] == "5" and o.uscc[8:10] == "MJ" and o.region_code.startswith(o.uscc[2:8].rstrip("0")[:2])
            assert not (o.sponsor_type or o.sponsor_name or o.team_category or o.parent_id)
        else:
            assert o.uscc == "" and o.sponsor_type and o.sponsor_name and o.team_category
        if o.parent_id:
            parent = orgs[o.parent_id]
            assert parent.kind != "team" and parent.status == "active"
            assert o.region_code.startswith(region_prefix(parent.region_code)) and o.created_at >= parent.reviewed_at
        history = sorted(o.status_changes.all(), key=lambda c: (c.at, c.id))
        assert (history[0].from_status, history[0].to_status) == ("", "pending")
        assert history[0].actor_id == o.created_by_id and history[0].at == o.created_at
        assert all(a.to_status == b.from_status and a.at <= b.at for a, b in pairwise(history))
        assert history[-1].to_status == o.status and o.created_by_id is not None
        assert (o.reviewed_at is None) == (o.status == "pending")
        assert o.updated_at == history[-1].at

    members = list(Membership.objects.all())
    assert {m.volunteer_id for m in members} <= set(volunteers)
    per_volunteer = Counter(m.volunteer_id for m in members)
    spread = Counter(per_volunteer.get(vid, 0) for vid in volunteers)
    assert spread[1] > spread[2] > spread[3] and spread[0] > 0.1 * len(volunteers)
    by_status = Counter(m.status for m in members)
    assert by_status["active"] > 0.7 * len(members)
    roles = Counter(m.role for m in members if m.status == "active")
    assert roles["member"] > roles["backbone"] > 0 and roles["admin"] > 0
    open_pairs = [(m.volunteer_id, m.organization_id) for m in members if m.status in Membership.OPEN]
    assert len(open_pairs) == len(set(open_pairs))
    from zhiyuan.organizations.counts import member_counts_rebuild

    assert member_counts_rebuild(fix=False) == []  # the stored public member counts are right
    assert sum(o.member_count for o in orgs.values()) > 0
    admins = {(a.object_id, a.user_id): a for a in RoleAssignment.objects.filter(role="org_admin")}
    for m in members:
        m.full_clean()
        org, volunteer = orgs[m.organization_id], volunteers[m.volunteer_id]
        assert org.status in ("active", "suspended", "deregistered")
        assert m.created_at >= volunteer.registered_at and m.created_at >= org.reviewed_at
        if m.joined_at:
            assert m.joined_at >= m.created_at
        if m.ended_at:
            assert m.ended_at >= (m.joined_at or m.created_at)
        if org.status == "deregistered":
            assert m.status not in Membership.OPEN
        if m.role == "admin":
            assignment = admins[(org.id, volunteer.user_id)]
            assert assignment.active == (m.status == "active") and assignment.region_code == org.region_code
    for o in orgs.values():
        if o.status in ("active", "suspended"):  # the applicant became admin on approval
            assert (o.id, o.created_by_id) in admins and admins[(o.id, o.created_by_id)].active


def _assert_service_points_like_the_network(volunteers):
    """STA-1 / REG-4: centre → institute → station with the levels and regions the stations app
    allows, six-haves and functions, station admins who are generated volunteers."""
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.regions.codes import region_prefix
    from zhiyuan.stations.models import PARENT_LEVELS, REGION_LEVELS, Function, ServicePoint

    points = {p.id: p for p in ServicePoint.objects.all()}
    levels = Counter(p.network_level for p in points.values())
    assert levels["centre"] >= 1 and levels["institute"] >= 1 and levels["station"] >= 1
    region_level = _region_levels(p.region_code for p in points.values())
    for p in points.values():
        p.full_clean()
        assert region_level[p.region_code] in REGION_LEVELS[p.network_level] and p.region_code.startswith("44")
        if p.network_level in ("institute", "station"):
            assert p.parent_id is not None
        if p.parent_id:
            parent = points[p.parent_id]
            assert parent.network_level in PARENT_LEVELS[p.network_level] and parent.status == "active"
            assert p.region_code.startswith(region_prefix(parent.region_code)) and p.created_at >= parent.created_at
        assert p.functions and set(p.functions) <= set(Function.values)
        assert (p.latitude is None) == (p.longitude is None)
        assert (p.closed_at is None) == (p.status == "active")
    network = [p.six_haves_count for p in points.values() if p.network_level in ("centre", "institute")]
    assert sum(network) / len(network) >= 4
    users = {v.user_id for v in volunteers.values()}
    for a in RoleAssignment.objects.filter(role="station_admin"):
        assert a.object_id in points and a.user_id in users and a.region_code == points[a.object_id].region_code


def test_uscc_and_organization_codes_carry_their_check_characters():
    from stdnum.cn import uscc as stdnum_uscc

    from bench.stages.organizations import org_code, org_code_check, uscc

    assert org_code_check("60003734") == "1"  # the organization code inside 91110000600037341L
    codes = {uscc("2", "441302", serial) for serial in range(1, 3001)}
    assert len(codes) == 3000 and all(stdnum_uscc.is_valid(c) for c in codes)
    assert all(org_code_check(org_code(s)[:8]) == org_code(s)[8] for s in range(1, 300))


@pytest.mark.django_db
def test_generator_people_in_blocks(monkeypatch):
    """The people stage in blocks (one random stream and transaction each, ``medium`` and ``large``
    are cut in blocks of 50,000 for the producer processes), here four blocks of 50 walked one
    after the other: ids follow the row number, ID numbers, mobiles and volunteer numbers stay
    unique, the related rows are there, and the same seed gives the same people again."""
    from django.db import transaction

    from bench.generate import generate
    from bench.stages import people

    monkeypatch.setattr(people, "BLOCK", 50)

    def run():
        with transaction.atomic():
            generate(size=parse_size("smoke"), seed=5, quiet=True)
            rows = _generated()
            out = [(v.pk - rows[0][0].pk, v.user_id - rows[0][0].user_id, v.name, v.user.mobile, v.volunteer_no, n)
                   for v, n in rows]  # fmt: skip
            _assert_related_rows_like_registration([v for v, _ in rows])
            transaction.set_rollback(True)
        return out

    first = run()
    assert [r[0] for r in first] == [r[1] for r in first] == list(range(200))
    for column in (3, 4, 5):
        assert len({r[column] for r in first}) == 200
    assert run() == first


@pytest.mark.django_db
def test_generator_is_reproducible_for_a_seed():
    from django.db import transaction

    from bench.generate import generate

    def run(seed):
        with transaction.atomic():  # a savepoint: each run starts from the same empty tables
            generate(size=parse_size("50"), seed=seed, quiet=True)
            rows = [(v.name, v.birth_date, v.region_code, v.gender, v.user.mobile, v.volunteer_no, n) for v, n in _generated()]
            others = _organization_rows()
            transaction.set_rollback(True)
        return rows, others

    first = run(3)
    assert len(first[0]) == 50 and len(first[1]) > 12
    assert run(3) == first
    other = run(4)
    assert other[0] != first[0] and other[1] != first[1]


def _organization_rows() -> list:
    from bench.stages import get_model

    rows = []
    Organization = get_model("organizations.Organization", migrated=True)
    if Organization is not None:
        rows += list(Organization.objects.order_by("id").values_list("name", "kind", "uscc", "region_code", "status"))
        rows += list(
            get_model("organizations.Membership")
            .objects.order_by("id")
            .values_list("volunteer__volunteer_no", "organization__name", "role", "status", "joined_at")
        )
    ServicePoint = get_model("stations.ServicePoint", migrated=True)
    if ServicePoint is not None:
        rows += list(ServicePoint.objects.order_by("id").values_list("name", "region_code", "network_level", "kind"))
    return rows


@pytest.mark.django_db
def test_generator_refuses_a_database_that_already_has_volunteers():
    from bench.generate import generate

    generate(size=parse_size("20"), quiet=True)
    report = generate(size=parse_size("20"), quiet=True)
    for stage in report["stages"]:
        if stage["stage"] in ("people", "organizations", "stations"):
            assert stage["status"] == "skipped" and "already" in stage["message"], stage


def test_sizes():
    assert parse_size("large").volunteers == 1_000_000
    assert parse_size("large").ledger_entries == 10_000_000
    assert parse_size("2.5e5").volunteers == 250_000
    assert parse_size("large").organizations == 10_000 and parse_size("large").service_points == 5_000
    assert parse_size("smoke").organizations == 12 and parse_size("smoke").service_points == 6
    with pytest.raises(ValueError):
        parse_size("huge")
    with pytest.raises(ValueError):
        parse_size("0")


def test_resident_id_checksum_matches_python_stdnum():
    number = idcards.resident_id("441302", dt.date(1990, 1, 1), 123)
    assert ric.is_valid(number)
    assert not idcards.is_valid(number[:-1] + ("0" if number[-1] != "0" else "1"))


# --- statistics --------------------------------------------------------------------------------


def test_percentile_interpolates_between_ranks():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1 and percentile(values, 100) == 100
    assert percentile([5.0], 99) == 5.0
    assert percentile([3, 1, 2], 50) == 2  # unsorted input
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize_and_compare():
    lat = [0.001] * 98 + [0.010, 0.100]
    s = summarize(lat, seconds=2.0, errors=3)
    assert s["requests"] == 100 and s["errors"] == 3 and s["rps"] == 50.0
    assert s["median_ms"] == 1.0 and s["max_ms"] == 100.0
    assert 10.0 < s["p99_ms"] < 100.0
    ping, page = {"rps": 2000.0, "median_ms": 2.0, "p99_ms": 8.0}, {"rps": 500.0, "median_ms": 6.0, "p99_ms": 40.0}
    assert compare(page, ping) == {"throughput": 0.25, "median_latency": 3.0, "p99_latency": 5.0}
    assert compare({"rps": 0}, ping)["throughput"] is None


# --- load client ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 500 if self.path == "/fail" else 200
        body = b'{"status": "ok"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_python_load_client_counts_requests_and_errors():
    from bench.http_load import python_load

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        ok = python_load(base + "/ping", concurrency=2, duration=0.5, warmup=0.1, processes=1)
        assert ok["requests"] > 10 and ok["errors"] == 0
        assert 0 < ok["median_ms"] <= ok["p99_ms"] <= ok["max_ms"]
        bad = python_load(base + "/fail", concurrency=1, duration=0.3, warmup=0, processes=1)
        assert bad["requests"] == 0 and bad["errors"] > 0
    finally:
        server.shutdown()


# --- the whole harness -----------------------------------------------------------------------------


def test_http_harness_end_to_end_on_smoke_size(tmp_path):
    """python -m bench.run http at smoke size: generated SQLite database, the production server
    (gunicorn, 2 workers), both scenarios, a JSON result with machine, versions and dataset."""
    out = tmp_path / "http.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["ZHIYUAN_VAR_DIR"] = str(tmp_path / "var")
    env["ZHIYUAN_BENCH_RESULTS"] = str(tmp_path / "results")
    cmd = [sys.executable, "-m", "bench.run", "http", "--db", "sqlite", "--size", "smoke", "--duration", "1",
           "--warmup", "0.3", "--concurrency", "2", "--client", "python", "--json", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == "http"
    assert result["dataset"]["size"]["volunteers"] == 200
    assert result["dataset"]["tables"]["volunteers.Volunteer"] == 200
    assert result["database"]["vendor"] == "sqlite"
    assert result["machine"]["cpu_count"] and result["machine"]["django"]
    assert result["server"]["argv"][:2] == ["gunicorn", "zhiyuan.wsgi:application"]
    for key in ("ping", "page"):
        r = result["results"][key]
        assert r["requests"] > 0 and r["errors"] == 0, r
    assert result["ratios"]["page/ping"]["throughput"] > 0
    assert "authenticated page / ping" in proc.stdout
    assert [p.name[:22] for p in (tmp_path / "results").iterdir()] == ["generate-sqlite-smoke-"]


def test_prefetch_keeps_order_and_hands_errors_to_the_caller():
    from bench.pipeline import prefetch

    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def broken():
        yield 1
        raise RuntimeError("generator failed")

    got = []
    with pytest.raises(RuntimeError, match="generator failed"):
        for item in prefetch(broken()):
            got.append(item)
    assert got == [1]


# --- import (VOL-10) -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_benchmark_smoke(platform_admin):
    """bench.run import at a tiny size: generated rows are checksum-valid and all imported."""
    from bench.import_bench import measure
    from zhiyuan.volunteers.models import Volunteer

    figures = measure(actor=platform_admin, rows=30, seed=2)
    assert figures["created"] == 30 and figures["rows_per_second"] > 0
    assert Volunteer.objects.filter(region_code__startswith="4413").count() == 30


def test_import_benchmark_rows_are_unique_and_valid():
    from bench.import_bench import make_rows

    rows = make_rows(3000, seed=1, towns=["441302001000"])
    numbers = [r[2] for r in rows]
    assert len(set(numbers)) == 3000 and len({r[6] for r in rows}) == 3000
    assert all(idcards.is_valid(n) for n in numbers[:50])


# --- lists at scale (issue #7) --------------------------------------------------------------------------


def test_lists_benchmark_end_to_end_on_smoke_size(tmp_path):
    """python -m bench.run lists at smoke size: the managers are added and sign in with their second
    factor, every scenario answers 200 (exact look-ups find their volunteer), the directory is loaded."""
    out = tmp_path / "lists.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["ZHIYUAN_VAR_DIR"] = str(tmp_path / "var")
    env["ZHIYUAN_BENCH_RESULTS"] = str(tmp_path / "results")
    cmd = [sys.executable, "-m", "bench.run", "lists", "--db", "sqlite", "--size", "smoke", "--repeat", "1",
           "--duration", "0.5", "--warmup", "0.2", "--concurrency", "2", "--client", "python", "--json", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    seq = result["sequential"]["results"]
    assert {r["who"] for r in seq.values()} == {"province", "city", "anonymous"}
    assert all(r["errors"] == 0 and r["found"] for r in seq.values())
    exact = [k for k, r in seq.items() if r["kind"] == "exact"]
    assert len(exact) == 6 and any("ID number" in k for k in exact)
    assert set(result["load"]["results"]) == {
        "anonymous: directory page",
        "anonymous: directory API",
        "anonymous: directory API, one city",
    }
    assert all(r["errors"] == 0 and "rps" in r for r in result["load"]["results"].values())
    assert "p95 ms" in proc.stdout
