"""Background exports (issue #7 item 3): the owner alone downloads, the link expires, the file is
encrypted at rest, progress is recorded, a lost worker fails the job, bad filters save nothing.
On a core list (the audit log, as in test_lists.py) so the machinery is tested apart from any
app's list; the volunteer list's export is tested in volunteers/tests/test_exports.py."""

import datetime as dt
import io
import os
from pathlib import Path

import django_filters
import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zhiyuan.core import filecrypt
from zhiyuan.core.audit import audit_record
from zhiyuan.core.crypto import DecryptionError
from zhiyuan.core.export_jobs import (
    LOST_MESSAGE,
    TASK_PATH,
    export_dir,
    export_job_create,
    export_jobs_sweep,
)
from zhiyuan.core.exports import register_export
from zhiyuan.core.lists import ExportCol, ListSpec, Sort
from zhiyuan.core.models import AuditEntry, ExportJob

pytestmark = pytest.mark.django_db
API = "/api/v1/exports/jobs"
SEEN_PROGRESS: list[int] = []


class EntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="object_id", label="搜索")
    action = django_filters.CharFilter(field_name="action", label="操作")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="起始日期")


def _progress_probe(entry) -> str:
    """An export column that reads the job's recorded progress while the job writes."""
    SEEN_PROGRESS.append(ExportJob.objects.order_by("-id").values_list("rows_done", flat=True).first())
    return entry.action


SPEC = register_export(
    ListSpec(
        name="test_export_entries",
        model=AuditEntry,
        source=lambda actor: AuditEntry.objects.filter(action__startswith="t."),
        filters=EntryFilter,
        sorts={"id": Sort("编号", ("id",))},
        default_sort="id",
        columns=[],
        export=[ExportCol("操作", _progress_probe), ExportCol("对象", lambda e: e.object_id)],
        export_title="测试",
        export_filename="entries.xlsx",
    )
)


