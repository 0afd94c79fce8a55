"""Shared steps of the browser tests (imported by the test modules; pytest puts e2e/ on the path)."""

import time

import pyotp

from zhiyuan.demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRET

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def totp_code() -> str:
    """A code of the demo managers' shared secret. The server accepts each 30-second step only
    once per user, so a code is never taken in the last second of its step."""
    if 30 - time.time() % 30 < 1.0:
        time.sleep(1.1)
    return pyotp.TOTP(DEMO_TOTP_SECRET).now()


def login(page, info: dict) -> None:
    """Sign in through the real login page as the demo login ``info`` (an entry of DEMO_LOGINS),
    with its second factor where required. Works on the phone layout too (the menu stays closed:
    the logout button only has to be in the page)."""
    page.goto("/accounts/login/")
    page.fill("input[name=mobile]", info["mobile"])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form#login-form button[type=submit]")
    if info["totp"]:
        page.wait_for_selector("input[name=code]")
        page.fill("input[name=code]", totp_code())
        page.click("form#totp-form button[type=submit]")
    page.wait_for_selector("[data-nav=logout]", state="attached")


def nav_keys(page) -> set[str]:
    return set(page.eval_on_selector_all("#mainnav [data-nav]", "els => els.map(e => e.dataset.nav)"))


def no_horizontal_overflow(page) -> bool:
    """Nothing makes the page scroll sideways (tables scroll inside their own .table-wrap).

    Held to the width the context's viewport was set to: on a mobile viewport an overflowing
    page widens its layout viewport to fit (a 390-px phone's innerWidth became 392), so
    ``scrollWidth <= innerWidth`` alone passed a page that was too wide."""
    width = (page.viewport_size or {}).get("width")
    return page.evaluate(
        """([width]) => {
          const scroll = document.scrollingElement.scrollWidth, inner = window.innerWidth;
          return scroll <= inner && (width == null || (scroll <= width && inner <= width));
        }""",
        [width],
    )


def watch_console(page) -> list[str]:
    """Collect console errors and uncaught exceptions of ``page`` into the returned list."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


TARGETS = "main button, main .btn, .pagination a, .mainnav.open a, .lang button, .menu-toggle"


def small_targets(page, selector: str = TARGETS) -> list[str]:
    """Visible touch targets under 44x44 px (check boxes are measured with their label line).
    Inline links inside running text are exempt, as in WCAG 2.5.5."""
    return page.evaluate(
        """([sel]) => {
          const bad = [];
          const boxes = [...document.querySelectorAll(sel)].map(e => [e, e]);
          document.querySelectorAll("main input[type=checkbox], main input[type=radio]").forEach(
            e => boxes.push([e, e.closest(".checkline, label") || e]));
          for (const [el, area] of boxes) {
            const r = area.getBoundingClientRect();
            if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
            const what = (el.textContent || el.name || "").trim().slice(0, 20);
            const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
            if (r.width < 44 || r.height < 44) bad.push(`${el.tagName.toLowerCase()} "${what}" ${size}`);
          }
          return bad;
        }""",
        [selector],
    )


def org_of(info: dict):
    """The organization the demo organization admin ``info`` (an entry of DEMO_LOGINS) runs
    (the first, by assignment)."""
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.roles import Role
    from zhiyuan.organizations.models import Organization

    role = RoleAssignment.objects.filter(role=Role.ORG_ADMIN, active=True, user__mobile=info["mobile"]).order_by("id").first()
    return Organization.objects.get(pk=role.object_id)
