"""Registration errors on a 390-px phone (issue #8 item 5): one submit reports every problem,
the summary at the top takes the focus and is on screen, its links move to each field, and
what was typed (passwords too) is still there."""

from e2e_support import no_horizontal_overflow, watch_console
from test_volunteer_registration import reference_data  # noqa: F401 - fixture

from zhiyuan.volunteers.tests import factories as f


def test_all_errors_in_one_pass_with_a_focused_summary(phone, reference_data):  # noqa: F811
    page = phone
    errors = watch_console(page)
    page.goto("/volunteers/register/")
    page.fill("input[name=name]", "陈小芳")
    page.fill("input[name=id_number]", "441302199003071234")  # bad check digit
    page.fill("input[name=mobile]", f.next_mobile())
    page.fill("input[name=password]", f.PASSWORD)
    page.fill("input[name=password2]", f.PASSWORD + "x")
    page.click("form[data-form=register] button[type=submit]")
    page.wait_for_selector("[data-error-summary]")
    fields = set(page.eval_on_selector_all("[data-error-summary] [data-error-for]", "els => els.map(e => e.dataset.errorFor)"))
    assert {"id_number", "password2", "region_code", "accept_privacy", "accept_oath"} <= fields
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    box = page.locator("[data-error-summary]").bounding_box()
    assert box is not None and 0 <= box["y"] < 844, "the summary is on screen"
    assert page.input_value("input[name=password]") == f.PASSWORD
    assert page.input_value("input[name=id_number]") == "441302199003071234"
    page.click("[data-error-summary] [data-error-for=id_number]")
    assert page.evaluate("document.activeElement.name") == "id_number"
    assert no_horizontal_overflow(page)
    assert errors == []
