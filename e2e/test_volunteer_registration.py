"""VOL-1/5/8 journey on a 390-px phone: a visitor registers (region picker, guardian fields for a
minor), lands on the e-card with a QR code, and nothing overflows the screen."""

import pytest
from e2e_support import no_horizontal_overflow, watch_console

from zhiyuan.volunteers.tests import factories as f


@pytest.fixture
def reference_data(transactional_db):
    """Regions and the privacy notice (a flush by an earlier live-server test removes them)."""
    from zhiyuan.regions.models import Region
    from zhiyuan.regions.services import region_import_shipped
    from zhiyuan.volunteers.models import PrivacyNotice
    from zhiyuan.volunteers.texts import PRIVACY_NOTICE_V1, PRIVACY_NOTICE_V1_TITLE

    if not Region.objects.filter(code=f.HUICHENG_TOWN).exists():
        region_import_shipped(province_prefix="44")
    if not PrivacyNotice.objects.filter(is_current=True).exists():
        PrivacyNotice.objects.create(version="1.0", title=PRIVACY_NOTICE_V1_TITLE, body=PRIVACY_NOTICE_V1, is_current=True)


def pick_region(page):
    """Choose 广东省 → 惠州市 → 惠城区 → 桥东街道 in the cascading picker. Each change makes htmx
    replace the whole picker; htmx wires up the new one only when it settles (20 ms later, while it
    still carries ``htmx-added``), so wait for that before the next change or it is lost."""
    for depth, code in enumerate(["440000000000", "441300000000", "441302000000", f.HUICHENG_TOWN]):
        sel = f"[data-region-picker]:not(.htmx-added) select[name=region_code__{depth}]"
        page.wait_for_selector(f"{sel} option[value='{code}']", state="attached")
        page.select_option(sel, code)
    page.wait_for_selector(f"[data-region-chosen='{f.HUICHENG_TOWN}']")


def test_minor_registers_on_a_phone_with_guardian_and_sees_the_card(phone, reference_data):
    from zhiyuan.volunteers.models import ConsentRecord, GuardianConsent, Volunteer

    page = phone
    assert page.viewport_size["width"] == 390
    errors = watch_console(page)
    page.goto("/volunteers/register/")
    if page.evaluate("typeof htmx") == "undefined":
        pytest.fail("htmx is not served (zhiyuan/static missing from STATICFILES_DIRS?): the region picker cannot work")
    assert no_horizontal_overflow(page)
    page.fill("input[name=name]", "王小明")
    page.select_option("select[name=id_type]", "111")
    page.fill("input[name=id_number]", f.resident_id(birth=f.years_ago(15)))
    page.locator("input[name=id_number]").dispatch_event("change")
    page.wait_for_selector("details#guardian[open]")  # htmx opened the guardian fields
    page.fill("input[name=guardian_name]", "王大明")
    page.select_option("select[name=guardian_relation]", "father")
    page.fill("input[name=guardian_mobile]", "13800002222")
    page.check("input[name=guardian_consent]")
    pick_region(page)
    mobile = f.next_mobile()
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", f.PASSWORD)
    page.fill("input[name=password2]", f.PASSWORD)
    page.check("input[name=accept_privacy]")
    page.check("input[name=accept_oath]")
    assert no_horizontal_overflow(page)
    page.click("form[data-form=register] button[type=submit]")
    page.wait_for_selector("[data-card]")
    assert page.locator("[data-qr] svg").count() == 1
    assert "暂无星级" in page.inner_text("[data-star]")
    assert no_horizontal_overflow(page)
    assert not errors, errors
    # the registration is complete: the minor, the guardian's consent and the two acceptances
    volunteer = Volunteer.objects.get(user__mobile=mobile)
    assert volunteer.name == "王小明" and volunteer.region_code == f.HUICHENG_TOWN
    guardian = GuardianConsent.objects.get(volunteer=volunteer)
    assert (guardian.guardian_name, guardian.relation, guardian.guardian_mobile) == ("王大明", "father", "13800002222")
    kinds = set(volunteer.consents.values_list("kind", flat=True))
    assert {ConsentRecord.Kind.PRIVACY, ConsentRecord.Kind.OATH, ConsentRecord.Kind.GUARDIAN} <= kinds


def test_errors_are_shown_next_to_fields_on_a_phone(phone, reference_data):
    page = phone
    page.goto("/volunteers/register/")
    page.fill("input[name=name]", "<script>alert(1)</script>")
    page.fill("input[name=id_number]", "123")
    page.click("form[data-form=register] button[type=submit]")
    page.wait_for_selector("[data-field=name] .errorlist")
    assert "姓名只能包含" in page.inner_text("[data-field=name] .errorlist")
    assert page.locator("[data-field=id_number] .errorlist").count() == 1
    assert no_horizontal_overflow(page)
