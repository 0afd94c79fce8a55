"""Issue 2, item 9: the demo data set — idempotent, real services, one working login per role."""

import pyotp
import pytest
from stdnum.cn import ric

from zhiyuan.accounts.models import RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_has_role
from zhiyuan.accounts.services import login_attempt, totp_verify
from zhiyuan.demo import data
from zhiyuan.volunteers.documents import document_unseal
from zhiyuan.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return data.seed(progress=lambda m: None, province_prefix="44")


def test_seed_creates_the_city_volunteers_with_valid_sealed_numbers(seeded):
    vols = Volunteer.objects.filter(region_code__startswith="4413")
    assert vols.count() == data.VOLUNTEER_COUNT
    assert vols.filter(region_code__startswith="441302").exists() and vols.filter(region_code__startswith="441303").exists()
    for v in vols[:50]:
        number = document_unseal(v.id_number_sealed)
        assert ric.calc_check_digit(number) == number[-1] and number not in v.id_number_masked


def test_seed_is_idempotent(seeded):
    counts = {m: m.objects.count() for m in (User, Volunteer, RoleAssignment)}
    again = data.seed(progress=lambda m: None, province_prefix="44")
    assert again["volunteers_created"] == 0
    assert counts == {m: m.objects.count() for m in (User, Volunteer, RoleAssignment)}


@pytest.mark.parametrize("key", list(data.DEMO_LOGINS))
def test_every_demo_login_works_with_its_factor(seeded, rf, key):
    info = data.DEMO_LOGINS[key]
    request = rf.post("/accounts/login/", REMOTE_ADDR="127.0.0.1")
    user = login_attempt(request=request, mobile=info["mobile"], password=data.DEMO_PASSWORD)
    assert user.totp_enabled == info["totp"]
    if info["totp"]:
        totp_verify(user=user, code=pyotp.TOTP(data.DEMO_TOTP_SECRET).now())


def test_each_role_is_held_by_its_login(seeded):
    def user(key):
        return User.objects.get(mobile=data.DEMO_LOGINS[key]["mobile"])

    assert actor_has_role(user("platform_admin"), Role.PLATFORM_ADMIN)
    for key in ("city_manager", "county_manager", "county_manager_huiyang"):
        assert actor_has_role(user(key), Role.REGION_MANAGER)
    assert hasattr(user("volunteer"), "volunteer") and hasattr(user("org_admin"), "volunteer")
    assert not actor_has_role(user("volunteer"), Role.REGION_MANAGER)
