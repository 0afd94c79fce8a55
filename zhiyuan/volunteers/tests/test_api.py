"""/api/v1/volunteers: every operation, its scope refusals and its error shape."""

import io
import json

import pytest
from openpyxl import load_workbook

from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.tests import factories as f

pytestmark = pytest.mark.django_db
BASE = "/api/v1/volunteers"


def post(client, path, body):
    return client.post(BASE + path, data=json.dumps(body), content_type="application/json")


def patch(client, path, body):
    return client.patch(BASE + path, data=json.dumps(body), content_type="application/json")


def test_operation_ids_are_explicit(client):
    spec = client.get("/api/v1/openapi.json").json()
    ops = {op["operationId"] for p, item in spec["paths"].items() if p.startswith(BASE) for op in item.values()}
    assert {
        "register_volunteer",
        "get_my_volunteer_profile",
        "update_my_profile",
        "export_my_data",
        "withdraw_consent",
        "accept_consent",
        "exit_volunteer",
        "get_volunteer",
        "reveal_volunteer_id",
        "change_volunteer_status",
        "issue_card_token",
        "verify_card_token",
        "get_privacy_notice",
        "create_correction_request",
        "list_my_correction_requests",
        "resolve_correction_request",
    } <= ops


def test_register_and_read_me(client):
    data = f.registration_data(name="张三")
    r = post(client, "/register", data)
    assert r.status_code == 201, r.content
    body = r.json()
    assert data["id_number"] not in r.content.decode()  # API output is masked by default
    assert body["name"] == "张三" and body["volunteer_no"] and body["mobile"] == data["mobile"]
    v = Volunteer.objects.get()
    client.force_login(v.user)
    r = client.get(BASE + "/me")
    me = r.json()
    assert me["id_number_masked"] == v.id_number_masked and data["id_number"] not in r.content.decode()
    assert me["needs_privacy_consent"] is False
    assert client.get(BASE + "/me/export").json()["profile"]["id_number"] == data["id_number"]


def test_register_errors_are_per_field_and_chinese(client):
    r = post(client, "/register", f.registration_data(name="<script>alert(1)</script>", mobile="123", accept_oath=False))
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert {"name", "mobile", "accept_oath"} <= set(body["fields"])
    assert "姓名" in body["fields"]["name"][0]
    assert Volunteer.objects.count() == 0


def test_register_minor_needs_guardian(client):
    r = post(client, "/register", f.registration_data(birth=f.years_ago(12)))
    assert r.status_code == 400 and "guardian_name" in r.json()["fields"]
    r = post(client, "/register", {**f.registration_data(birth=f.years_ago(12)), **f.guardian_data()})
    assert r.status_code == 201
    assert r.json()["is_minor"] is True


def test_register_duplicate_is_400_with_neutral_message(client, volunteer):
    number = documents.document_unseal(volunteer.id_number_sealed)
    r = post(client, "/register", f.registration_data(id_number=number))
    assert r.status_code == 400
    assert volunteer.name not in r.content.decode() and volunteer.volunteer_no not in r.content.decode()


def test_get_me_without_profile_is_404(client, plain_user):
    client.force_login(plain_user)
    r = client.get(BASE + "/me")
    assert r.status_code == 404 and r.json()["code"] == "not_registered"


def test_anonymous_is_401(client):
    assert client.get(BASE + "/me").status_code == 401


def test_update_my_profile(client, volunteer):
    from zhiyuan.volunteers import code_tables

    client.force_login(volunteer.user)
    skill = code_tables.skill_choices()[0][0]
    r = patch(client, "/me", {"availability": ["1-am", "7-ev"], "skills": [{"code": skill, "detail": "证书"}]})
    assert r.status_code == 200, r.content
    assert r.json()["availability"] == ["1-am", "7-ev"]
    r = patch(client, "/me", {"availability": ["9-zz"], "email": "bad"})
    assert r.status_code == 400 and {"availability", "email"} <= set(r.json()["fields"])


