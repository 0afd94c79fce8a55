"""Check-in and check-out (ACT-4, ACT-5): each way, the token and code rules, the geofence and
time window, idempotency, offline records, the forgotten check-out, scope."""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from zhiyuan.activities import attendance as svc
from zhiyuan.activities.models import Attendance, CheckEvent, CheckMethod, EnrollmentStatus
from zhiyuan.activities.tests.attendance.conftest import accepted, running_activity
from zhiyuan.activities.tests.factories import LAT, LON
from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers.services.card import card_token_for
from zhiyuan.volunteers.tests.factories import register

pytestmark = pytest.mark.django_db
HERE = (float(LAT) + 0.001, float(LON))  # ~110 m from the activity's point
FAR = (float(LAT) + 0.009, float(LON))  # ~1 km
BASE = "/api/v1/activities"


def rid() -> str:
    return uuid.uuid4().hex


def req(kind="in", *, pos=HERE, device_time=None, request_id=None):
    lat, lon = pos if pos else (None, None)
    return svc.CheckRequest(
        kind=kind, client_request_id=request_id or rid(), device_time=device_time, latitude=lat, longitude=lon
    )


def by_qr(volunteer, shift, kind="in", *, now=None, **kw):
    token, _exp = svc.qr_token_for(shift.pk, now=now)
    return svc.attendance_check_by_qr(actor=volunteer.user, req=req(kind, **kw), token=token)


def refused(expected, fn, *args, **kwargs):
    with pytest.raises(DomainError) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == expected, (exc.value.code, str(exc.value.message))
    return exc.value


# --- the four ways --------------------------------------------------------------------------


def test_qr_check_in_and_out_record_one_attendance(volunteer, enrollment, shift):
    result, replayed = by_qr(volunteer, shift)
    assert not replayed and result["kind"] == "in" and result["method"] == "qr" and result["flags"] == []
    att = Attendance.objects.get(enrollment=enrollment)
    assert att.check_in_method == CheckMethod.QR and att.check_out_at is None
    refused("already_checked_in", by_qr, volunteer, shift)
    result, _ = by_qr(volunteer, shift, "out")
    att.refresh_from_db()
    assert att.check_out_method == CheckMethod.QR and result["check_out_at"] == att.check_out_at.isoformat()
    assert "early_leave" in att.flags  # left hours before the end: the reviewer sees it
    refused("already_checked_out", by_qr, volunteer, shift, "out")
    assert Attendance.objects.count() == 1 and CheckEvent.objects.count() == 2


def test_an_expired_qr_token_is_refused(volunteer, enrollment, shift):
    refused("token_expired", by_qr, volunteer, shift, now=time.time() - svc.qr_ttl() - svc.qr_refresh() - 1)
    assert not Attendance.objects.exists()


def test_a_tampered_or_garbled_qr_token_is_refused(volunteer, enrollment, shift):
    token, _ = svc.qr_token_for(shift.pk)
    parts = token.split(".")
    forged = ".".join([*parts[:2], str(shift.pk + 1), *parts[3:]])
    for bad in (forged, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "zyq1.x", ""):
        refused("token_invalid", svc.attendance_check_by_qr, actor=volunteer.user, req=req(), token=bad)
    assert not Attendance.objects.exists()


def test_a_token_of_another_shift_is_refused(org, volunteer, enrollment, shift):
    other = running_activity(org).shifts.get()
    refused("not_enrolled", by_qr, volunteer, other)  # the token names a shift they are not on
    token, _ = svc.qr_token_for(other.pk)
    refused("wrong_shift", svc.attendance_check_by_qr, actor=volunteer.user, req=req(), token=token, shift_id=shift.pk)
    assert not Attendance.objects.exists()


def test_the_qr_code_may_hold_the_scan_page_url(volunteer, enrollment, shift):
    token, _ = svc.qr_token_for(shift.pk)
    result, _ = svc.attendance_check_by_qr(
        actor=volunteer.user, req=req(), token=f"https://x.example/activities/attendance/scan/?t={token}"
    )
    assert result["shift_id"] == shift.pk


