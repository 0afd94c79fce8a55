"""The person's own data download (PIPL 45, VOL-6) holds their insurance cover — every policy
listing them — and their training records, certificates and qualifications; nobody else's."""

import datetime as dt
import io
import json

from openpyxl import load_workbook

from zhiyuan.insurance.tests import factories as f
from zhiyuan.volunteers.services.export import my_data, my_data_xlsx


def test_download_lists_the_policies_naming_the_person(client, city_manager, org, volunteer, huiyang_volunteer):
    from zhiyuan.insurance import services

    mine = f.listed_policy(city_manager, org, volunteer, policy_no="PHZ-MINE")
    f.listed_policy(city_manager, org, huiyang_volunteer, policy_no="PHZ-THEIRS")
    services.policy_cancel(actor=city_manager, policy=mine, on=dt.date(2026, 9, 1), reason="活动取消")
    data = my_data(actor=volunteer.user)
    [row] = data["insurance"]
    assert (row["policy_no"], row["kind"], row["holder"], row["status"]) == ("PHZ-MINE", "人身意外伤害保险", org.name, "已退保")
    assert (row["starts_on"], row["ends_on"], row["cancelled_on"]) == ("2026-01-01", "2026-12-31", "2026-09-01")
    assert "PHZ-THEIRS" not in json.dumps(data, ensure_ascii=False)
    # the list's blind index of the document number is not part of it
    from zhiyuan.insurance.models import InsuredPerson

    assert InsuredPerson.objects.get(policy=mine).id_number_index not in json.dumps(data, ensure_ascii=False)
    # the JSON and Excel downloads on the page
    client.force_login(volunteer.user)
    body = client.get("/volunteers/me/export.json")
    assert body.status_code == 200 and json.loads(body.content)["insurance"][0]["policy_no"] == "PHZ-MINE"
    wb = load_workbook(io.BytesIO(my_data_xlsx(actor=volunteer.user)))
    sheet = wb["保险保障"]
    assert "PHZ-MINE" in [c for r in sheet.iter_rows(values_only=True) for c in r]


def test_download_without_cover_has_an_empty_section(huiyang_volunteer):
    assert my_data(actor=huiyang_volunteer.user)["insurance"] == []
    wb = load_workbook(io.BytesIO(my_data_xlsx(actor=huiyang_volunteer.user)))
    assert [r for r in wb["保险保障"].iter_rows(values_only=True)] == [("（无）",)]


def test_download_holds_training_records_certificates_and_qualifications(county_manager, volunteer):
    from zhiyuan.training.services import qualifications, records
    from zhiyuan.training.tests import factories as tf

    course = tf.course(county_manager, name="水上救援初级")
    records.record_create(actor=county_manager, volunteer=volunteer, course=course, source="import",
                          completed_on=dt.date(2026, 2, 1))  # fmt: skip
    qualifications.qualification_submit(
        actor=volunteer.user, qualification_type=tf.qualification_type("psychological_aid"), certificate_no="XL-1",
        issuer="省心理学会", issued_on=dt.date(2025, 1, 1), expires_on=None, evidence=tf.evidence(),
    )  # fmt: skip
    rows = my_data(actor=volunteer.user)["training"]
    got = {(r["kind"], r["course"], r["status"]) for r in rows}
    assert ("record", "水上救援初级", None) in got and ("certificate", "水上救援初级", "有效") in got
    assert ("qualification", "心理援助", "待审核") in got
    wb = load_workbook(io.BytesIO(my_data_xlsx(actor=volunteer.user)))
    cells = [c for r in wb["培训记录与证书"].iter_rows(values_only=True) for c in r]
    assert "水上救援初级" in cells and "XL-1" in cells
