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