def test_the_session_code_checks_in_and_the_previous_code_still_counts(volunteer, enrollment, shift):
    previous, _ = svc.session_code_for(shift.pk, now=time.time() - svc.code_step())
    result, _ = svc.attendance_check_by_code(actor=volunteer.user, req=req(), code=previous)
    assert result["method"] == "code" and result["shift_id"] == shift.pk
    code, _ = svc.session_code_for(shift.pk)
    result, _ = svc.attendance_check_by_code(actor=volunteer.user, req=req("out"), code=code, shift_id=shift.pk)
    assert result["kind"] == "out"


def test_an_old_or_wrong_session_code_is_refused_and_guesses_are_limited(settings, volunteer, enrollment, shift):
    settings.ZHIYUAN_ATTENDANCE_CODE_MAX_FAILURES = 3
    stale, _ = svc.session_code_for(shift.pk, now=time.time() - 3 * svc.code_step())
    right, _ = svc.session_code_for(shift.pk)
    wrong = next(c for c in ("000000", "111111", "222222") if c not in (right, stale))
    refused(
        "code_invalid", svc.attendance_check_by_code, actor=volunteer.user, req=req(), code=stale if stale != right else wrong
    )
    for _ in range(2):
        refused("code_invalid", svc.attendance_check_by_code, actor=volunteer.user, req=req(), code=wrong)
    err = refused("too_many_attempts", svc.attendance_check_by_code, actor=volunteer.user, req=req(), code=right)
    assert err.status == 429
    refused("invalid", svc.attendance_check_by_code, actor=volunteer.user, req=req(), code="12ab")
    assert not Attendance.objects.exists()


def test_the_organizer_scans_the_volunteers_e_card(org_admin, volunteer, enrollment, shift):
    token, _ = card_token_for(volunteer)
    result, _ = svc.attendance_check_by_ecard(actor=org_admin, shift=shift, req=req(pos=None), token=token)
    att = Attendance.objects.get(enrollment=enrollment)
    assert att.check_in_method == CheckMethod.ECARD and att.recorded_by == org_admin and att.flags == []
    assert result["volunteer_no"] == volunteer.volunteer_no and result["volunteer_name"] != volunteer.name  # masked
    entry = AuditEntry.objects.get(action="activities.attendance.scan")
    assert entry.actor == org_admin and entry.detail["volunteer_no"] == volunteer.volunteer_no


def test_an_expired_e_card_or_one_of_a_volunteer_not_on_the_shift_is_refused(org_admin, volunteer, enrollment, shift):
    old, _ = card_token_for(volunteer, now=time.time() - 600)
    refused("token_expired", svc.attendance_check_by_ecard, actor=org_admin, shift=shift, req=req(), token=old)
    stranger = register(name="路人甲")
    token, _ = card_token_for(stranger)
    refused("not_enrolled", svc.attendance_check_by_ecard, actor=org_admin, shift=shift, req=req(), token=token)
    assert not Attendance.objects.exists() and not AuditEntry.objects.filter(action__startswith="activities.attendance.").exists()


def test_manual_entry_needs_a_reason_and_is_flagged_and_audited(org_admin, volunteer, enrollment, shift):
    for reason in ("", "   "):
        err = refused("invalid", svc.attendance_record_manual, actor=org_admin, shift=shift, req=req(), reason=reason,
                      volunteer_no=volunteer.volunteer_no)  # fmt: skip
        assert "reason" in err.fields
    assert not Attendance.objects.exists()
    at = shift.starts_at + dt.timedelta(minutes=2)
    svc.attendance_record_manual(
        actor=org_admin, shift=shift, req=req(), reason="手机没电", volunteer_no=volunteer.volunteer_no, at=at
    )
    att = Attendance.objects.get(enrollment=enrollment)
    assert att.check_in_at == at and att.check_in_method == CheckMethod.MANUAL and att.flags == ["manual"]
    assert att.reason == "手机没电" and att.recorded_by == org_admin
    entry = AuditEntry.objects.get(action="activities.attendance.manual")
    assert entry.detail["reason"] == "手机没电" and entry.object_id == str(att.pk)


