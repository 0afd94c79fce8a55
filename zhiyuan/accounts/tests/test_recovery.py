"""Account recovery (issue #11 item 8): managers unlock, issue one-time reset codes and reset
second factors inside their scope, with two people for a manager's second factor; people reset
their own password with an SMS code. Every action audited; secrets never stored."""

import datetime
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhiyuan.accounts import recovery, services
from zhiyuan.accounts.models import RecoveryCode, TotpResetRequest, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.tests.factories import bearer, token_for
from zhiyuan.core import sms
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.testing import PASSWORD, enable_totp, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Neu#Passwort2027"


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.ZHIYUAN_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def locked(user: User) -> User:
    user.failed_logins, user.locked_until = 5, timezone.now() + datetime.timedelta(minutes=15)
    user.save(update_fields=["failed_logins", "locked_until"])
    return user


def audit_actions(user: User) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="accounts.user", object_id=str(user.pk)).values_list("action", flat=True))


def can_log_in(client, user: User, password: str) -> bool:
    r = client.post("/accounts/login/", {"mobile": user.mobile, "password": password})
    return r.status_code == 302


# --- who may help whom ------------------------------------------------------------------------------


def test_a_county_manager_helps_volunteers_living_in_the_county(county_manager, volunteer):
    assert recovery.account_get_for_help(actor=county_manager, mobile=volunteer.user.mobile) == volunteer.user


def test_out_of_scope_and_missing_accounts_look_alike(county_manager, huiyang_volunteer):
    with pytest.raises(NotFound) as outside:
        recovery.account_get_for_help(actor=county_manager, mobile=huiyang_volunteer.user.mobile)
    with pytest.raises(NotFound) as missing:
        recovery.account_get_for_help(actor=county_manager, mobile="13712345678")
    assert str(outside.value.message) == str(missing.value.message)


def test_managers_help_only_lower_managers(city_manager, county_manager, other_county_manager, platform_admin):
    assert recovery.can_help(city_manager, county_manager)
    assert not recovery.can_help(county_manager, city_manager)  # superior
    assert not recovery.can_help(county_manager, other_county_manager)  # peer
    assert not recovery.can_help(city_manager, platform_admin)
    assert recovery.can_help(platform_admin, city_manager)
    assert not recovery.can_help(platform_admin, platform_admin)  # nobody helps themselves


def test_people_without_a_region_role_cannot_help(plain_user, volunteer):
    with pytest.raises(PermissionDenied):
        recovery.account_get_for_help(actor=plain_user, user_id=volunteer.user.pk)


def test_lookup_refuses_a_malformed_mobile(county_manager):
    with pytest.raises(DomainError) as exc:
        recovery.account_get_for_help(actor=county_manager, mobile="1234")
    assert "mobile" in exc.value.fields


# --- unlock ------------------------------------------------------------------------------------------


def test_unlock_clears_the_lock_and_is_audited(client, county_manager, volunteer):
    user = locked(volunteer.user)
    assert not can_log_in(client, user, PASSWORD)
    recovery.account_unlock(actor=county_manager, user=user)
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_logins == 0
    assert "accounts.account.unlock" in audit_actions(user)
    assert can_log_in(client, user, PASSWORD)


def test_unlock_outside_the_scope_is_refused(county_manager, huiyang_volunteer):
    user = locked(huiyang_volunteer.user)
    with pytest.raises(NotFound):
        recovery.account_unlock(actor=county_manager, user=user)
    user.refresh_from_db()
    assert user.locked_until is not None


# --- one-time reset code issued by a manager ---------------------------------------------------------


