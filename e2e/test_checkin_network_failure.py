"""Check-in when the network fails under an online phone (ACT-4): ``navigator.onLine`` stays true,
but the page's submit never gets an answer — the request is cut (a dead Wi-Fi, a dropped mobile
link) or hangs past the page's timeout. The page keeps the record as it does without network:
with the phone's time and the request id it was sent with, says so in Chinese, and sends it
again on its retry beat. An HTTP answer, a refusal too, is shown and not kept.

The request is cut with Playwright's ``page.route`` on the page's own POST; the retry beat and
the timeout run on Playwright's clock (the page's timers), so nothing waits 20 s for real.
When the request did reach the server and only the answer was lost, the retry with the same id
is answered with the stored result: one record, no refusal."""

import time

import pytest
from e2e_support import PHONE, login, org_of, watch_console

from zhiyuan.activities.attendance import session_code_for
from zhiyuan.activities.models import Attendance, CheckEvent
from zhiyuan.activities.tests.attendance.conftest import accepted, running_activity
from zhiyuan.activities.tests.factories import LAT, LON
from zhiyuan.volunteers.models import Volunteer

QUEUE = "zy-attendance-queue"
SCAN = "/activities/attendance/scan/"
KEPT = "[data-offline-status]:has-text('已保存在手机上')"
RETRY_MS = 20_000  # attendance.js RETRY_MS
TIMEOUT_MS = 15_000  # attendance.js TIMEOUT_MS


def _setup(demo, started_minutes_ago: int):
    shift = running_activity(org_of(demo["org_admin"]), started_minutes_ago=started_minutes_ago).shifts.get()
    volunteer = Volunteer.objects.get(user__mobile=demo["volunteer"]["mobile"])
    accepted(shift.slots.get(), volunteer)
    return shift, volunteer


def _phone(browser, live_server, volunteer_login, *, lag: int = 0):
    """A signed-in phone, online, on the scan page with its position in; its clock ``lag``
    seconds behind and its timers on Playwright's clock."""
    ctx = browser.new_context(
        base_url=live_server.url, locale="zh-CN", geolocation={"latitude": float(LAT) + 0.0005, "longitude": float(LON)},
        permissions=["geolocation"], **PHONE,
    )  # fmt: skip
    ctx.clock.install(time=time.time() - lag)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    errors = watch_console(page)
    login(page, volunteer_login)
    page.goto(SCAN)
    page.wait_for_function("() => !!document.querySelector('input[name=latitude]').value")
    assert page.evaluate("navigator.onLine")
    return ctx, page, errors


def _is_submit(url: str) -> bool:
    return url.split("?")[0].endswith(SCAN)


def _kept(page) -> list:
    return page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE}') || '[]')")


def _retry(page) -> None:
    """The network is back: the page's retry beat sends what it kept."""
    page.clock.run_for(RETRY_MS + 1_000)
    page.wait_for_function(f"() => localStorage.getItem('{QUEUE}') === '[]'")


def _page_errors(errors) -> list:
    return [e for e in errors if "net::ERR_" not in e]  # the cut request itself is logged


@pytest.mark.parametrize("failure", ["cut", "timeout"])
def test_check_in_cut_by_the_network_is_kept_and_synced_flagged(browser, live_server, demo, failure):
    shift, volunteer = _setup(demo, started_minutes_ago=12)
    lag = 10 * 60  # synced 10 min after the phone's time: an offline record
    ctx, page, errors = _phone(browser, live_server, demo["volunteer"], lag=lag)
    held = []

    def network(route):
        if route.request.method != "POST":
            route.continue_()
        elif failure == "cut":
            route.abort("internetdisconnected")
        else:
            held.append(route)  # never answered: the page gives up after its timeout

    try:
        page.route(_is_submit, network)
        sent_id = page.input_value("input[name=client_request_id]")
        page.fill("input[name=code]", session_code_for(shift.pk, now=time.time() - lag)[0])
        with page.expect_request(lambda r: r.method == "POST" and _is_submit(r.url)):
            page.click("[data-submit]")
        if failure == "timeout":
            page.clock.run_for(TIMEOUT_MS + 1_000)
        page.wait_for_selector(KEPT)
        assert page.url.endswith(SCAN) and page.evaluate("navigator.onLine")
        [item] = _kept(page)
        assert item["url"].endswith("/check-in") and item["body"]["client_request_id"] == sent_id
        assert abs(time.time() - lag - page.evaluate(f"Date.parse({item['body']['device_time']!r}) / 1000")) < 60
        # the next record is the check-out, as another request
        assert page.is_checked("input[name=kind][value=out]")
        assert page.input_value("input[name=client_request_id]") != sent_id
        assert not Attendance.objects.filter(shift=shift, volunteer=volunteer).exists()

        page.unroute_all(behavior="ignoreErrors")
        _retry(page)
        assert page.inner_text("[data-offline-status]") == "离线记录已补传。"
        att = Attendance.objects.get(shift=shift, volunteer=volunteer)
        assert Attendance.objects.filter(shift=shift, volunteer=volunteer).count() == 1
        assert "offline" in att.flags and att.check_out_at is None
        assert CheckEvent.objects.get(attendance=att).client_request_id == sent_id
        assert _page_errors(errors) == []
    finally:
        ctx.close()