def test_manual_entry_after_the_shift_needs_the_real_time(org, org_admin, volunteer):
    past = running_activity(org, started_minutes_ago=300, hours=2).shifts.get()
    accepted(past.slots.get(), volunteer)
    err = refused("invalid", svc.attendance_record_manual, actor=org_admin, shift=past, req=req(), reason="补录",
                  volunteer_no=volunteer.volunteer_no)  # fmt: skip
    assert "at" in err.fields
    svc.attendance_record_manual(actor=org_admin, shift=past, req=req(), reason="补录", volunteer_no=volunteer.volunteer_no,
                                 at=past.starts_at)  # fmt: skip
    assert Attendance.objects.get().check_in_at == past.starts_at


# --- geofence and time window ---------------------------------------------------------------


def test_outside_the_geofence_is_refused_inside_the_tolerance_is_not(volunteer, enrollment, shift):
    err = refused("outside_geofence", by_qr, volunteer, shift, pos=FAR)
    assert "米" in str(err.message)
    edge = (float(LAT) + 0.0030, float(LON))  # ~334 m: beyond 300, inside 300 + 50
    result, _ = by_qr(volunteer, shift, pos=edge)
    assert result["flags"] == []


def test_no_position_is_flagged_or_refused_by_the_setting(settings, volunteer, enrollment, shift):
    settings.ZHIYUAN_ATTENDANCE_ALLOW_NO_POSITION = False
    refused("position_required", by_qr, volunteer, shift, pos=None)
    settings.ZHIYUAN_ATTENDANCE_ALLOW_NO_POSITION = True
    result, _ = by_qr(volunteer, shift, pos=None)
    assert result["flags"] == ["no_position"]


def test_check_in_opens_before_the_start_and_closes_at_the_end(settings, org, volunteer):
    settings.ZHIYUAN_ATTENDANCE_EARLY_MINUTES = 30
    soon = running_activity(org, started_minutes_ago=-60).shifts.get()  # starts in an hour
    accepted(soon.slots.get(), volunteer)
    refused("too_early", by_qr, volunteer, soon)
    near = running_activity(org, started_minutes_ago=-20).shifts.get()  # starts in 20 minutes
    accepted(near.slots.get(), volunteer)
    assert by_qr(volunteer, near)[0]["flags"] == []
    over = running_activity(org, started_minutes_ago=200, hours=3).shifts.get()  # ended 20 minutes ago
    accepted(over.slots.get(), volunteer)
    refused("too_late", by_qr, volunteer, over)


def test_a_late_check_in_is_flagged(settings, org, volunteer):
    settings.ZHIYUAN_ATTENDANCE_LATE_MINUTES = 10
    late = running_activity(org, started_minutes_ago=40).shifts.get()
    accepted(late.slots.get(), volunteer)
    assert by_qr(volunteer, late)[0]["flags"] == ["late"]


# --- who may check in -----------------------------------------------------------------------


def test_only_an_accepted_enrollment_of_that_shift_checks_in(volunteer, shift):
    refused("not_enrolled", by_qr, volunteer, shift)
    e = accepted(shift.slots.get(), volunteer)
    e.status = EnrollmentStatus.WAITLISTED
    e.save(update_fields=["status"])
    refused("not_enrolled", by_qr, volunteer, shift)
    assert not Attendance.objects.exists()


def test_check_out_needs_a_check_in(volunteer, enrollment, shift):
    refused("not_checked_in", by_qr, volunteer, shift, "out")
    assert not CheckEvent.objects.exists()


# --- idempotency ----------------------------------------------------------------------------


def test_a_repeated_request_returns_the_stored_answer_and_writes_nothing(volunteer, enrollment, shift):
    token, _ = svc.qr_token_for(shift.pk)
    r = req()
    first, replayed = svc.attendance_check_by_qr(actor=volunteer.user, req=r, token=token)
    assert not replayed
    again, replayed = svc.attendance_check_by_qr(actor=volunteer.user, req=r, token=token)
    assert replayed and again == first
    assert Attendance.objects.count() == 1 and CheckEvent.objects.count() == 1


def test_a_request_id_of_someone_else_is_a_conflict(volunteer, enrollment, shift, org_admin):
    r = req()
    by_qr(volunteer, shift, request_id=r.client_request_id)
    err = refused("request_id_reused", svc.attendance_record_manual, actor=org_admin, shift=shift, req=r, reason="x",
                  volunteer_no=volunteer.volunteer_no)  # fmt: skip
    assert err.status == 409


