"""The volunteer list's export through the API and the page (issue #7 item 3): scoped by the
export action, masked, formula-safe, capped (over the cap a background job, not a cut-off
file), audited; documented in the OpenAPI with the xlsx content type."""

import io
import json

import pytest
from django.db.models import Q
from openpyxl import load_workbook

from zhiyuan.accounts import scopes
from zhiyuan.accounts.roles import Role
from zhiyuan.core.models import AuditEntry, ExportJob
from zhiyuan.testing import make_user
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/volunteers/export.xlsx"
PAGE_EXPORT = "/volunteers/manage/export.xlsx"


def content(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


def rows_of(r) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content(r))).active.iter_rows(values_only=True))


def test_api_export_is_scoped_masked_formula_safe_and_audited(client, county_manager, volunteer, huiyang_volunteer):
    Volunteer.objects.filter(pk=volunteer.pk).update(name="=HYPERLINK(1)")  # e.g. a legacy row
    client.force_login(county_manager)
    r = client.get(EXPORT, {"status": "active"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert r.streaming
    rows = rows_of(r)
    assert rows[0][:4] == ("志愿者编号", "姓名", "证件类型", "证件号码")
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(1)"]
    flat = json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)
    assert documents.document_unseal(volunteer.id_number_sealed) not in flat and volunteer.user.mobile not in flat
    assert volunteer.id_number_masked in flat
    assert huiyang_volunteer.name not in flat  # another county
    entry = AuditEntry.objects.get(action="volunteer.export")
    assert entry.actor_id == county_manager.pk and entry.detail["filters"] == {"status": "active", "sort": "-registered_at"}


def test_api_export_refuses_roles_without_the_export_scope(client, volunteer, plain_user):
    admin = make_user("13900000077", "组织管理员", role=Role.ORG_ADMIN, object_id=1)

    def provider(actor):  # an organization admin sees a member (view), and may not export
        return Q(pk=volunteer.pk) if actor.pk == admin.pk else None

    scopes.register_scope_provider("volunteers.Volunteer", provider)
    try:
        client.force_login(admin)
        assert client.get("/api/v1/volunteers").status_code == 200
        r = client.get(EXPORT)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert client.get(PAGE_EXPORT).status_code == 403
        r = client.post("/api/v1/exports/jobs", {"list": "volunteer"}, content_type="application/json")
        assert r.status_code == 403 and not ExportJob.objects.exists()
    finally:
        scopes.unregister_scope_provider("volunteers.Volunteer", provider)
    client.force_login(plain_user)
    assert client.get(EXPORT).status_code == 403
    client.logout()
    assert client.get(EXPORT).status_code == 401
    assert not AuditEntry.objects.filter(action="volunteer.export").exists()


def test_api_export_bad_filter_is_422(client, county_manager, volunteer):
    client.force_login(county_manager)
    for params in ({"gender": "x"}, {"registered_from": "0"}, {"age_min": "abc"}):
        r = client.get(EXPORT, params)
        assert r.status_code == 422, params
    assert not AuditEntry.objects.filter(action="volunteer.export").exists()


def test_over_the_cap_the_api_says_409_and_the_page_offers_a_background_job(
    client, county_manager, volunteer, settings, django_capture_on_commit_callbacks
):
    from zhiyuan.volunteers.tests.factories import register

    register(name="乙志愿")
    settings.ZHIYUAN_EXPORT_SYNC_ROWS = 1
    client.force_login(county_manager)
    r = client.get(EXPORT)
    assert r.status_code == 409 and r.json()["code"] == "export_too_large"
    page = client.get(PAGE_EXPORT, {"status": "active", "cursor": "abc"})
    body = page.content.decode()
    assert page.status_code == 200 and "data-export-offer" in body and 'name="query" value="status=active"' in body
    assert not AuditEntry.objects.filter(action="volunteer.export").exists()  # nothing was exported
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/exports/new/", {"list": "volunteer", "query": "status=active"})
    assert r.status_code == 302 and r["Location"] == "/exports/"
    job = ExportJob.objects.get()
    assert job.status == "done" and job.rows_done == 2 and job.filters_summary == {"status": "active", "sort": "-registered_at"}
    listing = client.get("/exports/").content.decode()
    assert f'data-export-job="{job.pk}"' in listing and "data-download" in listing
    link = client.get(f"/api/v1/exports/jobs/{job.pk}").json()["download_url"]
    rows = rows_of(client.get(link))
    assert sorted(row[1] for row in rows[1:]) == sorted(["陈志愿", "乙志愿"])


def test_openapi_documents_the_xlsx_download(client):
    doc = client.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/volunteers/export.xlsx"]["get"]
    assert op["operationId"] == "export_volunteers"
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in op["responses"]["200"]["content"]
    assert {"403", "422"} <= set(op["responses"])
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "status", "gender", "sort"} <= names and not names & {"cursor", "page_size"}
    jobs = doc["paths"]["/api/v1/exports/jobs"]
    assert jobs["post"]["operationId"] == "create_export_job"
    dl = doc["paths"]["/api/v1/exports/jobs/{job_id}/download"]["get"]
    assert "410" in dl["responses"]


