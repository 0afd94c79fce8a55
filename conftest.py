"""Root test configuration and the fixed cast of test users (STYLE.md).

The cast lives in 惠州市 (4413): 惠城区 (441302) and 惠阳区 (441303) are the two counties the
scope tests compare. Regions come from the shipped dataset (``regions.services.region_import_shipped``
restricted to 广东省), so tests use real codes and names.
"""

import atexit
import shutil
import tempfile

import pytest
from django.conf import settings

from zhiyuan.accounts.roles import Role
from zhiyuan.testing import HUICHENG, HUIYANG, HUIZHOU, PASSWORD, enable_totp, make_user, totp_code  # noqa: F401


def pytest_configure(config):
    # Argon2 is the production hasher (asserted in accounts tests); tests hash fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Background tasks run at once in the test process (django-tasks' immediate backend), and
    # uploaded import files wait in a throw-away directory, not under var/.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    private = tempfile.mkdtemp(prefix="zhiyuan-test-private-")
    atexit.register(shutil.rmtree, private, ignore_errors=True)
    settings.ZHIYUAN_PRIVATE_DIR = private


@pytest.fixture(autouse=True)
def _default_language():
    """A request with ``Accept-Language: en`` leaves English active in the thread (LocaleMiddleware
    does not reset it); without this, service-level tests that follow it see English messages."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the regions of 广东省 once per test database (real codes and names)."""
    from zhiyuan.regions.services import region_import_shipped

    with django_db_blocker.unblock():
        region_import_shipped(province_prefix="44")


@pytest.fixture(autouse=True)
def _regions_for_transactional_tests(request, django_db_blocker):
    """A transactional test ends with a flush, and the serialized snapshot that
    ``serialized_rollback`` restores predates the regions loaded above: a later transactional
    test would find no regions (registration refuses every region code). Put them back first."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    from zhiyuan.regions.models import Region
    from zhiyuan.regions.services import region_import_shipped

    with django_db_blocker.unblock():
        if not Region.objects.filter(code__startswith="4413").exists():
            region_import_shipped(province_prefix="44")


@pytest.fixture
def platform_admin(db):
    return make_user("13900000001", "平台管理员", role=Role.PLATFORM_ADMIN)


@pytest.fixture
def city_manager(db):
    return make_user("13900000002", "惠州市文明办", role=Role.REGION_MANAGER, region_code=HUIZHOU)


@pytest.fixture
def county_manager(db):
    return make_user("13900000003", "惠城区文明办", role=Role.REGION_MANAGER, region_code=HUICHENG)


@pytest.fixture
def other_county_manager(db):
    return make_user("13900000004", "惠阳区文明办", role=Role.REGION_MANAGER, region_code=HUIYANG)


@pytest.fixture
def plain_user(db):
    """Signed up, no role yet (charlie in the healthchecks cast)."""
    return make_user("13900000009", "普通用户")


# --- volunteers (zhiyuan/volunteers/tests/factories.py registers through the real service) ---


@pytest.fixture
def volunteer(db):
    """An adult volunteer living in 惠城区 (桥东街道)."""
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

    return register(name="陈志愿", region_code=HUICHENG_TOWN)


@pytest.fixture
def minor_volunteer(db):
    """A 15-year-old volunteer in 惠城区, registered with a guardian's consent (VOL-5)."""
    from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register_minor

    return register_minor(age=15, name="王小明", region_code=HUICHENG_TOWN)


@pytest.fixture
def huiyang_volunteer(db):
    """An adult volunteer living in 惠阳区 (outside the 惠城区 county manager's scope)."""
    from zhiyuan.volunteers.tests.factories import HUIYANG_TOWN, register

    return register(name="林惠阳", region_code=HUIYANG_TOWN, address="441303")
