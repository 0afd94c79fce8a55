"""Services of the accounts app: login and lockout, TOTP, password, roles, API tokens."""

import datetime
import hashlib
import importlib
import time

import pyotp
import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import RequestFactory
from django.utils import timezone

from zhiyuan.accounts import services
from zhiyuan.accounts.models import ApiToken, RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.tests.factories import HUICHENG_TOWN, HUIYANG_TOWN, assignment_of, town_manager, user
from zhiyuan.core.crypto import unseal
from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import AuditEntry
from zhiyuan.testing import HUICHENG, HUIYANG, PASSWORD

pytestmark = pytest.mark.django_db


def req(ip="203.0.113.7"):
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)


def login(mobile, password, ip="203.0.113.7"):
    return services.login_attempt(request=req(ip), mobile=mobile, password=password)


def last_entry(action=None) -> AuditEntry:
    qs = AuditEntry.objects.order_by("-id")
    if action:
        qs = qs.filter(action=action)
    return qs.first()


# --- passwords -----------------------------------------------------------------------------------


def test_argon2_is_the_production_hasher():
    # conftest prepends MD5 for speed; the settings module itself must declare argon2 first.
    declared = importlib.import_module("zhiyuan.settings").PASSWORD_HASHERS
    assert declared[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert not any("MD5" in h or "SHA1" in h or "Unsalted" in h for h in declared)


def test_argon2_hashes_a_password_when_configured(settings, plain_user):
    settings.PASSWORD_HASHERS = importlib.import_module("zhiyuan.settings").PASSWORD_HASHERS
    plain_user.set_password("Another#Pass1")
    assert identify_hasher(plain_user.password).algorithm == "argon2"
    assert plain_user.check_password("Another#Pass1")


# --- login, lockout, enumeration --------------------------------------------------------------------


def test_login_success_is_audited(plain_user):
    assert login(plain_user.mobile, PASSWORD) == plain_user
    entry = last_entry("accounts.login")
    assert entry.result == "ok" and entry.actor_id == plain_user.pk
    assert entry.ip == "203.0.113.7"


def test_unknown_mobile_and_wrong_password_look_the_same(plain_user):
    with pytest.raises(DomainError) as wrong:
        login(plain_user.mobile, "Wrong#Pass1")
    with pytest.raises(DomainError) as unknown:
        login("13712345678", "Wrong#Pass1")
    assert wrong.value.code == unknown.value.code == "invalid_login"
    assert str(wrong.value.message) == str(unknown.value.message) == "手机号或密码错误。"
    assert wrong.value.status == unknown.value.status
    failed = AuditEntry.objects.filter(action="accounts.login", result="failed")
    assert failed.count() == 2
    unknown_entry = failed.filter(actor__isnull=True).get()
    assert unknown_entry.detail["mobile"] == "137****5678"  # masked, never the whole number


def test_lockout_after_max_failures_with_minutes_left(settings, plain_user):
    settings.ZHIYUAN_LOGIN_MAX_FAILURES = 5
    settings.ZHIYUAN_LOGIN_LOCKOUT_SECONDS = 15 * 60
    for _ in range(4):
        with pytest.raises(DomainError) as exc:
            login(plain_user.mobile, "Wrong#Pass1")
        assert exc.value.code == "invalid_login"
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, "Wrong#Pass1")
    assert exc.value.code == "account_locked"
    assert "15 分钟" in str(exc.value.message) and "锁定" in str(exc.value.message)
    # Locked: even the right password is refused, with the remaining time.
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, PASSWORD)
    assert exc.value.code == "account_locked"
    assert "15 分钟" in str(exc.value.message)
    plain_user.refresh_from_db()
    assert plain_user.failed_logins == 5 and plain_user.locked_until > timezone.now()
    lock = last_entry("accounts.login.lockout")
    assert lock.result == "denied" and lock.actor_id == plain_user.pk
    assert AuditEntry.objects.filter(action="accounts.login", result="denied", actor=plain_user).exists()


def test_remaining_minutes_count_down(plain_user):
    plain_user.locked_until = timezone.now() + datetime.timedelta(seconds=125)
    plain_user.save()
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, PASSWORD)
    assert "3 分钟" in str(exc.value.message)


def test_unlocks_after_the_lockout_time(plain_user):
    plain_user.failed_logins = 5
    plain_user.locked_until = timezone.now() - datetime.timedelta(seconds=1)
    plain_user.save()
    assert login(plain_user.mobile, PASSWORD) == plain_user
    plain_user.refresh_from_db()
    assert plain_user.failed_logins == 0 and plain_user.locked_until is None