def test_export_row_holds_every_column_from_batched_lookups(client, county_manager, volunteer, django_assert_num_queries):
    """The export reads plain values (no model instances) and fills a chunk in batched look-ups:
    each column says what the page says — labels in the reader's language, skills and categories
    in their order, the region's name, the masked mobile — and the queries do not grow with the
    rows (one query per look-up per chunk)."""
    from zhiyuan.core.exports import export_stream
    from zhiyuan.volunteers.lists import VOLUNTEERS
    from zhiyuan.volunteers.models import VolunteerServiceCategory, VolunteerSkill
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    VolunteerSkill.objects.create(volunteer=volunteer, code="legal")
    VolunteerSkill.objects.create(volunteer=volunteer, code="medical")
    VolunteerServiceCategory.objects.create(volunteer=volunteer, code="disability")
    client.force_login(county_manager)
    rows = rows_of(client.get(EXPORT, {"q": volunteer.volunteer_no}))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    volunteer.refresh_from_db()
    assert row["志愿者编号"] == volunteer.volunteer_no and row["姓名"] == "陈志愿"
    assert row["证件号码"] == volunteer.id_number_masked
    assert row["手机号"] == volunteer.user.mobile[:3] + "****" + volunteer.user.mobile[-4:]
    assert row["技能特长"] == "法律、医疗护理" and row["服务意向"] == "助残服务"
    assert row["居住区划代码"] == volunteer.region_code and "惠城区" in row["居住地"]
    assert row["状态"] == str(volunteer.get_status_display())
    assert row["出生日期"] == volunteer.birth_date.isoformat() and isinstance(row["年龄"], int)

    def export_queries(n_rows: int) -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            b"".join(export_stream(actor=county_manager, spec=VOLUNTEERS, params={"status": "active"}))
        return len(ctx.captured_queries), n_rows

    export_queries(1)  # the first audit entry of the day also creates its partition's head
    one = export_queries(1)
    for name in ("新甲", "新乙", "新丙"):
        v = register(name=name, region_code=HUICHENG_TOWN)
        VolunteerSkill.objects.create(volunteer=v, code="rescue")
    more = export_queries(4)
    assert one[0] == more[0]


def test_background_export_reads_the_same_rows_in_keyset_chunks(county_manager, volunteer, monkeypatch):
    """A background job reads the values in keyset chunks (each chunk after the last row of the
    one before): the same rows in the same order as the one-query stream, and the cap's note."""
    from zhiyuan.core import lists
    from zhiyuan.core.exports import export_query
    from zhiyuan.volunteers.lists import VOLUNTEERS
    from zhiyuan.volunteers.tests.factories import register

    for name in ("新甲", "新乙", "新丙"):
        register(name=name)
    qs = export_query(actor=county_manager, spec=VOLUNTEERS, params=None).queryset
    whole = list(lists.export_rows(VOLUNTEERS, qs, limit=10))
    monkeypatch.setattr(lists, "EXPORT_CHUNK", 1)
    assert list(lists.export_rows(VOLUNTEERS, qs, limit=10, chunked=True)) == whole
    assert [r[1] for r in whole] == ["新丙", "新乙", "新甲", "陈志愿"]  # newest first
    capped = list(lists.export_rows(VOLUNTEERS, qs, limit=2, chunked=True))
    assert [r[1] for r in capped[:2]] == ["新丙", "新乙"] and len(capped) == 3 and "2" in capped[2][0]
