"""One domain error type. Services raise it; the API maps it to a JSON body and pages show
``message`` next to the form. Messages are translatable Chinese text."""


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message, *, fields: dict | None = None, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in (v if isinstance(v, list | tuple) else [v])] for k, v in self.fields.items()},
        }


class NotFound(DomainError):
    """Missing and invisible look the same (no leaking of what exists outside a scope)."""

    status = 404

    def __init__(self, message=None):
        from django.utils.translation import gettext_lazy as _

        super().__init__("not_found", message or _("对象不存在或无权访问。"))


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message=None):
        from django.utils.translation import gettext_lazy as _

        super().__init__("forbidden", message or _("没有权限执行此操作。"))


class Conflict(DomainError):
    status = 409


def fields_allowed_check(data: dict, allowed) -> None:
    """A 422 naming every field of ``data`` the caller may not change. A field the caller's role
    may not change is refused, never silently ignored (the caller would believe it changed)."""
    from django.utils.translation import gettext_lazy as _

    refused = sorted(k for k in data if k not in allowed)
    if refused:
        raise DomainError(
            "invalid",
            _("提交的数据有误，请检查后重试。"),
            fields={k: [_("您无权修改此项。")] for k in refused},
            status=422,
        )
