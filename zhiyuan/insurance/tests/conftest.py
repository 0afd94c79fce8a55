import pytest


@pytest.fixture
def org(city_manager):
    from zhiyuan.organizations.tests.factories import active_org

    return active_org(city_manager)


def admin_of(org):
    """The applicant of ``org``: its admin (RoleAssignment org_admin)."""
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.roles import Role

    return RoleAssignment.objects.get(role=Role.ORG_ADMIN, object_id=org.pk, active=True).user


@pytest.fixture
def org_admin(org):
    return admin_of(org)


@pytest.fixture
def other_org(city_manager):
    from zhiyuan.organizations.tests.factories import active_org

    return active_org(city_manager)


@pytest.fixture
def other_org_admin(other_org):
    return admin_of(other_org)


@pytest.fixture(autouse=True)
def _private_dir(settings, tmp_path):
    settings.ZHIYUAN_PRIVATE_DIR = tmp_path / "private"