def test_reset_code_sets_a_new_password_once(client, county_manager, volunteer):
    user = locked(volunteer.user)
    code, expires = recovery.password_reset_code_issue(actor=county_manager, user=user)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert expires > timezone.now()
    stored = RecoveryCode.objects.get(user=user)
    assert code.replace("-", "") not in stored.secret_hash  # only a keyed hash is kept
    recovery.recovery_password_reset(mobile=user.mobile, code=code.lower(), new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.locked_until is None  # the lockout goes with the new password
    assert can_log_in(client, user, NEW_PASSWORD)
    with pytest.raises(DomainError):  # used once
        recovery.recovery_password_reset(mobile=user.mobile, code=code, new_password="Noch#Anderes2028")
    assert {"accounts.password.reset_code", "accounts.password.reset"} <= set(audit_actions(user))


def test_a_new_code_voids_the_previous_one(county_manager, volunteer):
    old, _ = recovery.password_reset_code_issue(actor=county_manager, user=volunteer.user)
    recovery.password_reset_code_issue(actor=county_manager, user=volunteer.user)
    with pytest.raises(DomainError):
        recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=old, new_password=NEW_PASSWORD)


def test_an_expired_code_is_refused(county_manager, volunteer):
    code, _ = recovery.password_reset_code_issue(actor=county_manager, user=volunteer.user)
    RecoveryCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=code, new_password=NEW_PASSWORD)
    assert "code" in exc.value.fields


def test_wrong_codes_spend_the_code(settings, county_manager, volunteer):
    code, _ = recovery.password_reset_code_issue(actor=county_manager, user=volunteer.user)
    for _i in range(settings.ZHIYUAN_RECOVERY_CODE_ATTEMPTS):
        with pytest.raises(DomainError):
            recovery.recovery_password_reset(mobile=volunteer.user.mobile, code="AAAA-AAAA-AAAA", new_password=NEW_PASSWORD)
    with pytest.raises(DomainError):
        recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=code, new_password=NEW_PASSWORD)


def test_a_weak_password_keeps_the_code_usable(county_manager, volunteer):
    code, _ = recovery.password_reset_code_issue(actor=county_manager, user=volunteer.user)
    with pytest.raises(DomainError) as exc:
        recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=code, new_password="12345678")
    assert "new_password" in exc.value.fields
    recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=code, new_password=NEW_PASSWORD)


# --- self-service by SMS -----------------------------------------------------------------------------


def test_sms_code_resets_the_password(client, volunteer):
    recovery.recovery_sms_send(mobile=volunteer.user.mobile)
    assert len(sms.outbox) == 1 and sms.outbox[0].mobile == volunteer.user.mobile
    code = sms.outbox[0].params["code"]
    assert re.fullmatch(r"\d{6}", code) and code in sms.outbox[0].text
    recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=code, new_password=NEW_PASSWORD)
    assert can_log_in(client, volunteer.user, NEW_PASSWORD)


def test_unknown_numbers_get_the_same_answer_and_no_sms():
    recovery.recovery_sms_send(mobile="13712345678")  # no error: no account enumeration
    assert sms.outbox == []
    assert AuditEntry.objects.filter(action="accounts.recovery.sms", result=AuditEntry.Result.FAILED).exists()


def test_sms_codes_are_rate_limited_per_number(settings, volunteer):
    for _i in range(settings.ZHIYUAN_RECOVERY_SMS_PER_MOBILE_HOUR):
        recovery.recovery_sms_send(mobile=volunteer.user.mobile)
    with pytest.raises(DomainError) as exc:
        recovery.recovery_sms_send(mobile=volunteer.user.mobile)
    assert exc.value.status == 429


def test_a_failed_sms_is_a_clear_error(settings, volunteer):
    settings.ZHIYUAN_SMS_BACKEND = "aliyun"  # not configured: the send fails
    with pytest.raises(DomainError) as exc:
        recovery.recovery_sms_send(mobile=volunteer.user.mobile)
    assert exc.value.status == 503