def test_expired_lock_starts_a_fresh_count(settings, plain_user):
    settings.ZHIYUAN_LOGIN_MAX_FAILURES = 5
    plain_user.failed_logins = 5
    plain_user.locked_until = timezone.now() - datetime.timedelta(seconds=1)
    plain_user.save()
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, "Wrong#Pass1")
    assert exc.value.code == "invalid_login"
    plain_user.refresh_from_db()
    assert plain_user.failed_logins == 1 and plain_user.locked_until is None


def test_unknown_mobile_locks_like_a_real_account(settings):
    """No enumeration through the lockout either: an unknown number is 'locked' the same way."""
    settings.ZHIYUAN_LOGIN_MAX_FAILURES = 3
    codes = []
    for _ in range(4):
        with pytest.raises(DomainError) as exc:
            login("13712345678", "Wrong#Pass1")
        codes.append(exc.value.code)
    assert codes == ["invalid_login", "invalid_login", "account_locked", "account_locked"]


def test_login_rate_limit_per_address(settings, plain_user):
    settings.ZHIYUAN_LOGIN_RATE = 3
    for _ in range(3):
        login(plain_user.mobile, PASSWORD, ip="198.51.100.1")
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, PASSWORD, ip="198.51.100.1")
    assert exc.value.status == 429 and exc.value.code == "rate_limited"
    assert "频繁" in str(exc.value.message)
    assert login(plain_user.mobile, PASSWORD, ip="198.51.100.2") == plain_user  # another address


def test_inactive_user_gets_the_generic_message(plain_user):
    plain_user.is_active = False
    plain_user.save()
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, PASSWORD)
    assert exc.value.code == "invalid_login"


@pytest.mark.parametrize(
    "mobile,password",
    [("1" * 10_000, PASSWORD), ("<script>alert(1)</script>", PASSWORD), ("139０００００００9", PASSWORD), ("", "")],
)
def test_hostile_login_input_is_a_plain_failure(plain_user, mobile, password):
    with pytest.raises(DomainError) as exc:
        login(mobile, password)
    assert exc.value.code == "invalid_login"


def test_very_long_password_is_refused_without_hashing(plain_user):
    with pytest.raises(DomainError) as exc:
        login(plain_user.mobile, "A#1" * 10_000)
    assert exc.value.code == "invalid_login"


# --- TOTP ---------------------------------------------------------------------------------------------


def test_totp_secret_is_sealed(plain_user):
    secret = services.totp_begin(user=plain_user)
    plain_user.refresh_from_db()
    assert secret not in plain_user.totp_secret_sealed
    assert unseal(plain_user.totp_secret_sealed, purpose="accounts.totp") == secret
    assert services.totp_secret(user=plain_user) == secret
    assert not plain_user.totp_enabled


def test_totp_confirm_needs_the_right_code(plain_user):
    secret = services.totp_begin(user=plain_user)
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    with pytest.raises(DomainError) as exc:
        services.totp_confirm(user=plain_user, code=wrong)
    assert exc.value.code == "totp_invalid" and "code" in exc.value.fields
    plain_user.refresh_from_db()
    assert not plain_user.totp_enabled
    services.totp_confirm(user=plain_user, code=pyotp.TOTP(secret).now())
    plain_user.refresh_from_db()
    assert plain_user.totp_enabled
    assert last_entry("accounts.totp.enable").actor_id == plain_user.pk
    with pytest.raises(DomainError):
        services.totp_begin(user=plain_user)  # enabled: no silent replacement


def test_totp_uri_names_the_issuer(settings, plain_user):
    settings.ZHIYUAN_TOTP_ISSUER = "测试平台"
    services.totp_begin(user=plain_user)
    uri = services.totp_uri(user=plain_user)
    assert uri.startswith("otpauth://totp/") and "issuer=%E6%B5%8B%E8%AF%95%E5%B9%B3%E5%8F%B0" in uri


