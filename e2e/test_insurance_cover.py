"""Insurance (FUN-4) on a 390-px phone: the demo organization admin registers a listed policy,
uploads the insurer's list of insured people, and the cover check says yes for a listed member
and no, with the reason, for an applicant who is not on the list; nothing scrolls sideways, no
console errors."""

import datetime as dt
import io

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console
from openpyxl import Workbook

from zhiyuan.accounts.models import RoleAssignment
from zhiyuan.accounts.roles import Role
from zhiyuan.insurance.models import InsuredPerson
from zhiyuan.organizations.models import Membership
from zhiyuan.volunteers.documents import document_unseal


def _list_file(volunteers) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "被保险人姓名", "身份证号", "手机号"])
    for n, v in enumerate(volunteers, 1):
        ws.append([n, v.name, document_unseal(v.id_number_sealed), ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_org_admin_imports_an_insured_list_and_checks_cover(browser, live_server, demo):
    from django.utils import timezone

    info = demo["org_admin"]
    roles = RoleAssignment.objects.filter(role=Role.ORG_ADMIN, active=True, user__mobile=info["mobile"])
    org_id = roles.order_by("id").first().object_id
    already = set(InsuredPerson.objects.values_list("volunteer_id", flat=True))
    members = [
        m.volunteer
        for m in Membership.objects.filter(organization_id=org_id, status="active").select_related("volunteer").order_by("id")
        if m.volunteer_id not in already and m.volunteer.user.mobile != info["mobile"]
    ]
    listed = members[0]
    # not on any list: a volunteer who has applied to join (the admin sees applicants), so the
    # demo organization's blanket member policy does not apply to them either
    from zhiyuan.organizations.models import Organization
    from zhiyuan.organizations.services import membership_apply
    from zhiyuan.volunteers.tests.factories import register

    unlisted = register(name="申请未保")
    membership_apply(actor=unlisted.user, org=Organization.objects.get(pk=org_id))
    today = timezone.localdate()
    starts, ends, on = today + dt.timedelta(days=30), today + dt.timedelta(days=400), today + dt.timedelta(days=60)

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_console(page)
    try:
        login(page, info)
        page.goto("/insurance/")
        assert no_horizontal_overflow(page), "the policy list overflows on a phone"
        page.click("text=登记保单")
        page.check(f"input[name=holder_id][value='{org_id}']")  # the organization picker's first results
        page.fill("input[name=insurer]", "中国太平洋财产保险股份有限公司惠州中心支公司")
        page.fill("input[name=policy_no]", "CPIC-E2E-0001")
        page.select_option("select[name=kind]", "accident")
        page.select_option("select[name=cover]", "listed")
        page.fill("input[name=starts_on]", starts.isoformat())
        page.fill("input[name=ends_on]", ends.isoformat())
        page.fill("input[name=sum_insured]", "500000")
        page.click("form#policy-form button[type=submit]")
        page.wait_for_url("**/insurance/*/")
        assert no_horizontal_overflow(page), "the policy page overflows on a phone"

        page.set_input_files(
            "#insured-import-form input[name=file]",
            files=[{"name": "被保险人清单.xlsx", "mimeType": "application/octet-stream", "buffer": _list_file([listed])}],
        )
        page.click("#insured-import-form button[type=submit]")
        page.wait_for_selector(".msg-success")
        assert "新增 1 人" in page.locator(".messages").inner_text()
        assert page.locator("[data-insured-count]").inner_text() == "1"
        assert listed.volunteer_no in page.locator("[data-insured-list]").inner_text()
        assert no_horizontal_overflow(page)

        for volunteer, expected in ((listed, "yes"), (unlisted, "no")):
            page.goto("/insurance/check/")
            page.check(f"input[name=organization][value='{org_id}']")
            page.fill("input[name=volunteer_no]", volunteer.volunteer_no)
            page.fill("input[name=on]", on.isoformat())
            page.click("form#cover-check-form button[type=submit]")
            page.wait_for_selector(f"[data-cover-answer={expected}]")
            assert no_horizontal_overflow(page), "the cover check overflows on a phone"
        assert page.locator("[data-cover-reason]").inner_text() == "该志愿者不在保单 CPIC-E2E-0001 的被保险人名单中"
        assert errors == []
    finally:
        context.close()
