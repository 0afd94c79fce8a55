"""The check-in pages: the organizer's screen (QR as SVG, the code, the live list, manual entry),
the e-card scanner and the volunteer's scan page; scope; no inline script (CSP)."""

import re
import uuid

import pytest

from zhiyuan.activities import attendance as svc
from zhiyuan.activities.models import Attendance, CheckMethod
from zhiyuan.volunteers.services.card import card_token_for

pytestmark = pytest.mark.django_db


def rid():
    return uuid.uuid4().hex


def url(name, shift=None):
    from django.urls import reverse

    return reverse(f"activities:{name}", args=[shift.pk] if shift else [])


def test_the_organizers_screen_shows_the_qr_code_the_code_and_the_list(client, org_admin, enrollment, shift):
    client.force_login(org_admin)
    r = client.get(url("attendance_screen", shift))
    html = r.content.decode()
    assert r.status_code == 200
    assert "<svg" in html and "data-session-code" in html
    code, _ = svc.session_code_for(shift.pk)
    assert re.search(rf">\s*{code}\s*<", html) or code in html
    assert "<script>" not in html and " onclick=" not in html and 'style="' not in html
    frag = client.get(url("attendance_session", shift), headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<svg" in frag.content.decode() and "<html" not in frag.content.decode()


def test_manual_entry_from_the_screen(client, org_admin, volunteer, enrollment, shift):
    client.force_login(org_admin)
    bad = client.post(url("attendance_manual", shift), {"kind": "in", "volunteer_no": volunteer.volunteer_no, "reason": "",
                                                        "client_request_id": rid()})  # fmt: skip
    assert bad.status_code == 400 and not Attendance.objects.exists()
    r = client.post(url("attendance_manual", shift), {"kind": "in", "volunteer_no": volunteer.volunteer_no, "reason": "忘带手机",
                                                      "client_request_id": rid()})  # fmt: skip
    assert r.status_code == 302
    att = Attendance.objects.get()
    assert att.check_in_method == CheckMethod.MANUAL and att.reason == "忘带手机"
    page = client.get(url("attendance_screen", shift)).content.decode()
    assert volunteer.volunteer_no in page and "人工补录" in page


def test_the_ecard_scanner_checks_in(client, org_admin, volunteer, enrollment, shift):
    client.force_login(org_admin)
    page = client.get(url("attendance_ecard", shift))
    assert page.status_code == 200 and "jsQR.js" in page.content.decode()
    token, _ = card_token_for(volunteer)
    r = client.post(url("attendance_ecard", shift), {"kind": "in", "token": f"https://x/volunteers/card/verify/?t={token}",
                                                     "client_request_id": rid()})  # fmt: skip
    assert r.status_code == 200 and "data-result" in r.content.decode()
    assert Attendance.objects.get().check_in_method == CheckMethod.ECARD
    r = client.post(url("attendance_ecard", shift), {"kind": "in", "token": "zyc2.bad", "client_request_id": rid()})
    assert r.status_code == 400 and "errorlist" in r.content.decode()


def test_the_volunteers_scan_page_by_qr_and_by_code(client, volunteer, enrollment, shift):
    client.force_login(volunteer.user)
    token, _ = svc.qr_token_for(shift.pk)
    page = client.get(url("attendance_scan") + f"?t={token}")
    html = page.content.decode()
    assert page.status_code == 200 and "data-token-ready" in html and token in html
    assert "<script>" not in html and "vendor/jsqr-1.4.0/jsQR.js" in html
    r = client.post(url("attendance_scan"), {"kind": "in", "token": token, "client_request_id": rid()})
    assert r.status_code == 200 and "data-result" in r.content.decode()
    code, _ = svc.session_code_for(shift.pk)
    r = client.post(url("attendance_scan"), {"kind": "out", "code": code, "client_request_id": rid()})
    assert r.status_code == 200, r.content.decode()
    att = Attendance.objects.get()
    assert (att.check_in_method, att.check_out_method) == ("qr", "code")
    r = client.post(url("attendance_scan"), {"kind": "in", "code": "", "client_request_id": rid()})
    assert r.status_code == 400 and "errorlist" in r.content.decode()


def test_pages_of_another_organization_are_404_and_a_region_manager_may_only_look(
    client, other_org_admin, county_manager, enrollment, shift
):
    client.force_login(other_org_admin)
    for name in ("attendance_screen", "attendance_session", "attendance_list", "attendance_ecard"):
        assert client.get(url(name, shift)).status_code == 404
    assert client.post(url("attendance_manual", shift), {"reason": "x"}).status_code == 404
    client.force_login(county_manager)
    assert client.get(url("attendance_list", shift)).status_code == 200
    assert client.get(url("attendance_screen", shift)).status_code == 403


def test_the_live_list_page_reads_a_constant_number_of_queries(client, org_admin, volunteer, enrollment, shift,
                                                               django_assert_num_queries):  # fmt: skip
    from zhiyuan.activities.tests.attendance.conftest import accepted
    from zhiyuan.volunteers.tests.factories import register

    def by_qr(v):
        token, _ = svc.qr_token_for(shift.pk)
        svc.attendance_check_by_qr(actor=v.user, req=svc.CheckRequest(kind="in", client_request_id=rid()), token=token)

    by_qr(volunteer)
    client.force_login(org_admin)
    client.get(url("attendance_list", shift), headers={"HX-Request": "true"})  # the session's first request saves it
    with django_assert_num_queries(6) as ctx:
        r = client.get(url("attendance_list", shift), headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.content.decode().count("data-row=") == 1, [q["sql"] for q in ctx.captured_queries]
    for name in ("张一", "王二", "李三", "赵四"):
        v = register(name=name)
        accepted(shift.slots.get(), v)
        by_qr(v)
    with django_assert_num_queries(6):
        r = client.get(url("attendance_list", shift), headers={"HX-Request": "true"})
    assert r.content.decode().count("data-row=") == 5
