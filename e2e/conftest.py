"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

They are marked ``browser``. Outside CI they are skipped when no Chromium is installed;
with ZHIYUAN_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser is an error.
A screenshot of every failing test is saved under e2e/artifacts/.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself (fixtures) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("ZHIYUAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the session (a second sync_playwright() in the same thread
    is refused), shared by ``browser`` and ``launch_chromium``."""
    path = chromium_path()
    if not path:
        if os.environ.get("ZHIYUAN_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (ZHIYUAN_REQUIRE_BROWSER=1) but was not found")
        pytest.skip("Chromium not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def launch_chromium(playwright):
    """A Chromium of its own for one test, with extra command-line switches (those that act on
    the whole browser, such as a fake camera's video file); closed after the test."""
    launched = []

    def launch(*args: str):
        b = playwright.chromium.launch(executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *args])
        launched.append(b)
        return b

    yield launch
    for b in launched:
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page") or item.funcargs.get("phone")
        if page is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
            except Exception:
                pass


@pytest.fixture(autouse=True)
def _one_address_many_logins(settings):
    """Every browser in this suite signs in from 127.0.0.1, dozens of times a minute, and the
    counters live in the shared cache across tests: the per-address login limit (20 a minute,
    password and code each counting) made whichever test came late in a busy minute fail with a
    429. The limit itself is tested in zhiyuan/accounts/tests (test_services, test_views)."""
    settings.ZHIYUAN_LOGIN_RATE = 10_000


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture
def phone(browser, live_server):
    """A 390-px-wide phone screen."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture
def demo(transactional_db):
    """The demo data set, loaded by the command ``python3 run.py`` runs (regions of 广东 only,
    which is what the demo city needs, to keep each test's reload short)."""
    from django.core.management import call_command

    call_command("demo_seed", "--quiet", "--force", "--province", "44")
    from zhiyuan.demo.data import DEMO_LOGINS

    return DEMO_LOGINS
