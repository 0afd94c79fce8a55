"""The audit action label registry, and a scan of the source for codes that have no label."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from zhiyuan.core import audit_actions
from zhiyuan.core.audit_actions import audit_action_groups, audit_action_is_registered, audit_action_label

ROOT = Path(__file__).resolve().parents[2]  # the zhiyuan package
CODE_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
# Codes built at run time, with every value the placeholder takes.
DYNAMIC = {
    "organizations.org.{}": ["suspend", "reinstate", "deregister"],
    "{}.export": ["volunteer"],  # core.lists.list_export: "<ListSpec.name>.export"
}


def _constants(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _pattern(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def action_codes_in_source() -> tuple[set[str], set[str]]:
    """Codes passed as ``action=`` (to audit_record or the helpers that pass it on), given to
    ``audit_denials(...)`` or assigned to a ``*action`` variable; and f-string patterns."""
    codes, patterns = set(), set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values = []
            if isinstance(node, ast.Call):
                values += [k.value for k in node.keywords if k.arg == "action"]
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "audit_denials" and node.args:
                    values.append(node.args[0])
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id.endswith("action") for t in node.targets):
                    values.append(node.value)
            for value in values:
                if isinstance(value, ast.JoinedStr):
                    patterns.add(_pattern(value))
                codes.update(c for c in _constants(value) if CODE_RE.match(c))
    return codes, patterns


def test_every_audited_action_has_a_label():
    codes, patterns = action_codes_in_source()
    assert len(codes) > 40, "the scan found too few codes: has audit_record been renamed?"
    assert patterns <= set(DYNAMIC), f"list the values of these run-time codes in DYNAMIC: {patterns - set(DYNAMIC)}"
    for pattern in patterns:
        codes.update(pattern.format(v) for v in DYNAMIC[pattern])
    missing = sorted(c for c in codes if not audit_action_is_registered(c))
    assert not missing, (
        f"audit actions without a label: {missing}. Register them with core.audit_actions.register_audit_actions "
        "in the app's AppConfig.ready()."
    )


def test_labels_follow_the_language_and_fall_back_to_the_code():
    assert audit_action_label("accounts.login") == "登录"
    assert audit_action_label("volunteer.reveal_id") == "查看完整证件号码"
    with translation.override("en"):
        assert audit_action_label("accounts.login") == "Sign in"
    assert audit_action_label("test.unknown") == "test.unknown"


def test_groups_in_app_order_hold_their_codes():
    prefixes = [g.prefix for g in audit_action_groups()]
    assert {"accounts.", "regions.", "volunteer.", "organizations.", "stations."} <= set(prefixes)
    assert prefixes.index("volunteer.") < prefixes.index("organizations.") < prefixes.index("stations.")
    for group in audit_action_groups():
        assert group.actions and all(code.startswith(group.prefix) for code in group.actions)


def test_register_refuses_codes_outside_the_prefix(monkeypatch):
    monkeypatch.setattr(audit_actions, "_groups", {})
    monkeypatch.setattr(audit_actions, "_labels", {})
    with pytest.raises(ValueError):
        audit_actions.register_audit_actions("demo", "Demo", {"demo.a": "A"})
    with pytest.raises(ValueError):
        audit_actions.register_audit_actions("demo.", "Demo", {"other.a": "A"})
    audit_actions.register_audit_actions("demo.", "Demo", {"demo.a": "A"})
    audit_actions.register_audit_actions("demo.", "Demo", {"demo.b": "B"})
    assert list(audit_actions.audit_action_groups()[0].actions) == ["demo.a", "demo.b"]