def test_totp_verify_refuses_replay_and_wrong_codes(county_manager):
    secret = services.totp_secret(user=county_manager)
    otp = pyotp.TOTP(secret)
    now_step = int(time.time()) // 30
    code = otp.generate_otp(now_step)
    services.totp_verify(user=county_manager, code=code)
    with pytest.raises(DomainError) as exc:
        services.totp_verify(user=county_manager, code=code)
    assert exc.value.code == "totp_replayed" and "已经使用" in str(exc.value.message)
    # An older step is refused too once a newer one was used.
    with pytest.raises(DomainError):
        services.totp_verify(user=county_manager, code=otp.generate_otp(now_step - 1))
    # The next step (clock drift +1) is accepted once.
    services.totp_verify(user=county_manager, code=otp.generate_otp(now_step + 1))
    for bad in ("000000" if otp.generate_otp(now_step + 1) != "000000" else "111111", "12345", "abcdef", "", "1" * 10_000):
        with pytest.raises(DomainError) as exc:
            services.totp_verify(user=county_manager, code=bad)
        assert exc.value.code in ("totp_invalid", "totp_replayed")


def test_totp_window_is_one_step(plain_user):
    services.totp_begin(user=plain_user)
    secret = services.totp_secret(user=plain_user)
    services.totp_confirm(user=plain_user, code=pyotp.TOTP(secret).now())
    plain_user.refresh_from_db()
    step = int(time.time()) // 30
    with pytest.raises(DomainError):
        services.totp_verify(user=plain_user, code=pyotp.TOTP(secret).generate_otp(step + 3))
    services.totp_verify(user=plain_user, code=pyotp.TOTP(secret).generate_otp(step - 1))


def test_wrong_codes_at_login_count_towards_the_lockout(settings, plain_user):
    settings.ZHIYUAN_LOGIN_MAX_FAILURES = 3
    services.totp_begin(user=plain_user)
    services.totp_confirm(user=plain_user, code=pyotp.TOTP(services.totp_secret(user=plain_user)).now())
    # The password step alone does not reset the counter (no free code guesses after it).
    plain_user.failed_logins = 1
    plain_user.save(update_fields=["failed_logins"])
    assert login(plain_user.mobile, PASSWORD) == plain_user
    assert last_entry().action == "accounts.login.password"
    plain_user.refresh_from_db()
    assert plain_user.failed_logins == 1
    with pytest.raises(DomainError) as exc:
        services.login_totp(request=req(), user=plain_user, code="999999x")
    assert exc.value.code == "totp_invalid"
    with pytest.raises(DomainError) as exc:
        services.login_totp(request=req(), user=plain_user, code="12345")
    assert exc.value.code == "account_locked"


def test_login_totp_success_resets_the_counter(plain_user):
    services.totp_begin(user=plain_user)
    secret = services.totp_secret(user=plain_user)
    services.totp_confirm(user=plain_user, code=pyotp.TOTP(secret).now())
    plain_user.failed_logins = 2
    plain_user.save(update_fields=["failed_logins"])
    services.login_totp(request=req(), user=plain_user, code=pyotp.TOTP(secret).now())
    plain_user.refresh_from_db()
    assert plain_user.failed_logins == 0
    entry = last_entry("accounts.login")
    assert entry.result == "ok" and entry.detail == {"second_factor": "totp"}


def test_totp_disable_refused_for_managers(county_manager, platform_admin):
    for manager in (county_manager, platform_admin):
        with pytest.raises(DomainError) as exc:
            services.totp_disable(user=manager, password=PASSWORD)
        assert exc.value.status == 403
        manager.refresh_from_db()
        assert manager.totp_enabled


def test_totp_disable_for_a_plain_user_needs_the_password(plain_user):
    services.totp_begin(user=plain_user)
    services.totp_confirm(user=plain_user, code=pyotp.TOTP(services.totp_secret(user=plain_user)).now())
    with pytest.raises(DomainError) as exc:
        services.totp_disable(user=plain_user, password="Wrong#Pass1")
    assert exc.value.code == "wrong_password"
    services.totp_disable(user=plain_user, password=PASSWORD)
    plain_user.refresh_from_db()
    assert not plain_user.totp_enabled and plain_user.totp_secret_sealed == ""
    assert last_entry("accounts.totp.disable").actor_id == plain_user.pk


# --- password and profile -----------------------------------------------------------------------------


def test_password_change_checks_the_old_password(plain_user):
    with pytest.raises(DomainError) as exc:
        services.password_change(user=plain_user, old_password="nope", new_password="Better#Pass2")
    assert "old_password" in exc.value.fields


@pytest.mark.parametrize("new", ["12345678", "password", "abcdefgh", "Ab#1", "x" * 200, PASSWORD])
def test_password_change_applies_the_validators(plain_user, new):
    with pytest.raises(DomainError) as exc:
        services.password_change(user=plain_user, old_password=PASSWORD, new_password=new)
    assert exc.value.fields["new_password"]
    plain_user.refresh_from_db()
    assert plain_user.check_password(PASSWORD)


