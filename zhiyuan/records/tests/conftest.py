import pytest

from zhiyuan.records.tests.factories import org_with_admins, past_activity


@pytest.fixture
def org_admins(county_manager):
    """An organization in 惠城区 and two admins of it."""
    return org_with_admins(county_manager, admins=2)


@pytest.fixture
def org(org_admins):
    return org_admins[0]


@pytest.fixture
def admin(org_admins):
    return org_admins[1][0]


@pytest.fixture
def second_admin(org_admins):
    return org_admins[1][1]


@pytest.fixture
def other_org_admin(county_manager):
    """The admin of another organization (same county)."""
    return org_with_admins(county_manager)[1][0]


@pytest.fixture
def activity(org):
    """Yesterday 09:00–12:00."""
    return past_activity(org)
