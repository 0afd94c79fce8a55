"""Certified trainers and training bases (TRN-1; seed 001 一学院一中心一基地): the managers' lists
(search, certification state with "expiring soon" flagged, export, scope, phone cards, query
count), create and edit with the certification number and dates, and the API."""

import datetime as dt

import pytest
from django.urls import reverse

from zhiyuan.core.models import AuditEntry
from zhiyuan.testing import HUICHENG
from zhiyuan.training.models import CertificationState, Trainer, TrainingBase
from zhiyuan.training.services import courses
from zhiyuan.volunteers.minors import today_shanghai

HUIYANG = "441303000000"


def trainer(actor, name="李培训", *, expires_in=400, region_code=HUICHENG, **values):
    today = today_shanghai()
    return courses.trainer_create(
        actor=actor,
        name=name,
        certification_no=values.pop("certification_no", f"PXS-{name}"),
        certified_on=values.pop("certified_on", today - dt.timedelta(days=365)),
        expires_on=today + dt.timedelta(days=expires_in),
        region_code=region_code,
        **values,
    )


def base(actor, name="惠城培训基地", *, expires_in=400, **values):
    today = today_shanghai()
    return courses.training_base_create(
        actor=actor,
        name=name,
        address="惠城区江北",
        certification_no=f"JD-{name}",
        certified_on=today - dt.timedelta(days=365),
        expires_on=today + dt.timedelta(days=expires_in),
        region_code=HUICHENG,
        **values,
    )


def test_certification_state_flags_expiring_within_the_renewal_days(county_manager, settings):
    settings.ZHIYUAN_TRAINING_RENEWAL_DAYS = 30
    today = today_shanghai()
    states = {
        t.name: t.certification_state(on=today, days=30)
        for t in (
            trainer(county_manager, "张有效", expires_in=31),
            trainer(county_manager, "王将到", expires_in=30),
            trainer(county_manager, "赵今天", expires_in=0),
            trainer(county_manager, "钱过期", expires_in=-1, certified_on=today - dt.timedelta(days=900)),
        )
    }
    assert states == {"张有效": "valid", "王将到": "expiring", "赵今天": "expiring", "钱过期": "expired"}


def test_list_page_searches_filters_flags_and_hides_other_regions(client, county_manager, other_county_manager):
    trainer(county_manager, "张有效")
    trainer(county_manager, "王将到", expires_in=10)
    trainer(other_county_manager, "惠阳培训师", region_code=HUIYANG)
    client.force_login(county_manager)
    url = reverse("training:trainers")
    html = client.get(url).content.decode()
    assert "张有效" in html and "王将到" in html and "惠阳培训师" not in html and "即将到期" in html
    expiring = client.get(url, {"state": CertificationState.EXPIRING}).content.decode()
    assert "王将到" in expiring and "张有效" not in expiring
    by_number = client.get(url, {"q": "PXS-张有效"}).content.decode()
    assert "张有效" in by_number and "王将到" not in by_number
    bad = client.get(url, {"state": "nonsense"})
    assert bad.status_code == 200 and "选择一个有效的选项" in bad.content.decode()
    # a volunteer has no such list
    from zhiyuan.testing import make_user

    client.force_login(make_user("13900009999", "路人"))
    assert client.get(url).status_code == 403