def test_a_retry_is_answered_even_after_its_token_expired(monkeypatch, volunteer, enrollment, shift):
    """The phone lost the answer and retries a minute later: the QR token has expired and the
    attendance exists, yet the retry gets the stored answer (the unique constraint, not a
    look-up before the write, is what finds the copy)."""
    r = req()
    token, _ = svc.qr_token_for(shift.pk)
    first, _ = svc.attendance_check_by_qr(actor=volunteer.user, req=r, token=token)
    later = timezone.now() + dt.timedelta(seconds=svc.qr_ttl() + 60)
    monkeypatch.setattr(svc.timezone, "now", lambda: later)
    again, replayed = svc.attendance_check_by_qr(actor=volunteer.user, req=r, token=token)
    assert replayed and again == first
    refused("token_expired", svc.attendance_check_by_qr, actor=volunteer.user, req=req(), token=token)
    assert Attendance.objects.count() == 1 and CheckEvent.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_copies_of_one_request_record_once(county_manager):
    from django.db import connections

    from zhiyuan.organizations.tests.factories import active_org

    v = register(name="并发甲")
    s = running_activity(active_org(county_manager)).shifts.get()
    accepted(s.slots.get(), v)
    r = req()
    token, _ = svc.qr_token_for(s.pk)
    start, answers, errors = threading.Barrier(6), [], []

    def run():
        try:
            start.wait(10)
            answers.append(svc.attendance_check_by_qr(actor=v.user, req=r, token=token))
        except Exception as e:
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sum(1 for _, replayed in answers if not replayed) == 1
    assert len({a["attendance_id"] for a, _ in answers}) == 1
    assert (
        Attendance.objects.filter(shift=s).count() == 1
        and CheckEvent.objects.filter(client_request_id=r.client_request_id).count() == 1
    )


# --- offline records ------------------------------------------------------------------------


def test_an_offline_record_within_the_grace_period_keeps_the_device_time_and_is_flagged(settings, volunteer, enrollment, shift):
    settings.ZHIYUAN_ATTENDANCE_OFFLINE_GRACE_HOURS = 24
    when = timezone.now() - dt.timedelta(minutes=4)
    result, _ = by_qr(volunteer, shift, now=when.timestamp(), device_time=when)
    att = Attendance.objects.get(enrollment=enrollment)
    assert att.check_in_at == when and result["flags"] == ["offline"]
    assert CheckEvent.objects.get().device_time == when


def test_an_offline_record_beyond_the_grace_period_is_refused(settings, org, volunteer):
    settings.ZHIYUAN_ATTENDANCE_OFFLINE_GRACE_HOURS = 2
    old = running_activity(org, started_minutes_ago=200, hours=4).shifts.get()
    accepted(old.slots.get(), volunteer)
    when = timezone.now() - dt.timedelta(minutes=190)
    err = refused("offline_expired", by_qr, volunteer, old, now=when.timestamp(), device_time=when)
    assert "2" in str(err.message)
    refused("device_time", by_qr, volunteer, old, device_time=timezone.now() + dt.timedelta(minutes=5))
    assert not Attendance.objects.exists()


# --- the forgotten check-out (ACT-5) --------------------------------------------------------


def test_a_forgotten_check_out_is_closed_at_the_shift_end_and_flagged(org, org_admin, volunteer):
    past = running_activity(org, started_minutes_ago=240, hours=3).shifts.get()  # ended an hour ago
    e = accepted(past.slots.get(), volunteer)
    svc.attendance_record_manual(actor=org_admin, shift=past, req=req(), reason="现场登记", volunteer_no=volunteer.volunteer_no,
                                 at=past.starts_at)  # fmt: skip
    running = running_activity(org).shifts.get()
    accepted(running.slots.get(), volunteer)
    by_qr(volunteer, running)
    call_command("attendance_close", stdout=open("/dev/null", "w"))
    att = Attendance.objects.get(enrollment=e)
    assert att.check_out_at == past.ends_at and att.check_out_method == CheckMethod.AUTO_CLOSE
    assert att.flags == ["manual", "auto_closed"]
    assert Attendance.objects.get(shift=running).check_out_at is None  # still running: untouched
    assert svc.attendance_close_overdue() == 0  # nothing twice