def content(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


def sheet_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


@pytest.fixture
def entries(db):
    for i in range(5):
        audit_record(actor=None, action="t.thing", object_id=f"=cmd|{i}" if i == 0 else str(i))


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Queue and run (the immediate backend) a job as the API does."""

    def go(client, **payload):
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(API, {"list": SPEC.name, **payload}, content_type="application/json")
        return r

    return go


def test_job_writes_an_encrypted_file_and_its_owner_downloads_it(client, county_manager, entries, run_now):
    client.force_login(county_manager)
    r = run_now(client, filters={"action": "t.thing"})
    assert r.status_code == 202, r.content
    job = ExportJob.objects.get()
    assert job.status == "done" and job.rows_done == 5 and job.rows_total == 5 and job.owner == county_manager
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)
    on_disk = (export_dir() / job.file_name).read_bytes()
    assert on_disk[:4] == b"ZYF2" and b"sheetData" not in on_disk and b"t.thing" not in on_disk
    assert os.stat(export_dir() / job.file_name).st_mode & 0o077 == 0
    got = client.get(API + f"/{job.pk}").json()
    assert (
        got["status"] == "done" and got["progress"] == 100 and got["download_url"].startswith(f"/exports/{job.pk}/download/?t=")
    )
    for url in (f"{API}/{job.pk}/download", got["download_url"]):
        r = client.get(url)
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
        rows = sheet_rows(content(r))
        assert rows[0] == ("操作", "对象") and len(rows) == 6
        assert rows[1][1] == "'=cmd|0"  # formula-safe
    actions = list(AuditEntry.objects.filter(action__startswith="exports.").values_list("action", flat=True))
    assert actions == ["exports.job.create", "exports.job.download", "exports.job.download"]


def test_filters_are_sealed_and_the_search_text_is_not_kept_in_clear(county_manager, entries, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_create(actor=county_manager, list_name=SPEC.name, params={"q": "13800001234"})
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == 0  # the search did apply
    assert "13800001234" not in job.filters_sealed and job.filters_summary == {"q": "*", "sort": "id"}
    entry = AuditEntry.objects.get(action="exports.job.create")
    assert "13800001234" not in str(entry.detail)


def test_another_managers_job_is_404_everywhere(client, county_manager, other_county_manager, entries, run_now):
    client.force_login(county_manager)
    run_now(client)
    job = ExportJob.objects.get()
    link = client.get(f"{API}/{job.pk}").json()["download_url"]
    client.force_login(other_county_manager)
    assert client.get(f"{API}/{job.pk}").status_code == 404
    assert client.get(f"{API}/{job.pk}/download").status_code == 404
    assert client.get(link).status_code == 404  # the owner's signed link is no use to anyone else
    assert client.get(API).json()["items"] == []
    assert f'data-export-job="{job.pk}"' not in client.get("/exports/").content.decode()
    assert not AuditEntry.objects.filter(action="exports.job.download").exists()


def test_a_link_for_another_job_or_tampered_is_404(client, county_manager, entries, run_now):
    client.force_login(county_manager)
    run_now(client)
    run_now(client)
    first, second = ExportJob.objects.order_by("id")
    link = client.get(f"{API}/{first.pk}").json()["download_url"]
    token = link.split("?t=")[1]
    assert client.get(f"/exports/{second.pk}/download/?t={token}").status_code == 404
    assert client.get(f"/exports/{first.pk}/download/?t={token[:-2]}xx").status_code == 404
    assert client.get(f"/exports/{first.pk}/download/").status_code == 404


def test_expired_export_is_410_with_a_chinese_message_and_the_sweep_deletes_it(client, county_manager, entries, run_now):
    client.force_login(county_manager)
    run_now(client)
    job = ExportJob.objects.get()
    link = client.get(f"{API}/{job.pk}").json()["download_url"]
    path = export_dir() / job.file_name
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = client.get(f"{API}/{job.pk}/download")
    assert r.status_code == 410 and r.json()["code"] == "expired"
    assert "导出文件已过期" in r.json()["message"]
    r = client.get(link)
    assert r.status_code == 410 and "导出文件已过期" in r.content.decode()
    assert export_jobs_sweep() == {"lost": 0, "expired": 1, "files": 0}
    job.refresh_from_db()
    assert job.status == "expired" and not path.exists() and job.file_key_sealed == ""
    assert client.get(f"{API}/{job.pk}/download").status_code == 410
    assert "文件已过期并删除" in client.get("/exports/").content.decode()


def test_the_signed_link_itself_expires(client, county_manager, entries, run_now, settings):
    client.force_login(county_manager)
    run_now(client)
    job = ExportJob.objects.get()
    link = client.get(f"{API}/{job.pk}").json()["download_url"]
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() + dt.timedelta(days=30))
    settings.ZHIYUAN_EXPORT_LINK_HOURS = 0  # the token is older than 0 s by now
    r = client.get(link)
    assert r.status_code == 410 and "导出文件已过期" in r.content.decode()


def test_progress_is_recorded_while_the_job_writes(client, county_manager, entries, run_now, monkeypatch):
    from zhiyuan.core import export_jobs, lists

    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(lists, "EXPORT_CHUNK", 2)  # rows are made a chunk at a time
    SEEN_PROGRESS.clear()
    client.force_login(county_manager)
    run_now(client)
    # a chunk's values are read before its rows are counted; a count is recorded every 2 rows
    assert SEEN_PROGRESS == [0, 0, 2, 2, 4]
    assert ExportJob.objects.get().rows_done == 5


def test_progress_page_polls_while_a_job_runs_and_stops_when_done(client, county_manager, entries):
    job = ExportJob.objects.create(owner=county_manager, list_name=SPEC.name, status="running", rows_done=40, rows_total=100)
    client.force_login(county_manager)
    page = client.get("/exports/").content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="40"' in page and "40 / 100" in page
    ExportJob.objects.filter(pk=job.pk).update(status="failed", message="坏了")
    partial = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial and "坏了" in partial and "<html" not in partial


def test_bad_filters_are_422_and_nothing_is_saved(client, county_manager, entries, run_now):
    client.force_login(county_manager)
    before = AuditEntry.objects.count()
    for payload in (
        {"filters": {"since": "nope"}},
        {"filters": {"colour": "red"}},
        {"list": "no_such_list"},
        {"filters": {"sort": "x"}},
    ):
        r = run_now(client, **payload)
        assert r.status_code == 422, payload
        assert r.json()["fields"], payload
    assert not ExportJob.objects.exists() and AuditEntry.objects.count() == before


def test_anonymous_is_401(client):
    assert client.post(API, {"list": SPEC.name}, content_type="application/json").status_code == 401
    assert client.get(API).status_code == 401


def test_too_many_running_jobs_is_409(client, county_manager, entries, run_now, settings):
    settings.ZHIYUAN_EXPORT_JOBS_PER_USER = 1
    ExportJob.objects.create(owner=county_manager, list_name=SPEC.name, status="running")
    client.force_login(county_manager)
    r = run_now(client)
    assert r.status_code == 409 and ExportJob.objects.count() == 1


def test_a_lost_worker_fails_the_job_and_removes_its_partial_file(county_manager):
    from zhiyuan.core.tests.test_workers import running_task
    from zhiyuan.core.workers import tasks_recover

    partial = export_dir() / "partial.xlsx.zy"
    partial.write_bytes(b"ZYF2 half a file")
    job = ExportJob.objects.create(owner=county_manager, list_name=SPEC.name, status="running", file_name=partial.name)
    running_task("gone-worker", path=TASK_PATH, args=(job.pk,))
    assert tasks_recover() == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.message == str(LOST_MESSAGE) and not partial.exists()


def test_sweep_deletes_stray_files_only_after_an_hour(county_manager):
    stray = export_dir() / "stray.xlsx.zy"
    stray.write_bytes(b"x")
    assert export_jobs_sweep()["files"] == 0 and stray.exists()
    old = (timezone.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(stray, (old, old))
    assert export_jobs_sweep()["files"] == 1 and not stray.exists()


# --- streamed encryption (core.filecrypt) -----------------------------------------------------------


def test_streamed_file_is_the_same_format_and_tampering_yields_no_bytes(tmp_path: Path):
    data = [os.urandom(700_000), b"", os.urandom(1_500_000)]
    path = tmp_path / "f.zy"
    key, size = filecrypt.encrypt_stream(iter(data), path, purpose="test.p")
    assert size == sum(map(len, data))
    assert b"".join(filecrypt.decrypt_stream(path, sealed_key=key, purpose="test.p")) == b"".join(data)
    out = io.BytesIO()
    filecrypt.decrypt_file(path, out, sealed_key=key, purpose="test.p")  # the whole-file reader agrees
    assert out.getvalue() == b"".join(data)
    with pytest.raises(DecryptionError):
        filecrypt.decrypt_stream(path, sealed_key=key, purpose="other.p")
    raw = bytearray(path.read_bytes())
    raw[1_000_000] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(DecryptionError):
        filecrypt.decrypt_stream(path, sealed_key=key, purpose="test.p")  # before any byte is returned


def test_a_job_stops_at_its_cap_and_says_so(client, county_manager, entries, run_now, settings, monkeypatch):
    from zhiyuan.core import lists

    monkeypatch.setattr(lists, "EXPORT_CHUNK", 2)
    settings.ZHIYUAN_EXPORT_JOB_MAX_ROWS = 3
    client.force_login(county_manager)
    run_now(client)
    job = ExportJob.objects.get()
    assert job.status == "done" and job.rows_done == 3 and job.truncated
    rows = sheet_rows(content(client.get(f"{API}/{job.pk}/download")))
    assert [r[1] for r in rows[1:4]] == ["'=cmd|0", "1", "2"] and "仅导出前 3 行" in rows[4][0]
