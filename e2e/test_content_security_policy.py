"""Issue #11 item 6: the pages pass their Content-Security-Policy (own-origin scripts and
styles only: no inline script, handler or style attribute). Every demo role signs in and opens
every page of its navigation; any violation — the browser's console "Refused to …" or a
``securitypolicyviolation`` event — fails the test."""

import pytest
from e2e_support import login

from zhiyuan.demo.data import DEMO_LOGINS

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));
"""
ANONYMOUS_PAGES = ["/", "/accounts/login/", "/volunteers/register/", "/volunteers/privacy/", "/api/v1/docs"]


def watch_csp(page) -> list[str]:
    refused: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


def visit(page, url: str, refused: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    page.wait_for_load_state("networkidle")
    refused.extend(f"{url}: {v}" for v in page.evaluate("window.__csp || []"))


def test_anonymous_pages_pass_the_policy(page, demo):
    refused = watch_csp(page)
    for url in ANONYMOUS_PAGES:
        visit(page, url, refused)
    assert not refused, refused


@pytest.mark.parametrize("key", list(DEMO_LOGINS))
def test_every_page_of_each_role_passes_the_policy(page, demo, key):
    refused = watch_csp(page)
    login(page, demo[key])
    hrefs = [a.get_attribute("href") for a in page.locator("#mainnav a[data-nav]").all()]
    for href in dict.fromkeys(h for h in hrefs if h and h.startswith("/")):
        visit(page, href, refused)
        # one step further: the first item of a list page (detail pages have their own forms)
        first = page.locator("main table a[href^='/'], main .card a[href^='/']").first
        if first.count():
            target = first.get_attribute("href")
            if target and "export" not in target and not target.endswith((".xlsx", ".json")):
                visit(page, target, refused)
    assert not refused, refused