def test_check_in_whose_answer_was_lost_is_not_recorded_twice(browser, live_server, demo):
    shift, volunteer = _setup(demo, started_minutes_ago=5)
    ctx, page, errors = _phone(browser, live_server, demo["volunteer"])
    reached = []

    def answer_lost(route):
        if route.request.method != "POST":
            route.continue_()
            return
        reached.append(route.fetch().status)  # the server records it ...
        route.abort("connectionreset")  # ... and the phone never hears back

    try:
        page.route(_is_submit, answer_lost)
        sent_id = page.input_value("input[name=client_request_id]")
        page.fill("input[name=code]", session_code_for(shift.pk)[0])
        page.click("[data-submit]")
        page.wait_for_selector(KEPT)
        assert reached == [200]
        att = Attendance.objects.get(shift=shift, volunteer=volunteer)
        assert att.flags == []  # recorded online, at the server's time
        [item] = _kept(page)
        assert item["body"]["client_request_id"] == sent_id  # the id the server has seen

        page.unroute_all(behavior="ignoreErrors")
        _retry(page)
        # the stored answer (a new id would have been refused: 已于…签到)
        assert page.inner_text("[data-offline-status]") == "离线记录已补传。"
        assert Attendance.objects.filter(shift=shift, volunteer=volunteer).count() == 1
        assert CheckEvent.objects.filter(attendance=att).count() == 1
        att.refresh_from_db()
        assert att.flags == [] and att.check_out_at is None
        assert _page_errors(errors) == []
    finally:
        ctx.close()


def test_refusal_is_shown_and_not_kept(browser, live_server, demo):
    """An HTTP answer is an answer: a wrong code is refused on the page and nothing is kept;
    the right code then checks in, the page answering in place (no navigation) both times."""
    shift, volunteer = _setup(demo, started_minutes_ago=5)
    ctx, page, errors = _phone(browser, live_server, demo["volunteer"])
    try:
        page.evaluate("window.__samePage = true")
        right = session_code_for(shift.pk)[0]
        page.fill("input[name=code]", "000000" if right != "000000" else "111111")
        page.click("[data-submit]")
        page.wait_for_selector("main :text('签到码不正确或已过期')")
        assert _kept(page) == [] and page.is_hidden("[data-offline-status]")
        assert not Attendance.objects.filter(shift=shift, volunteer=volunteer).exists()

        page.fill("input[name=code]", right)
        page.click("[data-submit]")
        page.wait_for_selector("[data-result]")
        assert volunteer.volunteer_no in page.inner_text("[data-result]")
        assert page.evaluate("window.__samePage") is True
        assert page.is_checked("input[name=kind][value=out]")  # the fresh form offers 签退
        assert page.input_value("input[name=latitude]")  # with the position copied in
        assert Attendance.objects.get(shift=shift, volunteer=volunteer).flags == []
        assert _kept(page) == []
        assert [e for e in errors if "status of 400" not in e] == []
    finally:
        ctx.close()


def test_kept_records_are_sent_in_order(browser, live_server, demo):
    """A check-in and then a check-out kept: while the check-in still cannot be sent, the
    check-out is not sent either (alone it would be refused, 尚未签到, and dropped); when the
    network is back both are synced, in order."""
    shift, volunteer = _setup(demo, started_minutes_ago=12)
    lag = 10 * 60
    ctx, page, errors = _phone(browser, live_server, demo["volunteer"], lag=lag)
    check_outs = []
    page.on("request", lambda r: check_outs.append(r.url) if r.url.endswith("/check-out") else None)

    def cut(route):
        if route.request.method != "POST":
            route.continue_()
        else:
            route.abort("internetdisconnected")

    try:
        page.route(_is_submit, cut)
        page.route("**/attendance/check-in", cut)
        code = session_code_for(shift.pk, now=time.time() - lag)[0]
        page.fill("input[name=code]", code)
        page.click("[data-submit]")
        page.wait_for_selector(KEPT)
        page.evaluate("document.querySelector('[data-offline-status]').hidden = true")
        page.fill("input[name=code]", code)  # 签退 is offered
        page.click("[data-submit]")
        page.wait_for_function(f"() => JSON.parse(localStorage.getItem('{QUEUE}')).length === 2")
        page.clock.run_for(RETRY_MS + 1_000)  # the check-in is cut again
        page.wait_for_timeout(1_000)
        assert [i["url"].rsplit("/", 1)[1] for i in _kept(page)] == ["check-in", "check-out"]
        assert check_outs == []
        assert not Attendance.objects.filter(shift=shift, volunteer=volunteer).exists()

        page.unroute_all(behavior="ignoreErrors")
        _retry(page)
        att = Attendance.objects.get(shift=shift, volunteer=volunteer)
        assert att.check_in_method == "code" and att.check_out_method == "code"
        assert "offline" in att.flags
        assert _page_errors(errors) == []
    finally:
        ctx.close()
