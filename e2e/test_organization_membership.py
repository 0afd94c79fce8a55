"""ORG-4 journey in two browsers: a volunteer (on a phone) asks to join an organization from its
public page, the organization's admin (on a laptop) approves the application in the member list,
and the volunteer then sees the membership as active under 「我的组织」."""

from e2e_support import PHONE, login, no_horizontal_overflow, watch_console

ORG = "桥东街道长者关爱志愿服务中心"  # administered by the demo org_admin (zhiyuan/organizations/demo.py)


def test_volunteer_applies_and_the_org_admin_approves(browser, live_server, page, demo):
    from zhiyuan.organizations.models import Membership, Organization

    org = Organization.objects.get(name=ORG)
    phone_ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    try:
        vol = phone_ctx.new_page()
        vol.set_default_timeout(10_000)
        vol_errors = watch_console(vol)
        login(vol, demo["volunteer"])

        # the volunteer finds the organization in the public directory and applies
        vol.goto("/organizations/directory/")
        vol.fill("input[name=q]", "长者关爱")
        vol.click("#directory-filters button[type=submit]")
        vol.click(f"a:text-is('{ORG}')")
        vol.click("[data-join] button[type=submit]")
        vol.wait_for_url("**/organizations/my/")
        card = vol.locator("[data-membership]", has_text=ORG)
        assert card.get_attribute("data-status") == "applied"
        assert no_horizontal_overflow(vol)

        # the org admin sees the application in the member list and approves it
        admin_errors = watch_console(page)
        login(page, demo["org_admin"])
        page.click("[data-navgroup=manage]")  # the desktop menu folds 管理 into a drop-down
        page.click("[data-nav=organizations_admin]")
        page.click(f"a:text-is('{ORG}')")
        page.wait_for_url(f"**/organizations/manage/{org.pk}/")
        page.fill("#member-filters input[name=q]", demo["volunteer"]["name"])
        page.click("#member-filters button[type=submit]")
        page.wait_for_url("**q=*")
        row = page.locator("tr[data-member]", has_text=demo["volunteer"]["name"])
        row.first.wait_for()
        assert row.count() == 1 and row.locator("[data-status]").get_attribute("data-status") == "applied"
        row.locator("button", has_text="通过").click()
        page.wait_for_selector(".msg-success")
        row = page.locator("tr[data-member]", has_text=demo["volunteer"]["name"])
        assert row.locator("[data-status]").get_attribute("data-status") == "active"
        assert not admin_errors, admin_errors

        # the volunteer's 「我的组织」 now shows the membership as active
        vol.reload()
        card = vol.locator("[data-membership]", has_text=ORG)
        assert card.get_attribute("data-status") == "active"
        assert "在队" in card.inner_text()
        assert not vol_errors, vol_errors
    finally:
        phone_ctx.close()
    m = Membership.objects.get(organization=org, volunteer__user__mobile=demo["volunteer"]["mobile"])
    assert m.status == Membership.Status.ACTIVE and m.joined_at is not None
