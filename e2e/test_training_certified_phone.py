"""Issue 9 on a 390-px phone, as the demo city manager: register a certified trainer whose
certification expires soon (organization chosen with the search picker) and see it flagged
「即将到期」 in the trainers' cards; then import offline training records for a course — the
upload becomes an import job whose page names the bad row, and nothing is written."""

import datetime as dt
import io

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console
from openpyxl import Workbook


def _records_file(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["志愿者编号*", "完成日期*", "学时", "成绩"])
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_trainer_flagged_and_records_import_job_on_a_phone(browser, live_server, demo):
    from zhiyuan.accounts.models import User
    from zhiyuan.training.models import TrainingCourse, TrainingRecord
    from zhiyuan.volunteers.models import Volunteer

    manager = User.objects.get(mobile=demo["city_manager"]["mobile"])
    course = TrainingCourse.objects.visible_to(manager, "manage").filter(online=False).order_by("id").first()
    person = Volunteer.objects.visible_to(manager).order_by("id").first()
    records_before = TrainingRecord.objects.count()
    today = dt.date.today()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)
    try:
        login(page, demo["city_manager"])
        page.goto("/training/manage/trainers/")
        assert no_horizontal_overflow(page), "the trainers list overflows on a phone"
        page.click("[data-certified-create]")
        page.fill("input[name=name]", "手机端培训师")
        page.fill("input[name=certification_no]", "E2E-PX-0001")
        page.fill("input[name=certified_on]", (today - dt.timedelta(days=700)).isoformat())
        page.fill("input[name=expires_on]", (today + dt.timedelta(days=10)).isoformat())
        page.locator("input[name=organization_id][value]:not([value=''])").first.check()
        assert no_horizontal_overflow(page), "the trainer form overflows on a phone"
        page.click("form[data-certified-form] button[type=submit]")
        page.wait_for_url("**/training/manage/trainers/")
        card = page.locator("[data-list='training.trainer'] tbody tr", has_text="手机端培训师")
        assert card.count() == 1 and "即将到期" in card.inner_text()
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert no_horizontal_overflow(page)

        page.goto(f"/training/manage/courses/{course.pk}/")
        page.set_input_files(
            "#records-import input[name=file]",
            files=[{"name": "线下培训.xlsx", "mimeType": "application/octet-stream",
                    "buffer": _records_file([(person.volunteer_no, "2026-01-05", 4, 90), ("不存在的编号", "2026-01-05")])}],
        )  # fmt: skip
        page.click("#records-import button[value=import]")
        page.wait_for_url("**/volunteers/manage/import/jobs/*/")
        page.wait_for_selector("#import-job[data-status=done]")
        assert page.locator("tr[data-row='3'][data-field='volunteer_no']").count() == 1
        assert "有错误，本次没有导入任何数据" in page.inner_text("#import-job")
        assert no_horizontal_overflow(page), "the import job page overflows on a phone"
        assert TrainingRecord.objects.count() == records_before
        assert errors == []
    finally:
        context.close()
