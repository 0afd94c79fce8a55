"""The import check is not a free lookup (issue #8 item 4): the row error stays, checks are rate
limited per manager, every run is audited with its duplicate hits, and a run whose hits lie
mostly outside the manager's scope is flagged."""

import pytest

from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents, imports
from zhiyuan.volunteers.services import import_jobs as svc
from zhiyuan.volunteers.services.registration import MSG_DUPLICATE_DOCUMENT
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.tests.test_import import row, xlsx
from zhiyuan.volunteers.tests.test_import_jobs import _Upload

pytestmark = pytest.mark.django_db
API = "/api/v1/volunteers/import"


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.ZHIYUAN_PRIVATE_DIR = tmp_path / "private"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "private" / "tmp")


def submit(actor, rows, mode=imports.DRY_RUN):
    return svc.import_job_submit(actor=actor, upload=_Upload(xlsx(rows).getvalue()), mode=mode)


def number_of(volunteer) -> str:
    return documents.document_unseal(volunteer.id_number_sealed)


def test_checks_are_rate_limited_per_manager(settings, county_manager, other_county_manager):
    settings.ZHIYUAN_IMPORT_CHECK_LIMIT = 2
    submit(county_manager, [row()])
    submit(county_manager, [row()], mode=imports.ALL_OR_NOTHING)  # one bad row and it writes nothing: a check too
    with pytest.raises(DomainError) as exc:
        submit(county_manager, [row()])
    assert exc.value.status == 429 and "校验过于频繁" in exc.value.fields["file"][0]
    denied = AuditEntry.objects.get(action="volunteer.import_check_limited")
    assert denied.actor_id == county_manager.pk and denied.result == AuditEntry.Result.DENIED
    submit(county_manager, [row()], mode=imports.VALID_ONLY)  # registers in the manager's name: not limited
    submit(other_county_manager, [row(region=f.HUIYANG_TOWN)])  # another manager has their own count


def test_the_rate_limit_answers_429_on_the_api(client, settings, county_manager):
    settings.ZHIYUAN_IMPORT_CHECK_LIMIT = 1
    client.force_login(county_manager)
    assert client.post(API, {"file": xlsx([row()])}).status_code == 200
    r = client.post(API, {"file": xlsx([row()])})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited" and "file" in r.json()["fields"]


def test_the_row_error_stays_and_the_run_is_audited_with_its_hits(county_manager):
    mine = f.register(region_code=f.HUICHENG_TOWN)
    elsewhere = f.register(region_code=f.HUIYANG_TOWN)
    job, _created = submit(county_manager, [row(number=number_of(mine)), row(number=number_of(elsewhere)), row()])
    assert [(e.row, e.message) for e in job.errors.order_by("row")] == [
        (2, str(MSG_DUPLICATE_DOCUMENT)),
        (3, str(MSG_DUPLICATE_DOCUMENT)),
    ]
    entry = AuditEntry.objects.get(action="volunteer.import_lookup")
    assert entry.actor_id == county_manager.pk
    assert entry.detail == {"mode": "dry_run", "rows": 3, "duplicate_hits": 2, "outside_scope": 1}
    assert number_of(mine) not in str(entry.detail)


def test_a_run_whose_hits_lie_mostly_outside_the_scope_is_flagged(settings, county_manager):
    settings.ZHIYUAN_IMPORT_FLAG_MIN_HITS = 3
    others = [f.register(region_code=f.HUIYANG_TOWN) for _ in range(3)]
    mine = f.register(region_code=f.HUICHENG_TOWN)
    rows = [row(number=number_of(v)) for v in [*others, mine]]
    # the mobile of a person elsewhere is a hit too, and also outside
    rows.append(row(mobile=others[0].user.mobile))
    submit(county_manager, rows)
    entry = AuditEntry.objects.get(action="volunteer.import_lookup_flagged")
    assert entry.detail["duplicate_hits"] == 5 and entry.detail["outside_scope"] == 4
    assert not AuditEntry.objects.filter(action="volunteer.import_lookup").exists()


def test_a_manager_meeting_their_own_people_is_not_flagged(settings, county_manager):
    settings.ZHIYUAN_IMPORT_FLAG_MIN_HITS = 2
    mine = [f.register(region_code=f.HUICHENG_TOWN) for _ in range(3)]
    submit(county_manager, [row(number=number_of(v)) for v in mine])
    entry = AuditEntry.objects.get(action="volunteer.import_lookup")
    assert entry.detail["duplicate_hits"] == 3 and entry.detail["outside_scope"] == 0
