"""Test helpers for the accounts app: users and role assignments through the real services
where a service exists (STYLE.md), plus API-token and client helpers."""

import itertools

import pyotp

from zhiyuan.accounts import services
from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.testing import PASSWORD, make_user

HUICHENG_TOWN = "441302001000"  # 桥东街道, 惠城区
HUIYANG_TOWN = "441303001000"  # 淡水街道, 惠阳区

_mobiles = itertools.count(13800000100)


def next_mobile() -> str:
    return str(next(_mobiles))


def user(name: str = "测试用户", **kwargs):
    return make_user(next_mobile(), name, **kwargs)


def town_manager(region_code: str = HUIYANG_TOWN, name: str = "淡水街道文明办"):
    """A town-level region manager (TOTP enabled, as the middleware demands)."""
    return make_user(next_mobile(), name, role=Role.REGION_MANAGER, region_code=region_code)


def assignment_of(u) -> RoleAssignment:
    return RoleAssignment.objects.get(user=u, active=True)


def token_for(actor, *, name="测试令牌", can_write=False, region_prefix="", expires_at=None):
    """Create a token through the service; returns (token, secret)."""
    return services.api_token_create(
        actor=actor, name=name, can_write=can_write, region_prefix=region_prefix, expires_at=expires_at
    )


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def next_code(user_obj) -> str:
    """A valid code for a step after the last one used (the next 30-second window), so a test
    can log in right after another login without hitting the replay guard."""
    import time

    secret = services.totp_secret(user=user_obj)
    step = max(int(time.time()) // 30, user_obj.totp_last_step + 1)
    return pyotp.TOTP(secret).generate_otp(step)


__all__ = ["HUICHENG_TOWN", "HUIYANG_TOWN", "PASSWORD"]