def test_export_is_scoped_and_audited(client, county_manager, other_county_manager):
    import io

    from openpyxl import load_workbook

    base(county_manager, "惠城基地")
    client.force_login(county_manager)
    r = client.get(reverse("training:bases_export"))
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).worksheets[0].iter_rows(values_only=True))
    assert any("惠城基地" in row for row in rows) and AuditEntry.objects.filter(action="training.base.export").exists()
    client.force_login(other_county_manager)
    r = client.get(reverse("training:bases_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).worksheets[0].iter_rows(values_only=True))
    assert not any("惠城基地" in row for row in rows)


@pytest.mark.parametrize("rows", [1, 5])
def test_list_page_and_api_query_counts_do_not_grow(client, county_manager, rows, django_assert_num_queries):
    for i in range(rows):
        trainer(county_manager, f"培训师{'甲乙丙丁戊'[i]}")
    client.force_login(county_manager)
    client.get(reverse("training:trainers"))  # warm the session and role caches
    with django_assert_num_queries(6):  # 5 + the notification badge
        assert client.get(reverse("training:trainers")).status_code == 200
    with django_assert_num_queries(5):
        r = client.get("/api/v1/training/trainers")
    assert len(r.json()["items"]) == rows


def test_create_and_edit_on_the_pages(client, county_manager, other_county_manager):
    client.force_login(county_manager)
    today = today_shanghai()
    data = {
        "name": "周培训",
        "specialty": "应急救护",
        "certification_no": "PXS-900",
        "certified_on": (today - dt.timedelta(days=10)).isoformat(),
        "expires_on": (today - dt.timedelta(days=20)).isoformat(),
        "region_code": HUICHENG,
    }
    bad = client.post(reverse("training:trainer_create"), data)
    assert bad.status_code == 400 and "有效期不能早于发证日期" in bad.content.decode() and not Trainer.objects.exists()
    data["expires_on"] = (today + dt.timedelta(days=700)).isoformat()
    r = client.post(reverse("training:trainer_create"), data)
    assert r.status_code == 302, r.content.decode()
    t = Trainer.objects.get()
    assert (t.region_code, t.certification_no, t.specialty) == (HUICHENG, "PXS-900", "应急救护")
    # the same number again is refused by name
    again = client.post(reverse("training:trainer_create"), {**data, "name": "吴培训"})
    assert again.status_code == 400 and "该证书编号已登记" in again.content.decode() and Trainer.objects.count() == 1
    # another region's manager cannot create here, nor see or edit it
    client.force_login(other_county_manager)
    outside = client.post(reverse("training:trainer_create"), {**data, "certification_no": "PXS-901"})
    assert outside.status_code == 400 and Trainer.objects.count() == 1
    assert client.get(reverse("training:trainer_edit", args=[t.pk])).status_code == 404
    # a renewal: new number and expiry, audited
    client.force_login(county_manager)
    edit = reverse("training:trainer_edit", args=[t.pk])
    assert "PXS-900" in client.get(edit).content.decode()
    renewed = {k: v for k, v in data.items() if k != "region_code"} | {
        "certification_no": "PXS-900-R",
        "expires_on": "2030-01-01",
    }
    assert client.post(edit, renewed).status_code == 302
    t.refresh_from_db()
    assert (t.certification_no, t.expires_on, t.region_code) == ("PXS-900-R", dt.date(2030, 1, 1), HUICHENG)
    assert AuditEntry.objects.filter(action="training.trainer.update", object_id=str(t.pk)).exists()


def test_base_pages_and_org_admin_picks_their_organization(client, county_manager, other_county_manager):
    from zhiyuan.organizations.tests.factories import active_org, applicant

    admin = applicant("基地组织管理员")
    org = active_org(county_manager, actor=admin)
    other = active_org(other_county_manager, region_code="441303001000")
    client.force_login(admin)
    today = today_shanghai()
    data = {
        "name": "江北基地",
        "address": "惠城区江北街道",
        "certification_no": "JD-77",
        "certified_on": today.isoformat(),
        "expires_on": (today + dt.timedelta(days=365)).isoformat(),
    }
    picker = client.get(
        reverse("training:organization_options"), {"picker": "organization_id", "organization_id__q": org.name[:3]}
    )
    assert org.name in picker.content.decode() and other.name not in picker.content.decode()
    refused = client.post(reverse("training:base_create"), {**data, "organization_id": other.pk})
    assert refused.status_code == 400 and not TrainingBase.objects.exists()
    r = client.post(reverse("training:base_create"), {**data, "organization_id": org.pk})
    assert r.status_code == 302
    b = TrainingBase.objects.get()
    assert b.organization == org and b.region_code == org.region_code
    assert "江北基地" in client.get(reverse("training:bases")).content.decode()


def test_api_lists_reads_and_changes_within_scope(client, county_manager, other_county_manager):
    t = trainer(county_manager, "孙培训", expires_in=5)
    b = base(county_manager)
    client.force_login(county_manager)
    [row] = client.get("/api/v1/training/trainers", {"state": "expiring"}).json()["items"]
    assert row["id"] == t.pk and row["certification_state"] == "expiring" and row["specialty"] == ""
    assert client.get(f"/api/v1/training/bases/{b.pk}").json()["address"] == "惠城区江北"
    r = client.patch(f"/api/v1/training/trainers/{t.pk}", {"expires_on": "2031-12-31"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["expires_on"] == "2031-12-31" and r.json()["certification_state"] == "valid"
    bad = client.patch(f"/api/v1/training/bases/{b.pk}", {"certified_on": "2040-01-01"}, content_type="application/json")
    assert bad.status_code == 422 and "expires_on" in bad.json()["fields"]
    b.refresh_from_db()
    assert b.certified_on < dt.date(2040, 1, 1)
    unknown = client.patch(f"/api/v1/training/trainers/{t.pk}", {"region_code": HUIYANG}, content_type="application/json")
    assert unknown.status_code == 422
    client.force_login(other_county_manager)
    assert client.get(f"/api/v1/training/trainers/{t.pk}").status_code == 404
    assert client.patch(f"/api/v1/training/trainers/{t.pk}", {"name": "改"}, content_type="application/json").status_code == 404
    assert client.get("/api/v1/training/trainers").json()["items"] == []