def test_password_change_succeeds_and_is_audited(plain_user):
    services.password_change(user=plain_user, old_password=PASSWORD, new_password="Better#Pass2")
    plain_user.refresh_from_db()
    assert plain_user.check_password("Better#Pass2")
    assert last_entry("accounts.password.change").actor_id == plain_user.pk


def test_profile_update_validates(plain_user):
    with pytest.raises(DomainError) as exc:
        services.profile_update(user=plain_user, display_name="名" * 51, email="not-an-email")
    assert set(exc.value.fields) == {"display_name", "email"}
    services.profile_update(user=plain_user, display_name="<script>alert(1)</script>😀", email="a@example.cn")
    plain_user.refresh_from_db()
    assert plain_user.display_name == "<script>alert(1)</script>😀"


# --- roles ----------------------------------------------------------------------------------------------------


def test_county_manager_grants_a_town_manager_inside_the_county(county_manager):
    u = user("桥东街道干部")
    a = services.role_grant(actor=county_manager, user=u, role=Role.REGION_MANAGER, region_code="441302001")
    assert a.region_code == HUICHENG_TOWN and a.granted_by == county_manager and a.active
    entry = last_entry("accounts.role.grant")
    assert entry.result == "ok" and entry.object_id == str(a.pk) and entry.detail["region_code"] == HUICHENG_TOWN


@pytest.mark.parametrize(
    "role,region",
    [
        (Role.REGION_MANAGER, HUIYANG_TOWN),  # the neighbouring county
        (Role.REGION_MANAGER, HUICHENG),  # a peer (its own level), not strictly inside
        (Role.REGION_MANAGER, "441300000000"),  # above itself
        (Role.PLATFORM_ADMIN, ""),
    ],
)
def test_county_manager_cannot_grant_outside_or_above(county_manager, role, region):
    u = user()
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=county_manager, user=u, role=role, region_code=region, object_id=5)
    assert exc.value.status == 403
    assert not RoleAssignment.objects.filter(user=u).exists()
    assert last_entry("accounts.role.grant").result == "denied"


def test_city_manager_grants_county_managers(city_manager):
    u = user()
    a = services.role_grant(actor=city_manager, user=u, role=Role.REGION_MANAGER, region_code=HUIYANG)
    assert a.region_code == HUIYANG


def test_platform_admin_grants_anything_with_valid_scope(platform_admin):
    u = user()
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=platform_admin, user=u, role=Role.ORG_ADMIN)
    assert "object_id" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=platform_admin, user=u, role=Role.REGION_MANAGER, region_code="999999")
    assert "region_code" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=platform_admin, user=u, role=Role.VOLUNTEER)
    assert "role" in exc.value.fields
    services.role_grant(actor=platform_admin, user=u, role=Role.PLATFORM_ADMIN)
    with pytest.raises(DomainError) as exc:
        services.role_grant(actor=platform_admin, user=u, role=Role.PLATFORM_ADMIN)
    assert exc.value.status == 409


@pytest.mark.parametrize(
    "role,message",
    [
        (Role.ORG_ADMIN, "该组织不存在，请核对组织编号。"),
        (Role.STATION_ADMIN, "该站点不存在，请核对站点编号。"),
    ],
)
def test_object_role_needs_an_existing_object(platform_admin, county_manager, role, message):
    # Granting an organization or station admin names the object by id; an id that names nothing
    # is refused with a field error, for platform admins and region managers alike. (Scope and
    # status of real objects: organizations/tests/test_role_grants.py, stations/tests/test_role_grants.py.)
    u = user()
    for actor in (platform_admin, county_manager):
        with pytest.raises(DomainError) as exc:
            services.role_grant(actor=actor, user=u, role=role, object_id=987_654)
        assert exc.value.status == 400 and exc.value.fields == {"object_id": [message]}
    assert not RoleAssignment.objects.filter(user=u).exists()
    assert last_entry("accounts.role.grant") is None


def test_granted_manager_role_is_effective_at_once(platform_admin):
    from zhiyuan.accounts.scopes import actor_region_prefixes

    u = user()
    assert actor_region_prefixes(u) == []
    services.role_grant(actor=platform_admin, user=u, role=Role.REGION_MANAGER, region_code=HUICHENG)
    assert actor_region_prefixes(u) == ["441302"]