def test_export_my_data_json_and_xlsx(client, volunteer, huiyang_volunteer):
    client.force_login(volunteer.user)
    r = client.get(BASE + "/me/export")
    assert r.status_code == 200
    body = r.json()
    assert body["profile"]["volunteer_no"] == volunteer.volunteer_no
    assert huiyang_volunteer.volunteer_no not in r.content.decode()
    r = client.get(BASE + "/me/export?format=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.worksheets[0]["B2"].value == volunteer.volunteer_no
    assert client.get(BASE + "/me/export?format=csv").status_code == 400


def test_withdraw_and_accept_consent(client, volunteer, county_manager):
    client.force_login(volunteer.user)
    r = post(client, "/me/consents/withdraw", {"kind": "privacy"})
    assert r.status_code == 200 and r.json()["restricted"] is True
    client.force_login(county_manager)
    assert client.get(f"{BASE}/{volunteer.pk}").status_code == 404
    client.force_login(volunteer.user)
    assert post(client, "/me/consents", {"kind": "privacy"}).status_code == 200
    client.force_login(county_manager)
    assert client.get(f"{BASE}/{volunteer.pk}").status_code == 200


def test_get_volunteer_is_scoped_and_masked(client, volunteer, huiyang_volunteer, county_manager, city_manager):
    client.force_login(county_manager)
    r = client.get(f"{BASE}/{volunteer.pk}")
    assert r.status_code == 200
    body = r.json()
    number = documents.document_unseal(volunteer.id_number_sealed)
    assert number not in r.content.decode() and body["id_number_masked"] == volunteer.id_number_masked
    assert "home_lat" not in body and "mobile" not in body
    assert client.get(f"{BASE}/{huiyang_volunteer.pk}").status_code == 404
    client.force_login(city_manager)
    assert client.get(f"{BASE}/{huiyang_volunteer.pk}").status_code == 200


def test_plain_user_cannot_read_volunteers(client, volunteer, plain_user):
    client.force_login(plain_user)
    assert client.get(f"{BASE}/{volunteer.pk}").status_code == 404


def test_reveal_is_scoped_audited_and_not_cached(client, volunteer, huiyang_volunteer, county_manager):
    client.force_login(county_manager)
    r = post(client, f"/{huiyang_volunteer.pk}/reveal-id", {"reason": "核实"})
    assert r.status_code == 404
    r = post(client, f"/{volunteer.pk}/reveal-id", {"reason": "核实身份"})
    assert r.status_code == 200
    assert r.json()["id_number"] == documents.document_unseal(volunteer.id_number_sealed)
    assert "no-store" in r["Cache-Control"]
    entry = AuditEntry.objects.get(action="volunteer.reveal_id")
    assert entry.actor_id == county_manager.pk and entry.ip == "127.0.0.1"


def test_change_status_scoped(client, volunteer, huiyang_volunteer, county_manager, city_manager):
    client.force_login(county_manager)
    assert post(client, f"/{huiyang_volunteer.pk}/status", {"to_status": "suspended", "reason": "x"}).status_code == 404
    r = post(client, f"/{volunteer.pk}/status", {"to_status": "suspended", "reason": "违反纪律"})
    assert r.status_code == 200 and r.json()["to_status"] == "suspended"
    client.force_login(city_manager)
    r = post(client, f"/{huiyang_volunteer.pk}/status", {"to_status": "exited", "reason": "本人要求"})
    assert r.status_code == 200
    r = post(client, f"/{huiyang_volunteer.pk}/status", {"to_status": "exited", "reason": "again"})
    assert r.status_code == 409


def test_volunteer_cannot_change_own_status_via_manager_endpoint(client, volunteer):
    client.force_login(volunteer.user)
    assert post(client, f"/{volunteer.pk}/status", {"to_status": "active", "reason": "x"}).status_code == 404
    r = post(client, "/me/exit", {"reason": "时间不足"})
    assert r.status_code == 200 and r.json()["to_status"] == "exited"


def test_card_token_issue_and_verify(client, volunteer, county_manager, plain_user):
    client.force_login(volunteer.user)
    token = client.get(BASE + "/me/card-token").json()["token"]
    client.force_login(plain_user)
    r = post(client, "/card-tokens/verify", {"token": token})
    assert r.status_code == 200
    assert r.json()["name"] == "陈*愿" and r.json()["star_level_label"] == "暂无星级"
    client.force_login(county_manager)
    assert post(client, "/card-tokens/verify", {"token": token}).json()["name"] == "陈志愿"
    tampered = token[:-2] + ("AB" if token[-2:] != "AB" else "BA")  # always differs from the real one
    r = post(client, "/card-tokens/verify", {"token": tampered})
    assert r.status_code == 400 and r.json()["code"] == "token_invalid"


def test_a_card_token_differing_only_in_unused_base64_bits_is_refused(volunteer):
    """The signature's last base64 character has two unused bits; every other spelling of the
    same bytes is refused, so no scanned token verifies unless it is exactly the issued one."""
    from zhiyuan.core.errors import DomainError
    from zhiyuan.volunteers.services.card import card_token_for, card_token_verify

    token, _exp = card_token_for(volunteer)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    same_bytes = alphabet[(last & ~0b11) | ((last + 1) & 0b11)]  # flip only the unused low bits
    assert card_token_verify(token=token).volunteer == volunteer
    with pytest.raises(DomainError) as err:
        card_token_verify(token=token[:-1] + same_bytes)
    assert err.value.code == "token_invalid"


def test_correction_request_flow(client, volunteer, county_manager, other_county_manager):
    client.force_login(volunteer.user)
    r = post(client, "/me/corrections", {"field": "name", "name": "陈志原", "reason": "错别字"})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert client.get(BASE + "/me/corrections").json()[0]["status"] == "pending"
    client.force_login(other_county_manager)
    assert post(client, f"/corrections/{rid}/resolve", {"approve": True}).status_code == 404
    client.force_login(county_manager)
    assert post(client, f"/corrections/{rid}/resolve", {"approve": True}).json()["status"] == "approved"


def test_privacy_notice_is_public(client):
    r = client.get(BASE + "/privacy-notice")
    assert r.status_code == 200 and "我愿意成为一名光荣的志愿者" in r.json()["oath_text"]


# --- VOL-9 status history on the API (audit G2) -------------------------------------------------


def test_manager_detail_carries_the_status_history_with_who_changed_it(client, county_manager, volunteer):
    from zhiyuan.volunteers import services as svc

    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="suspended", reason="长期未参加活动")
    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="active", reason="恢复")
    client.force_login(county_manager)
    history = client.get(f"{BASE}/{volunteer.pk}").json()["status_history"]
    steps = [(h["from_status"], h["to_status"]) for h in history]
    assert steps == [("", "active"), ("active", "suspended"), ("suspended", "active")]
    assert history[1]["to_status_label"] == "暂停" and history[1]["from_status_label"] == "正常"
    assert history[1]["reason"] == "长期未参加活动" and history[1]["at"]
    assert county_manager.display_name in history[1]["actor"] and county_manager.mobile not in history[1]["actor"]


def test_own_profile_carries_the_status_history_without_manager_names(client, county_manager, volunteer):
    from zhiyuan.volunteers import services as svc

    svc.volunteer_change_status(actor=county_manager, volunteer_id=volunteer.pk, to_status="suspended", reason="核实信息")
    client.force_login(volunteer.user)
    history = client.get(f"{BASE}/me").json()["status_history"]
    assert [h["to_status"] for h in history] == ["active", "suspended"]
    assert history[-1]["reason"] == "核实信息"
    assert all("actor" not in h for h in history)
    assert county_manager.display_name not in json.dumps(history, ensure_ascii=False)


def test_registration_answer_starts_the_history(client):
    r = post(client, "/register", f.registration_data())
    assert r.status_code == 201, r.content
    [first] = r.json()["status_history"]
    assert first["from_status"] == "" and first["to_status"] == "active"