def test_a_second_factor_survives_a_password_reset(client, volunteer):
    enable_totp(volunteer.user)
    recovery.recovery_sms_send(mobile=volunteer.user.mobile)
    recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=sms.outbox[0].params["code"], new_password=NEW_PASSWORD)
    volunteer.user.refresh_from_db()
    assert volunteer.user.totp_enabled
    r = client.post("/accounts/login/", {"mobile": volunteer.user.mobile, "password": NEW_PASSWORD})
    assert r["Location"].startswith("/accounts/login/totp/")


# --- second-factor reset --------------------------------------------------------------------------------


def test_a_volunteers_second_factor_is_reset_at_once(county_manager, volunteer):
    enable_totp(volunteer.user)
    req = recovery.totp_reset_request(actor=county_manager, user=volunteer.user, reason="换了手机")
    volunteer.user.refresh_from_db()
    assert req.status == TotpResetRequest.Status.DONE and not volunteer.user.totp_enabled
    assert volunteer.user.totp_secret_sealed == ""
    assert "accounts.totp.reset" in audit_actions(volunteer.user)


def test_a_managers_second_factor_needs_a_second_person(city_manager, county_manager, platform_admin):
    req = recovery.totp_reset_request(actor=city_manager, user=county_manager, reason="手机丢失")
    county_manager.refresh_from_db()
    assert req.status == TotpResetRequest.Status.PENDING and county_manager.totp_enabled
    with pytest.raises(PermissionDenied):
        recovery.totp_reset_approve(actor=city_manager, request_id=req.pk)
    with pytest.raises(NotFound):  # the person concerned cannot approve their own reset
        recovery.totp_reset_approve(actor=county_manager, request_id=req.pk)
    assert [r.pk for r in recovery.totp_reset_pending_for(actor=platform_admin)] == [req.pk]
    assert recovery.totp_reset_pending_for(actor=city_manager) == []
    recovery.totp_reset_approve(actor=platform_admin, request_id=req.pk)
    county_manager.refresh_from_db()
    assert not county_manager.totp_enabled
    assert {"accounts.totp.reset_request", "accounts.totp.reset"} <= set(audit_actions(county_manager))


def test_the_database_refuses_one_person_approving_their_own_request(city_manager, county_manager):
    req = recovery.totp_reset_request(actor=city_manager, user=county_manager, reason="手机丢失")
    with pytest.raises(IntegrityError), transaction.atomic():
        TotpResetRequest.objects.filter(pk=req.pk).update(approved_by=city_manager, status="done")


def test_one_pending_request_per_account(city_manager, county_manager, platform_admin):
    recovery.totp_reset_request(actor=city_manager, user=county_manager, reason="手机丢失")
    with pytest.raises(Conflict):
        recovery.totp_reset_request(actor=platform_admin, user=county_manager, reason="手机丢失")


def test_stale_requests_expire(settings, city_manager, county_manager, platform_admin):
    req = recovery.totp_reset_request(actor=city_manager, user=county_manager, reason="手机丢失")
    TotpResetRequest.objects.filter(pk=req.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.ZHIYUAN_TOTP_RESET_REQUEST_HOURS + 1)
    )
    with pytest.raises(Conflict):
        recovery.totp_reset_approve(actor=platform_admin, request_id=req.pk)
    county_manager.refresh_from_db()
    assert county_manager.totp_enabled


def test_a_reason_is_required(county_manager, volunteer):
    enable_totp(volunteer.user)
    with pytest.raises(DomainError) as exc:
        recovery.totp_reset_request(actor=county_manager, user=volunteer.user, reason="  ")
    assert "reason" in exc.value.fields


# --- API ---------------------------------------------------------------------------------------------


