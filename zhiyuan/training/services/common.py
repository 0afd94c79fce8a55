"""Helpers shared by the training services: who owns a piece of training business, text checks."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_object_ids, region_in_scope
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.core.text import text_error
from zhiyuan.organizations.models import Organization
from zhiyuan.regions.codes import normalize_code

INVALID_DATA = _("提交的数据有误，请检查后重试。")


def invalid(fields: dict) -> DomainError:
    return DomainError("invalid", INVALID_DATA, fields=fields, status=422)


def owner_resolve(*, actor, region_code: str = "", organization: Organization | None = None) -> tuple[str, Organization | None]:
    """The region and organization a course, trainer, base or session belongs to, checked against
    the actor: an organization admin creates for an active organization they administer (the
    region is the organization's); a region manager or platform admin for a region inside their
    scope (optionally naming an organization of that region). Anything else is refused (403)."""
    if organization is not None:
        if not organization.is_active:
            raise invalid({"organization_id": [_("该组织当前不可用。")]})
        if organization.pk in actor_object_ids(actor, Role.ORG_ADMIN) or region_in_scope(actor, organization.region_code):
            return organization.region_code, organization
        raise PermissionDenied()
    try:
        code = normalize_code(region_code)
    except ValueError:
        raise invalid({"region_code": [_("请选择有效的区划。")]}) from None
    if not region_in_scope(actor, code):
        raise PermissionDenied()
    return code, None


def clean_text(errors: dict, name: str, value, *, limit: int, required: bool = True, multiline: bool = False) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        errors.setdefault(name, []).append(_("此项为必填项。"))
        return value
    message = text_error(value, limit=limit, multiline=multiline)
    if message:
        errors.setdefault(name, []).append(message)
    return value


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, the last valid day when the month is shorter (31 Jan + 1 → 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
