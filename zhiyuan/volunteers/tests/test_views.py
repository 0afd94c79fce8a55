"""Pages of the person: registration, profile, e-card, privacy and rights."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from zhiyuan.volunteers import documents
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.tests.test_profile import tiny_png
from zhiyuan.volunteers.texts import OATH_TEXT

pytestmark = pytest.mark.django_db


def form_post(data: dict) -> dict:
    post = {k: ("on" if v is True else "" if v is False else v) for k, v in data.items()}
    post["password2"] = post.get("password", "")
    return post


def test_register_page_renders_for_a_visitor(client):
    r = client.get(reverse("volunteers:register"))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'name="viewport"' in html and OATH_TEXT in html
    assert 'name="region_code__0"' in html and 'name="mobile"' in html and 'name="accept_oath"' in html
    assert "志愿者个人信息保护告知书" in html


def test_register_page_creates_account_logs_in_and_shows_number(client):
    data = f.registration_data(name="张三")
    r = client.post(reverse("volunteers:register"), form_post(data), follow=True)
    assert r.redirect_chain[-1][0] == reverse("volunteers:card")
    v = Volunteer.objects.get()
    assert v.user.mobile == data["mobile"]
    html = r.content.decode()
    assert "注册成功" in html and "暂无星级" in html
    assert r.context["user"].pk == v.user_id


def test_register_page_escapes_hostile_input_and_saves_nothing(client):
    data = f.registration_data(name="<script>alert(1)</script>", email="x" * 10_000)
    r = client.post(reverse("volunteers:register"), form_post(data))
    html = r.content.decode()
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "姓名只能包含" in html and "电子邮箱" in html
    assert Volunteer.objects.count() == 0


def test_register_page_emoji_and_long_name_messages(client):
    r = client.post(reverse("volunteers:register"), form_post(f.registration_data(name="张三😀")))
    assert "姓名只能包含" in r.content.decode()
    r = client.post(reverse("volunteers:register"), form_post(f.registration_data(name="张" * 10_000)))
    assert "姓名不能超过50个字符" in r.content.decode()
    assert Volunteer.objects.count() == 0


def test_register_page_asks_minor_for_guardian(client):
    data = f.registration_data(birth=f.years_ago(13))
    r = client.post(reverse("volunteers:register"), form_post(data))
    html = r.content.decode()
    assert re.search(r"<details id=\"guardian\"[^>]*open", html)
    assert "个人信息保护法" in html  # under 14: PIPL 31 named
    assert Volunteer.objects.count() == 0
    r = client.post(reverse("volunteers:register"), form_post({**data, **f.guardian_data()}))
    assert r.status_code == 302 and Volunteer.objects.count() == 1


def test_guardian_partial_opens_for_a_minor_number(client):
    minor = f.resident_id(birth=f.years_ago(16))
    adult = f.resident_id(birth=f.years_ago(30))
    url = reverse("volunteers:register_guardian")
    assert re.search(r"<details[^>]*open", client.post(url, {"id_type": "111", "id_number": minor}).content.decode())
    assert not re.search(r"<details[^>]*open", client.post(url, {"id_type": "111", "id_number": adult}).content.decode())


def test_password_confirmation_must_match(client):
    post = form_post(f.registration_data())
    post["password2"] = "Other#2026x"
    r = client.post(reverse("volunteers:register"), post)
    assert "两次输入的密码不一致" in r.content.decode() and Volunteer.objects.count() == 0


def test_signed_in_user_without_profile_registers_without_account_fields(client, plain_user):
    client.force_login(plain_user)
    html = client.get(reverse("volunteers:register")).content.decode()
    assert 'name="mobile"' not in html
    data = f.registration_data()
    r = client.post(reverse("volunteers:register"), {k: v for k, v in form_post(data).items() if k not in ("mobile",)})
    assert r.status_code == 302
    assert Volunteer.objects.get().user_id == plain_user.pk


def test_registered_volunteer_is_sent_to_profile(client, volunteer):
    client.force_login(volunteer.user)
    assert client.get(reverse("volunteers:register")).url == reverse("volunteers:profile")


def test_profile_shows_own_full_number_and_nav(client, volunteer, django_assert_max_num_queries):
    client.force_login(volunteer.user)
    with django_assert_max_num_queries(25):
        r = client.get(reverse("volunteers:profile"))
    html = r.content.decode()
    assert documents.document_unseal(volunteer.id_number_sealed) in html
    assert 'data-nav="volunteers.card"' in html and 'data-nav="volunteers.profile"' in html


def test_nav_items_only_for_volunteers(client, plain_user):
    client.force_login(plain_user)
    html = client.get("/").content.decode()
    assert 'data-nav="volunteers.card"' not in html


def test_profile_pages_redirect_users_without_profile(client, plain_user):
    client.force_login(plain_user)
    for name in ("volunteers:profile", "volunteers:card", "volunteers:consents", "volunteers:profile_edit"):
        assert client.get(reverse(name)).url == reverse("volunteers:register")


def test_profile_edit_page_saves(client, volunteer):
    from zhiyuan.volunteers import code_tables

    client.force_login(volunteer.user)
    assert client.get(reverse("volunteers:profile_edit")).status_code == 200
    skill = code_tables.skill_choices()[0][0]
    post = {
        "political_status": code_tables.political_status_choices()[0][0],
        "region_code": "441302003000",
        "skills": [skill],
        f"skill_detail_{skill}": "<i>执业医师</i>",
        "availability": ["6-am", "6-pm"],
    }
    r = client.post(reverse("volunteers:profile_edit"), post)
    assert r.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.region_code == "441302003000" and volunteer.availability
    html = client.get(reverse("volunteers:profile")).content.decode()
    assert "&lt;i&gt;执业医师&lt;/i&gt;" in html and "周六上午" in html


def test_profile_edit_page_shows_messages(client, volunteer):
    client.force_login(volunteer.user)
    r = client.post(reverse("volunteers:profile_edit"), {"home_lat": "23.1", "home_lng": "114.4", "region_code": "441302001000"})
    assert r.status_code == 200 and "单独同意" in r.content.decode()


def test_card_page_has_qr_and_htmx_refresh(client, volunteer):
    client.force_login(volunteer.user)
    html = client.get(reverse("volunteers:card")).content.decode()
    assert "<svg" in html and 'hx-trigger="every 60s"' in html and "暂无星级" in html
    assert volunteer.name in html
    assert "上传照片" in html and "更换照片" not in html  # nothing to change yet (issue #8)
    frag = client.get(reverse("volunteers:card_qr")).content.decode()
    assert "<svg" in frag


def test_card_verify_page(client, volunteer, plain_user):
    from zhiyuan.volunteers import services as svc

    token, _ = svc.card_token_issue(actor=volunteer.user)
    client.force_login(plain_user)
    html = client.get(reverse("volunteers:card_verify"), {"t": token}).content.decode()
    assert 'data-verify="ok"' in html and "陈*愿" in html
    html = client.get(reverse("volunteers:card_verify"), {"t": "<script>x</script>"}).content.decode()
    assert 'data-verify="token_invalid"' in html and "<script>x</script>" not in html


def test_card_verify_logged_out_says_why_a_login_is_needed(client, volunteer):
    from zhiyuan.volunteers import services as svc

    token, _ = svc.card_token_issue(actor=volunteer.user)
    r = client.get(reverse("volunteers:card_verify"), {"t": token})
    html = r.content.decode()
    assert r.status_code == 200 and 'data-verify="login"' in html and "需要登录" in html
    assert volunteer.name not in html and "陈*愿" not in html  # nothing about the card
    assert 'href="/accounts/login/?next=/volunteers/card/verify/%3Ft%3D' in html  # comes back to the check


def test_photo_is_served_only_to_owner_and_scoped_managers(
    client, volunteer, county_manager, other_county_manager, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(volunteer.user)
    r = client.post(reverse("volunteers:photo_upload"), {"photo": SimpleUploadedFile("a.png", tiny_png())})
    assert r.status_code == 302
    url = reverse("volunteers:photo", args=[volunteer.volunteer_no])
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and "no-store" in r["Cache-Control"]
    client.force_login(county_manager)
    assert client.get(url).status_code == 200
    client.force_login(other_county_manager)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to login


def test_photo_upload_rejects_svg_with_message(client, volunteer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(volunteer.user)
    r = client.post(
        reverse("volunteers:photo_upload"),
        {"photo": SimpleUploadedFile("a.png", b"<svg onload=alert(1)>", content_type="image/png")},
        follow=True,
    )
    assert "请上传JPG或PNG格式的照片" in r.content.decode()


def test_withdraw_consent_page(client, volunteer, county_manager):
    client.force_login(volunteer.user)
    url = reverse("volunteers:consent_withdraw")
    client.post(url, {"kind": "privacy"})  # not confirmed
    volunteer.refresh_from_db()
    assert volunteer.restricted_at is None
    r = client.post(url, {"kind": "privacy", "confirm": "on"}, follow=True)
    volunteer.refresh_from_db()
    assert volunteer.restricted_at is not None
    assert "data-restricted" in r.content.decode()
    r = client.post(reverse("volunteers:consent_accept"), {"kind": "privacy"})
    volunteer.refresh_from_db()
    assert volunteer.restricted_at is None


def test_data_download_pages(client, volunteer, huiyang_volunteer):
    client.force_login(volunteer.user)
    r = client.get(reverse("volunteers:my_data", args=["json"]))
    body = json.loads(r.content)
    assert body["profile"]["id_number"] == documents.document_unseal(volunteer.id_number_sealed)
    assert huiyang_volunteer.volunteer_no not in r.content.decode()
    r = client.get(reverse("volunteers:my_data", args=["xlsx"]))
    assert load_workbook(io.BytesIO(r.content)).worksheets[0]["B2"].value == volunteer.volunteer_no


def test_exit_page(client, volunteer):
    client.force_login(volunteer.user)
    client.post(reverse("volunteers:exit"), {"reason": "", "confirm": "on"})
    volunteer.refresh_from_db()
    assert volunteer.status == "active"
    client.post(reverse("volunteers:exit"), {"reason": "学业繁忙", "confirm": "on"})
    volunteer.refresh_from_db()
    assert volunteer.status == "exited"


def test_correction_page(client, volunteer):
    client.force_login(volunteer.user)
    r = client.post(reverse("volunteers:correction_create"), {"field": "name", "name": "<b>x</b>", "reason": "错"})
    assert r.status_code == 200 and "姓名只能包含" in r.content.decode()
    r = client.post(reverse("volunteers:correction_create"), {"field": "name", "name": "陈志原", "reason": "错别字"})
    assert r.status_code == 302
    assert volunteer.correction_requests.get().status == "pending"


def test_privacy_notice_page_is_public(client):
    r = client.get(reverse("volunteers:privacy_notice"))
    assert r.status_code == 200 and "个人信息保护法" in r.content.decode()


def test_reveal_fragment_is_scoped_and_audited(client, volunteer, huiyang_volunteer, county_manager, plain_user):
    from zhiyuan.core.models import AuditEntry

    client.force_login(county_manager)
    r = client.post(reverse("volunteers:reveal_id", args=[volunteer.pk]), {"reason": "核实"})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    assert documents.document_unseal(volunteer.id_number_sealed) in r.content.decode()
    assert client.post(reverse("volunteers:reveal_id", args=[huiyang_volunteer.pk])).status_code == 404
    assert client.get(reverse("volunteers:reveal_id", args=[volunteer.pk])).status_code == 405
    client.force_login(plain_user)
    assert client.post(reverse("volunteers:reveal_id", args=[volunteer.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="volunteer.reveal_id").count() == 1


def test_registration_attempts_are_rate_limited(client):
    from zhiyuan.volunteers.views import REGISTER_RATE

    bad = form_post(f.registration_data(name="<b>"))
    for _ in range(REGISTER_RATE):
        client.post(reverse("volunteers:register"), bad)
    r = client.post(reverse("volunteers:register"), form_post(f.registration_data()))
    assert "过于频繁" in r.content.decode() and Volunteer.objects.count() == 0