def test_the_close_task_runs_the_same_service(org, volunteer):
    from zhiyuan.activities.tasks import attendance_close_task

    past = running_activity(org, started_minutes_ago=240, hours=3).shifts.get()
    e = accepted(past.slots.get(), volunteer)
    Attendance.objects.create(enrollment=e, volunteer=volunteer, activity=past.activity, shift=past, organization=org,
                              region_code=e.region_code, check_in_at=past.starts_at, check_in_method="qr")  # fmt: skip
    # .call(): the task's own function, as the worker runs it (enqueue() defers to the commit,
    # which a test transaction never reaches)
    assert attendance_close_task.call() == 1
    assert Attendance.objects.get().flags == ["auto_closed"]


def test_an_auto_closed_record_cannot_be_checked_out_by_the_volunteer_later(org, volunteer):
    past = running_activity(org, started_minutes_ago=240, hours=3).shifts.get()
    e = accepted(past.slots.get(), volunteer)
    Attendance.objects.create(enrollment=e, volunteer=volunteer, activity=past.activity, shift=past, organization=org,
                              region_code=e.region_code, check_in_at=past.starts_at, check_in_method="qr")  # fmt: skip
    svc.attendance_close_overdue()
    refused("too_late", by_qr, volunteer, past, "out")


# --- the API --------------------------------------------------------------------------------


def as_user(client, u):
    client.force_login(u)
    return client


