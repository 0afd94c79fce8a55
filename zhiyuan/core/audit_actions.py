"""Readable labels of audit action codes, registered by the app that writes them.

The audit log stores stable codes (``accounts.login``, ``volunteer.reveal_id``); people reading
the log see labels. core owns the registry and knows no app: each app registers its own codes in
``AppConfig.ready`` under one prefix, e.g.::

    register_audit_actions("accounts.", _("账户与权限"), {
        "accounts.login": _("登录"),
        "accounts.logout": _("退出登录"),
    })

A code nobody registered (an old entry, a test) is shown as the code itself. A test scans the
source for ``audit_record`` action codes and fails when one has no label.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass
class AuditActionGroup:
    prefix: str  # every code of the group starts with it, e.g. "accounts."
    label: object  # lazy translated text
    actions: dict[str, object] = field(default_factory=dict)  # code -> lazy label


_groups: dict[str, AuditActionGroup] = {}
_labels: dict[str, object] = {}


def register_audit_actions(prefix: str, group_label, labels: dict[str, object]) -> None:
    """Register ``labels`` (code → lazy text) under the group ``prefix``. Call again to add codes."""
    if not prefix.endswith("."):
        raise ValueError(f"audit action prefix {prefix!r} must end with '.'")
    outside = [code for code in labels if not code.startswith(prefix) or code == prefix]
    if outside:
        raise ValueError(f"audit action codes {outside} are not under {prefix!r}")
    group = _groups.setdefault(prefix, AuditActionGroup(prefix, group_label))
    group.actions.update(labels)
    _labels.update(labels)


def audit_action_label(code: str) -> str:
    """The label of ``code`` in the active language, or the code itself if none is registered."""
    label = _labels.get(code)
    return str(label) if label is not None else code


def audit_action_is_registered(code: str) -> bool:
    return code in _labels


def audit_action_groups() -> list[AuditActionGroup]:
    """The groups in registration order (the order of INSTALLED_APPS), codes in registration order."""
    return list(_groups.values())


# --- object types and detail keys ----------------------------------------------------------------
#
# Entries store ``object_type`` as a model label (``accounts.user``) and ``detail`` as a JSON
# object of stable keys. The log page and its export show both readably: the model's
# verbose_name, and the detail keys/values by the labels below. Apps may add their own with
# ``register_audit_detail_labels``; an unknown key or value is shown as it is.

_detail_labels: dict[str, object] = {}
_detail_values: dict[str, object] = {}


def register_audit_detail_labels(keys: dict[str, object], values: dict[str, object] | None = None) -> None:
    """Register labels of detail keys (key → lazy text) and of coded values (value → lazy text)."""
    _detail_labels.update(keys)
    _detail_values.update(values or {})


def _common_detail_labels() -> None:
    from django.utils.translation import gettext_lazy as _

    register_audit_detail_labels(
        {
            "reason": _("原因"),
            "second_factor": _("第二因素"),
            "failures": _("失败次数"),
            "fields": _("字段"),
            "field": _("字段"),
            "filters": _("筛选条件"),
            "count": _("数量"),
            "mobile": _("手机号"),
            "channel": _("渠道"),
            "expires": _("有效期至"),
            "until": _("截止"),
            "was_locked": _("曾被锁定"),
            "request": _("申请"),
            "requested_by": _("申请人"),
            "issued_by": _("签发人"),
            "from": _("原状态"),
            "to": _("新状态"),
            "status": _("状态"),
            "role": _("角色"),
            "mode": _("方式"),
            "rows": _("行数"),
            "kind": _("类型"),
            "q": _("关键词"),
            "user": _("用户"),
            "user_id": _("用户编号"),
            "region_code": _("区划代码"),
            "dry_run": _("试运行"),
            "checked": _("已校验"),
            "sort": _("排序"),
        },
        {
            "pending": _("待验证"),
            "none": _("无"),
            "totp": _("动态口令"),
            "sms": _("短信"),
        },
    )


_common_detail_labels()


def _value_text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{audit_detail_key_label(k)}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    label = _detail_values.get(value) if isinstance(value, str) else None
    return str(label) if label is not None else str(value)


def audit_detail_key_label(key: str) -> str:
    label = _detail_labels.get(key)
    return str(label) if label is not None else str(key)


def audit_detail_items(detail) -> list[tuple[str, str]]:
    """``detail`` as (label, text) pairs in the active language; never a Python repr."""
    if not isinstance(detail, dict):
        return [] if detail in (None, "", [], {}) else [("", _value_text(detail))]
    return [(audit_detail_key_label(k), _value_text(v)) for k, v in detail.items()]


def audit_detail_text(detail) -> str:
    return "; ".join(f"{k}: {v}" if k else v for k, v in audit_detail_items(detail))


# The models the project writes audit entries about: the object-type filter offers these.
AUDITED_MODELS = (
    "accounts.user",
    "accounts.roleassignment",
    "accounts.apitoken",
    "activities.activity",  # ACT-2
    "activities.project",  # ACT-1
    "core.auditentry",
    "core.exportjob",
    "organizations.organization",
    "organizations.membership",
    "regions.regionpopulation",
    "stations.servicepoint",
    "volunteers.volunteer",
    "volunteers.importjob",
    "volunteers.privacynotice",
)


def _verbose_names() -> dict[str, object]:
    """Model label → lazy verbose_name for every project model (computed once; translated on use)."""
    global _verbose_cache
    if _verbose_cache is None:
        from django.apps import apps

        _verbose_cache = {
            m._meta.label_lower: m._meta.verbose_name for m in apps.get_models() if m.__module__.startswith("zhiyuan.")
        }
    return _verbose_cache


_verbose_cache: dict[str, object] | None = None


def audit_object_type_label(object_type: str) -> str:
    """The model's verbose_name in the active language (``用户``), or the stored code itself."""
    label = _verbose_names().get(object_type)
    return str(label) if label is not None else object_type


def audit_object_type_choices() -> list[tuple[str, str]]:
    """(model label, verbose_name) of the audited models, in the active language."""
    return [(code, audit_object_type_label(code)) for code in AUDITED_MODELS if code in _verbose_names()]
