from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """ACC-2: roles, each bound to a scope. One person may hold several."""

    VOLUNTEER = "volunteer", _("志愿者")
    ORG_ADMIN = "org_admin", _("组织管理员")  # scope: organization
    STATION_ADMIN = "station_admin", _("站点管理员")  # scope: service point
    REGION_MANAGER = "region_manager", _("区域管理员")  # scope: region code prefix
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")  # scope: everything


# Roles that must set up a TOTP second factor before using the system (等保 level 3).
TWO_FACTOR_ROLES = {Role.REGION_MANAGER, Role.PLATFORM_ADMIN}

# Roles that connect other systems through the API (ACC-4: integrations, mini-programs run by an
# organization or a station); volunteers use the pages and are not offered tokens.
API_TOKEN_ROLES = frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN, Role.ORG_ADMIN, Role.STATION_ADMIN})
# Roles whose tokens may be narrowed to a region (they have one).
REGION_SCOPED_ROLES = frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN})