def test_api_self_service(client, volunteer):
    r = client.post("/api/v1/accounts/recovery/sms", {"mobile": volunteer.user.mobile}, content_type="application/json")
    assert r.status_code == 202
    code = sms.outbox[0].params["code"]
    r = client.post(
        "/api/v1/accounts/recovery/reset",
        {"mobile": volunteer.user.mobile, "code": "000000" if code != "000000" else "111111", "new_password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["fields"]["code"]
    r = client.post(
        "/api/v1/accounts/recovery/reset",
        {"mobile": volunteer.user.mobile, "code": code, "new_password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert User.objects.get(pk=volunteer.user.pk).check_password(NEW_PASSWORD)


def test_api_account_help_is_scoped_and_masked(client, county_manager, volunteer, huiyang_volunteer):
    _token, secret = token_for(county_manager, can_write=True)
    body = {"mobile": volunteer.user.mobile}
    r = client.post("/api/v1/accounts/help/lookup", body, content_type="application/json", **bearer(secret))
    assert r.status_code == 200 and r.json()["mobile_masked"] == volunteer.user.masked_mobile
    assert volunteer.user.mobile not in r.content.decode()
    outside = client.get(f"/api/v1/accounts/help/{huiyang_volunteer.user.pk}", **bearer(secret))
    missing = client.get("/api/v1/accounts/help/999999", **bearer(secret))
    assert outside.status_code == missing.status_code == 404 and outside.json() == missing.json()
    r = client.post(f"/api/v1/accounts/help/{volunteer.user.pk}/reset-code", **bearer(secret))
    assert r.status_code == 201 and re.fullmatch(r"[A-Z2-9-]{14}", r.json()["code"])


def test_api_read_only_tokens_cannot_unlock(client, county_manager, volunteer):
    locked(volunteer.user)
    _token, secret = token_for(county_manager, can_write=False)
    r = client.post(f"/api/v1/accounts/help/{volunteer.user.pk}/unlock", **bearer(secret))
    assert r.status_code == 403
    volunteer.user.refresh_from_db()
    assert volunteer.user.locked_until is not None


def test_api_plain_users_get_403(client, plain_user, volunteer):
    client.force_login(plain_user)
    assert client.get(f"/api/v1/accounts/help/{volunteer.user.pk}").status_code == 403
    assert client.get("/api/v1/accounts/totp-resets").status_code == 403


def test_api_two_person_totp_reset(client, city_manager, county_manager, platform_admin):
    _t, city = token_for(city_manager, can_write=True)
    _t, admin = token_for(platform_admin, can_write=True)
    url = f"/api/v1/accounts/help/{county_manager.pk}/totp-reset"
    r = client.post(url, {"reason": "手机丢失"}, content_type="application/json", **bearer(city))
    assert r.status_code == 201 and r.json()["status"] == "pending"
    rid = r.json()["id"]
    assert client.post(f"/api/v1/accounts/totp-resets/{rid}/approve", **bearer(city)).status_code == 403
    assert [x["id"] for x in client.get("/api/v1/accounts/totp-resets", **bearer(admin)).json()] == [rid]
    r = client.post(f"/api/v1/accounts/totp-resets/{rid}/approve", **bearer(admin))
    assert r.status_code == 200 and r.json()["status"] == "done"


# --- pages -------------------------------------------------------------------------------------------


def test_login_page_links_to_recovery_and_registration(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/recover/"' in page and 'href="/volunteers/register/"' in page


def test_recovery_pages(client, volunteer):
    r = client.post("/accounts/recover/", {"mobile": volunteer.user.mobile})
    assert r.status_code == 302 and r["Location"] == "/accounts/recover/reset/"
    page = client.get("/accounts/recover/reset/").content.decode()
    assert volunteer.user.mobile in page  # prefilled from the session, not from the URL
    code = sms.outbox[0].params["code"]
    data = {"mobile": volunteer.user.mobile, "code": code, "new_password": NEW_PASSWORD, "new_password2": "Other#Pass2027"}
    r = client.post("/accounts/recover/reset/", data)
    assert r.status_code == 200 and "两次输入的新密码不一致" in r.content.decode()
    r = client.post("/accounts/recover/reset/", {**data, "new_password2": NEW_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    assert can_log_in(client, volunteer.user, NEW_PASSWORD)


def test_manager_help_page(client, county_manager, volunteer, huiyang_volunteer):
    client.force_login(county_manager)
    r = client.post("/accounts/help/", {"mobile": huiyang_volunteer.user.mobile})
    assert r.status_code == 200 and "没有找到该账号" in r.content.decode()
    r = client.post("/accounts/help/", {"mobile": volunteer.user.mobile})
    assert r.status_code == 302 and r["Location"] == f"/accounts/help/{volunteer.user.pk}/"
    r = client.post(f"/accounts/help/{volunteer.user.pk}/reset-code/")
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    code = re.search(r"data-issued-code>([A-Z2-9-]+)<", r.content.decode()).group(1)
    recovery.recovery_password_reset(mobile=volunteer.user.mobile, code=code, new_password=NEW_PASSWORD)
    assert client.get(f"/accounts/help/{huiyang_volunteer.user.pk}/").status_code == 404
    assert client.post(f"/accounts/help/{huiyang_volunteer.user.pk}/unlock/").status_code == 404


def test_help_page_is_for_managers_only(client, plain_user):
    client.force_login(plain_user)
    assert client.get("/accounts/help/").status_code == 403


def test_help_nav_for_region_managers(client, county_manager, plain_user):
    client.force_login(county_manager)
    assert 'href="/accounts/help/"' in client.get("/").content.decode()
    client.force_login(plain_user)
    assert 'href="/accounts/help/"' not in client.get("/").content.decode()


def test_services_password_change_still_checks_the_rules(plain_user):
    with pytest.raises(DomainError) as exc:
        services.password_change(user=plain_user, old_password=PASSWORD, new_password=PASSWORD)
    assert "new_password" in exc.value.fields


def test_station_admin_of_a_region_is_in_scope(county_manager):
    # an object-role holder whose assignment carries a region inside the county
    admin = make_user("13800009999", "站长", role=Role.STATION_ADMIN, region_code="441302001000", object_id=1)
    assert recovery.can_help(county_manager, admin)


def test_aliyun_adapter_sends_a_signed_request(settings, monkeypatch):
    import io
    import json
    import urllib.parse

    settings.ZHIYUAN_SMS_BACKEND = "aliyun"
    settings.ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_ID = "testid"
    settings.ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_SECRET = "testsecret"
    settings.ZHIYUAN_SMS_ALIYUN_SIGN_NAME = "志愿惠州"
    settings.ZHIYUAN_SMS_ALIYUN_TEMPLATES = [("recovery_code", "SMS_000001")]
    sent = []

    def fake_urlopen(url, timeout):
        sent.append(url)
        return io.BytesIO(json.dumps({"Code": sent_code[0], "Message": "x"}).encode())

    sent_code = ["OK"]
    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    sms.sms_send(mobile="13800138000", template="recovery_code", params={"code": "123456", "minutes": 10})
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(sent[0]).query)
    assert query["Action"] == ["SendSms"] and query["TemplateCode"] == ["SMS_000001"]
    assert json.loads(query["TemplateParam"][0]) == {"code": "123456", "minutes": "10"}
    assert query["Signature"][0] and query["SignName"] == ["志愿惠州"]
    sent_code[0] = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(sms.SmsError):
        sms.sms_send(mobile="13800138000", template="recovery_code", params={"code": "1", "minutes": 10})


def test_aliyun_signature_matches_the_documented_construction():
    # Signature version 1.0: HMAC-SHA1 with key secret + "&" over GET&%2F&<encoded canonical query>
    import base64
    import hashlib
    import hmac
    import urllib.parse

    params = {"b": "x y", "a": "1*~"}
    query = sms.aliyun_signed_query(params, "secret")
    canonical = "a=1%2A~&b=x%20y"
    expected = base64.b64encode(
        hmac.new(b"secret&", ("GET&%2F&" + urllib.parse.quote(canonical, safe="~")).encode(), hashlib.sha1).digest()
    ).decode()
    assert query == canonical + "&Signature=" + urllib.parse.quote(expected, safe="~")
