import pytest

from zhiyuan.accounts.roles import Role
from zhiyuan.testing import make_user


@pytest.fixture
def api_user(db):
    """Someone who connects another system through the API: a station's admin (no region, no
    second factor), the role with the least reach of those offered tokens."""
    return make_user("13900000010", "站点对接员", role=Role.STATION_ADMIN, object_id=1)
