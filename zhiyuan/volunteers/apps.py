from django.apps import AppConfig


def volunteer_role_provider(actor):
    """Anyone with a volunteer profile holds the ``volunteer`` role (navigation, API scopes).
    ``actor.volunteer`` is cached on the user object, so this costs one query per request."""
    from django.core.exceptions import ObjectDoesNotExist

    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import RoleRef

    try:
        actor.volunteer  # noqa: B018
    except ObjectDoesNotExist:
        return []
    return [RoleRef(Role.VOLUNTEER)]


class VolunteersConfig(AppConfig):
    name = "zhiyuan.volunteers"
    label = "volunteers"
    verbose_name = "volunteers"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import register_role_provider
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.sealed import register_sealed_column
        from zhiyuan.volunteers.documents import ID_PURPOSE
        from zhiyuan.volunteers.services.import_jobs import FILE_PURPOSE
        from zhiyuan.volunteers.services.profile import CORRECTION_PURPOSE

        register_role_provider(volunteer_role_provider)
        register_sealed_column("volunteers.Volunteer", "id_number_sealed", purpose=ID_PURPOSE)
        register_sealed_column("volunteers.ProfileCorrectionRequest", "requested_sealed", purpose=CORRECTION_PURPOSE)
        register_sealed_column("volunteers.ImportJob", "file_key_sealed", purpose=FILE_PURPOSE)
        volunteer = frozenset({Role.VOLUNTEER})
        register_nav(
            NavItem("volunteers.register", _("注册志愿者"), "volunteers:register", order=10, audience="anonymous")
        )
        register_nav(NavItem("volunteers.card", _("我的志愿者证"), "volunteers:card", roles=volunteer, order=20))
        register_nav(
            NavItem("volunteers.profile", _("个人资料"), "volunteers:profile", roles=volunteer, order=21, group="account")
        )
        register_nav(
            NavItem(
                "volunteers_manage",
                _("志愿者管理"),
                "volunteers:volunteers_manage:list",
                roles=frozenset({Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=60,
                group="manage",
            )
        )
