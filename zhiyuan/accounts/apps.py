from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhiyuan.accounts"
    label = "accounts"
    verbose_name = _("账户与权限")

    def ready(self):
        from zhiyuan.accounts.roles import API_TOKEN_ROLES, Role
        from zhiyuan.accounts.scopes import actor_region_scope
        from zhiyuan.accounts.services import TOTP_PURPOSE
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.sealed import register_sealed_column
        from zhiyuan.regions.permissions import register_region_scope_resolver

        register_sealed_column("accounts.User", "totp_secret_sealed", purpose=TOTP_PURPOSE)
        register_region_scope_resolver(actor_region_scope)
        register_audit_actions(
            "accounts.",
            _("账户与权限"),
            {
                "accounts.login": _("登录"),
                "accounts.login.password": _("登录：密码正确，待两步验证"),
                "accounts.login.lockout": _("登录失败过多，账号锁定"),
                "accounts.logout": _("退出登录"),
                "accounts.totp.enable": _("启用两步验证"),
                "accounts.totp.disable": _("关闭两步验证"),
                "accounts.password.change": _("修改密码"),
                "accounts.profile.update": _("修改账户资料"),
                "accounts.role.grant": _("授予角色"),
                "accounts.role.revoke": _("撤销角色"),
                "accounts.role.export": _("导出角色授权"),
                "accounts.token.create": _("创建API令牌"),
                "accounts.token.revoke": _("吊销API令牌"),
                "accounts.audit.export": _("导出审计日志"),
                "accounts.audit.verify": _("校验日志链"),
                "accounts.account.unlock": _("解锁账号"),
                "accounts.password.reset_code": _("发放密码重置码"),
                "accounts.password.reset": _("重置密码"),
                "accounts.recovery.sms": _("申请找回密码短信验证码"),
                "accounts.recovery.code_failed": _("找回密码：验证码错误"),
                "accounts.totp.reset_request": _("申请重置两步验证"),
                "accounts.totp.reset": _("重置两步验证"),
                "accounts.totp.reset_cancel": _("取消两步验证重置申请"),
            },
        )

        register_nav(NavItem("accounts.settings", _("账户设置"), "accounts:settings", order=90, group="account"))
        register_nav(
            NavItem("accounts.tokens", _("API令牌"), "accounts:tokens", roles=API_TOKEN_ROLES, order=91, group="account")
        )
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
                "accounts.help",
                _("账号求助"),
                "accounts:account_help",
                roles=frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=92,
                group="manage",
            )
        )
        register_nav(
            NavItem(
                "accounts.audit",
                _("审计日志"),
                "accounts:audit",
                roles=frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=95,
                group="manage",
            )
        )