def test_api_check_in_is_201_then_200_replayed(client, volunteer, enrollment, shift):
    c = as_user(client, volunteer.user)
    token, _ = svc.qr_token_for(shift.pk)
    body = {"method": "qr", "token": token, "client_request_id": rid(), "latitude": HERE[0], "longitude": HERE[1]}
    r = c.post(f"{BASE}/attendance/check-in", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["replayed"] is False
    r2 = c.post(f"{BASE}/attendance/check-in", body, content_type="application/json")
    assert r2.status_code == 200 and r2.json()["replayed"] is True and r2.json()["attendance_id"] == r.json()["attendance_id"]
    code, _ = svc.session_code_for(shift.pk)
    out = {"method": "code", "code": code, "client_request_id": rid(), "latitude": HERE[0], "longitude": HERE[1]}
    r = c.post(f"{BASE}/attendance/check-out", out, content_type="application/json")
    assert r.status_code == 201 and r.json()["kind"] == "out"


def test_api_bad_input_is_a_clear_422(client, volunteer, enrollment, shift):
    c = as_user(client, volunteer.user)
    for body, field in (
        ({"method": "fax", "client_request_id": rid()}, "method"),
        ({"method": "qr", "token": "x", "client_request_id": "short"}, "client_request_id"),
        ({"method": "qr", "token": "x", "client_request_id": rid(), "latitude": 99}, "latitude"),
    ):
        r = c.post(f"{BASE}/attendance/check-in", body, content_type="application/json")
        assert r.status_code == 422 and field in r.json()["fields"], r.content
    r = c.post(f"{BASE}/attendance/check-in", {"method": "qr", "token": "zyq1.nope", "client_request_id": rid()},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "token_invalid"
    assert not Attendance.objects.exists()


def test_api_organizer_session_scan_manual_and_list(client, org_admin, volunteer, enrollment, shift, django_assert_num_queries):
    c = as_user(client, org_admin)
    s = c.get(f"{BASE}/shifts/{shift.pk}/checkin-session").json()
    assert len(s["code"]) == 6 and s["qr_token"].startswith("zyq1.") and s["qr_expires_at"] > time.time()
    token, _ = card_token_for(volunteer)
    r = c.post(
        f"{BASE}/shifts/{shift.pk}/attendance/scan", {"token": token, "client_request_id": rid()}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    r = c.post(f"{BASE}/shifts/{shift.pk}/attendance/manual",
               {"kind": "out", "volunteer_no": volunteer.volunteer_no, "reason": "提前离场登记", "client_request_id": rid()},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and "manual" in r.json()["flags"]
    rows = c.get(f"{BASE}/shifts/{shift.pk}/attendance").json()["items"]
    assert [(x["volunteer_no"], x["check_in_method"], x["check_out_method"]) for x in rows] == [
        (volunteer.volunteer_no, "ecard", "manual")
    ]


def _list_queries(client, shift, n_expected, django_assert_num_queries, count):
    with django_assert_num_queries(count):
        r = client.get(f"{BASE}/shifts/{shift.pk}/attendance")
    assert len(r.json()["items"]) == n_expected


def test_api_attendance_list_queries_do_not_grow(client, org_admin, volunteer, enrollment, shift, django_assert_num_queries):
    by_qr(volunteer, shift)
    c = as_user(client, org_admin)
    c.get(f"{BASE}/shifts/{shift.pk}/attendance")  # the first request of a session also saves it
    # session, user, roles, the volunteer role, the shift with its activity, one page of rows
    _list_queries(c, shift, 1, django_assert_num_queries, 6)
    for name in ("张一", "王二", "李三", "赵四"):
        v = register(name=name)
        accepted(shift.slots.get(), v)
        by_qr(v, shift)
    _list_queries(c, shift, 5, django_assert_num_queries, 6)


def test_api_wrong_scope(client, other_org_admin, county_manager, other_county_manager, volunteer, enrollment, shift):
    for who in (other_org_admin, other_county_manager, volunteer.user):
        c = as_user(client, who)
        assert c.get(f"{BASE}/shifts/{shift.pk}/checkin-session").status_code == 404
        assert c.get(f"{BASE}/shifts/{shift.pk}/attendance").status_code == 404
        body = {"volunteer_no": volunteer.volunteer_no, "reason": "x", "client_request_id": rid()}
        r = c.post(f"{BASE}/shifts/{shift.pk}/attendance/manual", body, content_type="application/json")
        assert r.status_code == 404
    # the region manager over the activity sees its attendance but does not record it
    c = as_user(client, county_manager)
    assert c.get(f"{BASE}/shifts/{shift.pk}/attendance").status_code == 200
    assert c.get(f"{BASE}/shifts/{shift.pk}/checkin-session").status_code == 403
    token, _ = card_token_for(volunteer)
    r = c.post(
        f"{BASE}/shifts/{shift.pk}/attendance/scan", {"token": token, "client_request_id": rid()}, content_type="application/json"
    )
    assert r.status_code == 403
    assert not Attendance.objects.exists()


# --- insurance (FUN-4, 条例 art. 17) --------------------------------------------------------


def test_a_position_that_requires_insurance_refuses_an_uninsured_volunteer(org, org_admin, volunteer):
    insured_only = running_activity(org, positions=[{"name": "水上救援", "slots": 3, "insurance_required": True}]).shifts.get()
    accepted(insured_only.slots.get(), volunteer)
    err = refused("not_insured", by_qr, volunteer, insured_only)
    assert "保险" in str(err.message)
    refused("not_insured", svc.attendance_record_manual, actor=org_admin, shift=insured_only, req=req(), reason="现场登记",
            volunteer_no=volunteer.volunteer_no)  # fmt: skip
    assert not Attendance.objects.exists()


def test_an_insured_volunteer_checks_in_on_such_a_position(org, org_admin, volunteer):
    from zhiyuan.insurance.tests.factories import policy
    from zhiyuan.organizations.tests.factories import member

    member(org, volunteer, admin=org_admin)
    policy(org_admin, org, cover="members")  # covers the organization's active members
    insured_only = running_activity(org, positions=[{"name": "水上救援", "slots": 3, "insurance_required": True}]).shifts.get()
    accepted(insured_only.slots.get(), volunteer)
    result, _ = by_qr(volunteer, insured_only)
    assert result["kind"] == "in"


def test_an_offline_check_out_synced_after_the_automatic_close_replaces_it_and_stays_flagged(org, volunteer):
    past = running_activity(org, started_minutes_ago=240, hours=3).shifts.get()  # ended an hour ago
    e = accepted(past.slots.get(), volunteer)
    Attendance.objects.create(enrollment=e, volunteer=volunteer, activity=past.activity, shift=past, organization=org,
                              region_code=e.region_code, check_in_at=past.starts_at, check_in_method="qr")  # fmt: skip
    svc.attendance_close_overdue()
    left = past.ends_at - dt.timedelta(minutes=5)  # the phone checked out then, without network
    by_qr(volunteer, past, "out", now=left.timestamp(), device_time=left)
    att = Attendance.objects.get()
    assert att.check_out_at == left and att.check_out_method == CheckMethod.QR
    assert att.flags == ["auto_closed", "offline"]
