"""Check-in by camera (ACT-4), for real: Chromium's fake camera plays a video of a QR code
(``fake_camera.qr_video``) and the page's vendored jsQR reads it from the <video>.

* The volunteer's phone scans the organizer's current rotating QR code (the scan page's URL
  with the signed token, as the screen draws it) and is checked in by ``qr``.
* The organizer's scanner reads the volunteer's e-card (the card page's URL with its token)
  and checks them in by ``ecard``.

Each test launches a Chromium of its own: the video file is a switch of the whole browser. The
browser opens the file when the page asks for the camera, so the code is drawn just before (a
rotating token lives 30–60 s; a slow start-up must not outlive it)."""

from django.urls import reverse
from e2e_support import DESKTOP, PHONE, login, org_of, watch_console
from fake_camera import qr_video

from zhiyuan.activities.attendance import checkin_session
from zhiyuan.activities.models import Attendance
from zhiyuan.activities.tests.attendance.conftest import accepted, running_activity
from zhiyuan.activities.tests.factories import LAT, LON
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.services.card import card_token_for


def _shift_and_volunteer(demo):
    shift = running_activity(org_of(demo["org_admin"])).shifts.get()
    volunteer = Volunteer.objects.get(user__mobile=demo["volunteer"]["mobile"])
    accepted(shift.slots.get(), volunteer)
    return shift, volunteer


def _scan(page, errors) -> None:
    """Open the camera and wait for the page to read the code and submit it (nothing is typed:
    the token can only have come from the video)."""
    page.click("[data-camera-start]")
    page.wait_for_selector("[data-result]", timeout=30_000)
    assert errors == []


def test_volunteer_phone_scans_the_organizers_qr_code(launch_chromium, live_server, demo, tmp_path):
    shift, volunteer = _shift_and_volunteer(demo)
    video = tmp_path / "screen.y4m"
    browser = launch_chromium(*qr_video(video, "not yet"))
    ctx = browser.new_context(
        base_url=live_server.url, locale="zh-CN", geolocation={"latitude": float(LAT) + 0.0005, "longitude": float(LON)},
        permissions=["geolocation", "camera"], **PHONE,
    )  # fmt: skip
    phone = ctx.new_page()
    phone.set_default_timeout(15_000)
    errors = watch_console(phone)
    login(phone, demo["volunteer"])
    phone.goto("/activities/attendance/scan/")
    token = checkin_session(shift=shift)["qr_token"]  # what the organizer's screen shows now
    qr_video(video, live_server.url + reverse("activities:attendance_scan") + "?t=" + token)
    _scan(phone, errors)
    att = Attendance.objects.get(shift=shift, volunteer=volunteer)
    assert att.check_in_method == "qr" and att.check_out_at is None
    assert att.flags == []  # inside the geofence, in time, online
    assert volunteer.volunteer_no in phone.inner_text("[data-result]")


def test_organizer_scans_the_volunteers_e_card(launch_chromium, live_server, demo, tmp_path):
    shift, volunteer = _shift_and_volunteer(demo)
    video = tmp_path / "card.y4m"
    browser = launch_chromium(*qr_video(video, "not yet"))
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", permissions=["camera"], **DESKTOP)
    screen = ctx.new_page()
    screen.set_default_timeout(15_000)
    errors = watch_console(screen)
    login(screen, demo["org_admin"])
    screen.goto(f"/activities/attendance/shifts/{shift.pk}/ecard/")
    token, _expiry = card_token_for(volunteer)  # what the volunteer's 我的志愿者证 shows now
    qr_video(video, live_server.url + reverse("volunteers:card_verify") + "?t=" + token)
    _scan(screen, errors)
    att = Attendance.objects.get(shift=shift, volunteer=volunteer)
    assert att.check_in_method == "ecard"
    assert volunteer.volunteer_no in screen.inner_text("[data-result]")