def test_county_manager_revokes_a_town_manager_but_not_itself(county_manager):
    town = town_manager(HUICHENG_TOWN)
    a = services.role_revoke(actor=county_manager, assignment=assignment_of(town))
    assert not a.active and a.revoked_by == county_manager and a.revoked_at
    assert last_entry("accounts.role.revoke").result == "ok"
    with pytest.raises(DomainError) as exc:
        services.role_revoke(actor=county_manager, assignment=assignment_of(county_manager))
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        services.role_revoke(actor=county_manager, assignment=a)
    assert exc.value.status in (403, 409)


def test_revoking_twice_is_a_conflict(platform_admin, county_manager):
    a = assignment_of(county_manager)
    services.role_revoke(actor=platform_admin, assignment=a)
    with pytest.raises(DomainError) as exc:
        services.role_revoke(actor=platform_admin, assignment=a)
    assert exc.value.status == 409 and exc.value.code == "already_revoked"


def test_last_platform_admin_cannot_be_revoked(platform_admin):
    with pytest.raises(DomainError) as exc:
        services.role_revoke(actor=platform_admin, assignment=assignment_of(platform_admin))
    assert exc.value.code == "last_platform_admin"


# --- API tokens -----------------------------------------------------------------------------------------------


def test_token_secret_is_shown_once_and_only_its_hash_stored(county_manager):
    token, secret = services.api_token_create(actor=county_manager, name="区平台同步", can_write=True)
    assert secret.startswith("zyt_") and len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.key_hash, stored.key_prefix, stored.name}
    assert stored.key_prefix == secret[:12]
    entry = last_entry("accounts.token.create")
    assert secret not in str(entry.detail)


def test_token_region_must_be_inside_the_scope(county_manager, plain_user, platform_admin):
    token, _ = services.api_token_create(actor=county_manager, name="t", region_prefix=HUICHENG_TOWN)
    assert token.region_prefix == "441302001"
    for bad in (HUIYANG, "4413", "44", "999999", "abc"):
        with pytest.raises(DomainError) as exc:
            services.api_token_create(actor=county_manager, name="t", region_prefix=bad)
        assert "region_prefix" in exc.value.fields
    with pytest.raises(DomainError):
        services.api_token_create(actor=plain_user, name="t", region_prefix=HUICHENG)
    token, _ = services.api_token_create(actor=platform_admin, name="t", region_prefix="44")
    assert token.region_prefix == "44"


@pytest.mark.parametrize("name", ["", "   ", "名" * 101])
def test_token_name_is_required_and_bounded(api_user, name):
    with pytest.raises(DomainError) as exc:
        services.api_token_create(actor=api_user, name=name)
    assert "name" in exc.value.fields


def test_token_expiry_must_be_in_the_future(api_user):
    with pytest.raises(DomainError) as exc:
        services.api_token_create(actor=api_user, name="t", expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert "expires_at" in exc.value.fields


def test_token_creation_is_rate_limited(settings, api_user):
    settings.ZHIYUAN_API_TOKEN_CREATE_RATE = 2
    services.api_token_create(actor=api_user, name="a")
    services.api_token_create(actor=api_user, name="b")
    with pytest.raises(DomainError) as exc:
        services.api_token_create(actor=api_user, name="c")
    assert exc.value.status == 429 and "频繁" in str(exc.value.message)


def test_a_token_cannot_create_tokens(api_user):
    token, _ = services.api_token_create(actor=api_user, name="a", can_write=True)
    acting = User.objects.get(pk=api_user.pk)
    acting._zy_token = token
    with pytest.raises(DomainError) as exc:
        services.api_token_create(actor=acting, name="b")
    assert exc.value.status == 403


def test_token_revoke_only_own_and_once(api_user, county_manager):
    token, _ = services.api_token_create(actor=api_user, name="a")
    with pytest.raises(DomainError) as exc:
        services.api_token_revoke(actor=county_manager, token_id=token.pk)
    assert exc.value.status == 404
    services.api_token_revoke(actor=api_user, token_id=token.pk)
    with pytest.raises(DomainError) as exc:
        services.api_token_revoke(actor=api_user, token_id=token.pk)
    assert exc.value.status == 409
    assert last_entry("accounts.token.revoke").actor_id == api_user.pk


def test_invisible_characters_in_a_display_name_are_refused(plain_user):
    for name in ("王\u202e五", "王\u200b五", "王\x00五"):
        with pytest.raises(DomainError) as exc:
            services.profile_update(user=plain_user, display_name=name, email="")
        assert set(exc.value.fields) == {"display_name"}
