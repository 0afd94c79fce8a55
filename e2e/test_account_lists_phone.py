"""The accounts lists and the import-jobs list on a 390-px phone (issue #7 item 4): each is a
list of cards (``core/partials/_list_table.html``), nothing scrolls sideways, and a card shows
its identity and status without scrolling."""

from e2e_support import PHONE, login, no_horizontal_overflow


def _cards_fit(page, name: str) -> None:
    block = page.locator(f"[data-list='{name}']")
    assert block.count() == 1, name
    assert no_horizontal_overflow(page), f"{name} overflows a 390-px screen"
    rows = block.locator("tbody tr")
    if rows.count():
        first = rows.first.bounding_box()
        assert first is not None and first["x"] >= 0 and first["x"] + first["width"] <= 390, name
        key = rows.first.locator("td.col-key").first.bounding_box()
        assert key is not None and key["x"] + key["width"] <= 390, name
        # the header row is visually hidden: the card is the row itself
        assert block.locator("thead").bounding_box()["height"] <= 1


def test_roles_audit_tokens_and_import_jobs_fit_a_phone(browser, live_server, demo):
    from zhiyuan.accounts.models import User
    from zhiyuan.accounts.services import api_token_create
    from zhiyuan.volunteers.models import ImportJob

    admin = User.objects.get(mobile=demo["city_manager"]["mobile"])
    api_token_create(actor=admin, name="区县对接平台（很长的名称用于检查换行是否正确）", can_write=True)
    ImportJob.objects.create(
        created_by=admin, scope="4413", mode="dry_run", status="done", file_name="志愿者导入名单-" + "很长的文件名" * 6 + ".xlsx",
        file_sha256="0" * 64, rows_total=12345, rows_valid=12000, rows_invalid=345,
    )  # fmt: skip
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, demo["city_manager"])
        for path, name in (
            ("/accounts/roles/", "accounts.role"),
            ("/accounts/audit/", "accounts.audit"),
            ("/accounts/tokens/", "accounts.token"),
            ("/volunteers/manage/import/jobs/", "volunteer.import_job"),
        ):
            page.goto(path)
            _cards_fit(page, name)
        # the token's revoke button sits on its card, a 44-px target
        page.goto("/accounts/tokens/")
        button = page.locator("[data-list='accounts.token'] td.col-action button").first
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44 and box["x"] + box["width"] <= 390
    finally:
        context.close()
