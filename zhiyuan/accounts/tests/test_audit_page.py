"""The audit log page shows actions by their registered labels and filters by them."""

import io

import pytest
from openpyxl import load_workbook

from zhiyuan.core.audit import audit_record

pytestmark = pytest.mark.django_db
AUDIT = "/accounts/audit/"


def rows_of(page: str) -> list[str]:
    """The action codes of the table rows, in order."""
    import re

    return re.findall(r'<span data-action="([^"]*)"', page)


def test_actions_are_shown_by_label_with_the_code_as_fallback(client, platform_admin):
    audit_record(actor=platform_admin, action="volunteer.reveal_id")
    audit_record(actor=platform_admin, action="test.unlabelled")
    client.force_login(platform_admin)
    page = client.get(AUDIT).content.decode()
    cell = '<span data-action="{0}" title="{0}">{1}</span>'
    assert cell.format("volunteer.reveal_id", "查看完整证件号码") in page
    assert cell.format("test.unlabelled", "test.unlabelled") in page
    page = client.get(AUDIT, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">View the full ID number</span>" in page


def test_action_filter_lists_labels_grouped_by_app(client, platform_admin):
    client.force_login(platform_admin)
    page = client.get(AUDIT).content.decode()
    assert '<select name="action" id="id_action">' in page
    assert '<optgroup label="账户与权限">' in page and '<optgroup label="志愿者">' in page
    assert '<option value="accounts.">账户与权限（全部）</option>' in page
    assert '<option value="accounts.login">登录</option>' in page
    assert '<option value="stations.point.close">关闭站点</option>' in page


def test_a_chosen_action_matches_that_code_only_and_a_group_its_prefix(client, platform_admin):
    for code in ("accounts.login", "accounts.login.lockout", "accounts.logout", "volunteer.export"):
        audit_record(actor=platform_admin, action=code)
    client.force_login(platform_admin)
    page = client.get(AUDIT, {"action": "accounts.login"}).content.decode()
    assert rows_of(page) == ["accounts.login"]
    assert '<option value="accounts.login" selected>登录</option>' in page
    page = client.get(AUDIT, {"action": "accounts."}).content.decode()
    assert {"accounts.logout", "accounts.login.lockout", "accounts.login"} <= set(rows_of(page))
    assert all(code.startswith("accounts.") for code in rows_of(page))
    # Any other value stays a prefix (older links, and the API's meaning) and is shown as chosen.
    page = client.get(AUDIT, {"action": "accounts.log"}).content.decode()
    assert rows_of(page) == ["accounts.logout", "accounts.login.lockout", "accounts.login"]
    assert '<option value="accounts.log" selected>以“accounts.log”开头</option>' in page


def test_export_has_the_label_and_the_code(client, platform_admin):
    audit_record(actor=platform_admin, action="accounts.role.grant")
    audit_record(actor=platform_admin, action="accounts.role.revoke")
    client.force_login(platform_admin)
    r = client.get("/accounts/audit/export/", {"action": "accounts.role.grant"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][3:5] == ("操作", "操作代码")
    assert [row[3:5] for row in rows[1:]] == [("授予角色", "accounts.role.grant")]


# --- issue #8 item 5: labels, not internal names ------------------------------------------------------------


def _login_entry(user):
    audit_record(
        actor=user,
        action="accounts.login.password",
        obj=user,
        detail={"second_factor": "pending", "filters": {"sort": "name", "q": ""}, "fields": ["mobile", "name"], "zz_custom": 7},
    )


def test_object_type_and_detail_are_shown_readably(client, platform_admin):
    _login_entry(platform_admin)
    client.force_login(platform_admin)
    page = client.get(AUDIT, {"action": "accounts.login.password"}).content.decode()
    table = page[page.index('data-list="accounts.audit"') :]
    assert f"用户 #{platform_admin.pk}" in table
    assert "第二因素：待验证" in table
    assert "筛选条件：" in table and "排序: name" in table and "关键词: —" in table  # (PG's jsonb reorders keys)
    assert "字段：mobile, name" in table
    assert "zz_custom：7" in table  # an unknown key is shown as it is
    for internal in ("accounts.user", "second_factor=", "{'", "['"):
        assert internal not in table.replace('data-object-type="accounts.user"', "")
    page = client.get(AUDIT, {"action": "accounts.login.password"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"user #{platform_admin.pk}".lower() in page.lower()


def test_object_type_filter_is_a_select_of_audited_models(client, platform_admin, city_manager):
    _login_entry(platform_admin)
    audit_record(actor=platform_admin, action="accounts.logout", object_type="volunteers.volunteer", object_id="9")
    client.force_login(platform_admin)
    page = client.get(AUDIT).content.decode()
    assert '<select name="object_type" id="id_object_type">' in page
    assert '<option value="accounts.user">用户</option>' in page
    assert '<option value="volunteers.volunteer">志愿者</option>' in page
    page = client.get(AUDIT, {"object_type": "volunteers.volunteer"}).content.decode()
    assert rows_of(page) == ["accounts.logout"]
    assert '<option value="volunteers.volunteer" selected>志愿者</option>' in page


def test_unknown_object_type_is_a_field_error(client, platform_admin):
    client.force_login(platform_admin)
    r = client.get(AUDIT, {"object_type": "nope.model"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "选择一个有效的选项，可选：" in page and "accounts.user" in page.split("errorlist")[1]
    # The export refuses what the list refuses (one definition) and sends the user back to the form.
    r = client.get("/accounts/audit/export/", {"object_type": "x" * 500})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/audit/?object_type=")


def test_export_uses_the_same_labels(client, platform_admin):
    _login_entry(platform_admin)
    client.force_login(platform_admin)
    r = client.get("/accounts/audit/export/", {"action": "accounts.login.password"})
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True))
    assert rows[1][5:7] == ("用户", str(platform_admin.pk))
    assert {"第二因素: 待验证", "字段: mobile, name", "zz_custom: 7"} <= set(rows[1][9].split("; "))
    assert "排序: name" in rows[1][9] and "{" not in rows[1][9]


def test_the_api_keeps_the_raw_codes(client, platform_admin):
    from zhiyuan.accounts.tests.test_api import as_user

    _login_entry(platform_admin)
    c = as_user(client, platform_admin)
    item = c.get("/api/v1/accounts/audit-entries", {"action": "accounts.login.password"}).json()["items"][0]
    assert item["object_type"] == "accounts.user"
    assert item["detail"]["second_factor"] == "pending"
    assert item["detail"]["filters"] == {"sort": "name", "q": ""}
