from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "zhiyuan.regions"
    label = "regions"
    verbose_name = _("行政区划")

    def ready(self):
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav

        register_audit_actions("regions.", _("行政区划"), {"regions.population_import": _("导入人口数据")})

        # Role names as strings: accounts (layer 3) sits above regions (layer 2).
        managers = frozenset({"region_manager", "platform_admin"})
        register_nav(
            NavItem(key="regions", label=_("行政区划"), url_name="regions:browse", roles=managers, order=80, group="manage")
        )
        register_nav(
            NavItem(
                key="regions_population",
                label=_("人口数据"),
                url_name="regions:population_upload",
                roles=managers,
                order=81,
                group="manage",
            )
        )
