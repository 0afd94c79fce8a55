from functools import partial

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def station_admin_scope(actor):
    """A station admin sees the service points they are bound to (RoleAssignment.object_id)."""
    from django.db.models import Q

    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    ids = actor_object_ids(actor, Role.STATION_ADMIN)
    return Q(pk__in=sorted(ids)) if ids else None


def station_admin_test(actor, point) -> bool:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    return point.pk in actor_object_ids(actor, Role.STATION_ADMIN)


class StationsConfig(AppConfig):
    name = "zhiyuan.stations"
    label = "stations"
    verbose_name = _("志愿服务站点")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import (
            register_role_object_picker,
            register_role_object_resolver,
            register_scope_provider,
            role_object_of,
        )
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.stations.models import ServicePoint
        from zhiyuan.stations.picker import service_point_options

        # A station admin sees and operates their points; managing them stays with the region.
        register_scope_provider(
            "stations.ServicePoint", station_admin_scope, actions=("view", "operate"), test=station_admin_test
        )
        register_audit_actions(
            "stations.",
            _("志愿服务站点"),
            {
                "stations.point.create": _("新建站点"),
                "stations.point.update": _("修改站点信息"),
                "stations.point.operations": _("更新站点运营信息"),
                "stations.point.close": _("关闭站点"),
                "stations.point.reopen": _("重新启用站点"),
                "stations.point.export": _("导出站点名单"),
                "stations.admin.assign": _("指定站点管理员"),
                "stations.admin.revoke": _("撤销站点管理员"),
            },
        )
        register_role_object_resolver(Role.STATION_ADMIN, partial(role_object_of, ServicePoint))
        register_role_object_picker(Role.STATION_ADMIN, service_point_options)
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
