from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def station_admin_scope(actor):
    """A station admin sees the service points they are bound to (RoleAssignment.object_id)."""
    from django.db.models import Q

    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    ids = actor_object_ids(actor, Role.STATION_ADMIN)
    return Q(pk__in=sorted(ids)) if ids else None


class StationsConfig(AppConfig):
    name = "zhiyuan.stations"
    label = "stations"
    verbose_name = _("志愿服务站点")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import register_scope_provider
        from zhiyuan.core.nav import NavItem, register_nav

        register_scope_provider("stations.ServicePoint", station_admin_scope)
        register_nav(NavItem("stations_public", _("服务站点"), "stations:public", order=40, audience="anyone"))
        register_nav(NavItem("my_station", _("我的站点"), "stations:mine", roles=frozenset({Role.STATION_ADMIN}), order=30))
        register_nav(
            NavItem(
                "stations",
                _("站点管理"),
                "stations:manage",
                roles=frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=70,
                group="manage",
            )
        )
