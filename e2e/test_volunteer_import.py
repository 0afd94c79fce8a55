"""Bulk import (VOL-10) on a 390-px phone: the city manager uploads a file that goes to the
background worker, watches the job page poll its progress (htmx), and sees the report appear
when the worker has run — then downloads it; nothing scrolls sideways, no console errors."""

import io

import openpyxl
from e2e_support import PHONE, login, no_horizontal_overflow, watch_console

from zhiyuan.testing import import_workbook
from zhiyuan.volunteers.idcards import generate_resident_id
from zhiyuan.volunteers.models import ImportJob
from zhiyuan.volunteers.tasks import import_job_task

TOWN = "441302001000"  # 桥东街道, 惠城区 (inside the demo city manager's 惠州市)


def test_manager_follows_a_background_import_on_a_phone(browser, live_server, demo, settings):
    import datetime as dt

    settings.ZHIYUAN_IMPORT_INLINE_ROWS = 0  # every upload goes to the worker ...
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # ... which waits for us
    names = ["导入甲", "导入乙", "导入丙", "导入丁"]
    rows = [
        [name, "111", generate_resident_id("441302", dt.date(1990, 3, i + 1), 7), "", "", TOWN, f"199555000{i:02d}", ""]
        for i, name in enumerate(names)
    ]
    rows.append(["坏行", "111", "123", "", "", TOWN, "19955500099", ""])
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)
    try:
        login(page, demo["city_manager"])
        page.goto("/volunteers/manage/import/")
        assert no_horizontal_overflow(page), "the import page overflows on a phone"
        page.set_input_files(
            "input[name=file]",
            files=[{"name": "志愿者.xlsx", "mimeType": "application/octet-stream", "buffer": import_workbook(rows).getvalue()}],
        )
        page.check("input[name=valid_only]")
        page.click("button[name=action][value=import]")
        page.wait_for_url("**/import/jobs/*/")
        job = page.locator("#import-job")
        assert job.get_attribute("data-status") == "queued" and page.locator("progress.import-progress").is_visible()
        assert "排队等待后台处理" in job.inner_text()
        assert no_horizontal_overflow(page), "the job page overflows on a phone"

        # The worker picks the task up (the dummy backend's queue lives in the server's thread).
        [job_id] = ImportJob.objects.filter(status="queued").values_list("pk", flat=True)
        assert import_job_task.call(job_id) == "done"
        page.wait_for_selector("#import-job[data-status=done]", timeout=8_000)  # the page polls every 2 s
        text = page.locator("#import-job").inner_text()
        assert "数据 5 行，校验通过 4 行，有错误 1 行，已导入 4 人。" in text
        assert page.locator("table[data-import-errors] tr[data-row='6']").count() == 1
        assert page.locator("progress").count() == 0 and no_horizontal_overflow(page)
        with page.expect_download() as info:
            page.click("[data-report-link]")
        with open(info.value.path(), "rb") as fh:
            report = openpyxl.load_workbook(io.BytesIO(fh.read()), read_only=True)
        assert [r[0] for r in report.worksheets[0].iter_rows(min_row=2, values_only=True)] == [6]
        page.goto("/volunteers/manage/import/")
        assert page.locator("[data-list='volunteer.import_job'] tbody tr").count() == 1
        assert no_horizontal_overflow(page)
        assert errors == []
    finally:
        context.close()
