from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhiyuan.accounts"
    label = "accounts"
    verbose_name = _("账户与权限")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.services import TOTP_PURPOSE
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.sealed import register_sealed_column

        register_sealed_column("accounts.User", "totp_secret_sealed", purpose=TOTP_PURPOSE)

        register_nav(NavItem("accounts.settings", _("账户设置"), "accounts:settings", order=90, group="account"))
        register_nav(NavItem("accounts.tokens", _("API令牌"), "accounts:tokens", order=91, group="account"))
        register_nav(
            NavItem(
                "accounts.roles",
                _("角色管理"),
                "accounts:roles",
                roles=frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=90,
                group="manage",
            )
        )
        register_nav(
            NavItem(
                "accounts.audit",
                _("审计日志"),
                "accounts:audit",
                roles=frozenset({Role.PLATFORM_ADMIN}),
                order=95,
                group="manage",
            )
        )
