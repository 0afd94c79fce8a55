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


def volunteer_person_regions(user):
    """Where a person belongs, for account help by a region manager: their residence region."""
    from zhiyuan.volunteers.models import Volunteer

    return list(Volunteer.objects.filter(user=user).values_list("region_code", flat=True))


class VolunteersConfig(AppConfig):
    name = "zhiyuan.volunteers"
    label = "volunteers"
    verbose_name = "volunteers"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from zhiyuan.accounts.recovery import register_person_region_provider
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import EXPORT, VIEW, register_role_provider, register_scope_provider
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.sealed import register_blind_index, register_sealed_column
        from zhiyuan.core.workers import register_task_lost
        from zhiyuan.volunteers.documents import ID_PURPOSE, document_unseal
        from zhiyuan.volunteers.models import import_job_uploader_q, import_job_uploader_test
        from zhiyuan.volunteers.services.import_jobs import FILE_PURPOSE, import_job_worker_lost
        from zhiyuan.volunteers.services.profile import CORRECTION_PURPOSE

        register_role_provider(volunteer_role_provider, roles={Role.VOLUNTEER})
        # An import job is its uploader's (models.ImportJobQuerySet): the page, the API, the report.
        register_scope_provider("volunteers.ImportJob", import_job_uploader_q, actions=(VIEW, EXPORT),
                                test=import_job_uploader_test)  # fmt: skip
        register_person_region_provider(volunteer_person_regions)
        register_task_lost("zhiyuan.volunteers.tasks.import_job_task", import_job_worker_lost)
        register_audit_actions(
            "volunteer.",
            _("志愿者"),
            {
                "volunteer.register": _("志愿者注册"),
                "volunteer.import": _("批量登记志愿者"),
                "volunteer.import_upload": _("上传志愿者导入文件"),
                "volunteer.import_file": _("导入志愿者文件"),
                "volunteer.import_lookup": _("导入校验：已注册证件与手机号命中"),
                "volunteer.import_lookup_flagged": _("导入校验：已注册命中多在辖区外（需关注）"),
                "volunteer.import_check_limited": _("导入校验过于频繁被拒绝"),
                "volunteer.export": _("导出志愿者名单"),
                "volunteer.reveal_id": _("查看完整证件号码"),
                "volunteer.status_change": _("变更志愿者状态"),
                "volunteer.exit": _("退出志愿者队伍"),
                "volunteer.correction_resolve": _("处理资料更正申请"),
                "volunteer.consent_withdraw": _("撤回同意"),
                "volunteer.data_export": _("下载我的数据"),
                "volunteer.privacy_notice_publish": _("发布隐私政策"),
            },
        )
        register_sealed_column("volunteers.Volunteer", "id_number_sealed", purpose=ID_PURPOSE)
        register_sealed_column("volunteers.ProfileCorrectionRequest", "requested_sealed", purpose=CORRECTION_PURPOSE)
        register_sealed_column("volunteers.ImportJob", "file_key_sealed", purpose=FILE_PURPOSE)
        register_blind_index(
            "volunteers.Volunteer", "id_number_index", purpose=ID_PURPOSE, fields=("id_type", "id_number_sealed"),
            value_of=lambda v: f"{v.id_type}:{document_unseal(v.id_number_sealed)}",
        )  # fmt: skip
        volunteer = frozenset({Role.VOLUNTEER})
        register_nav(NavItem("volunteers.register", _("注册志愿者"), "volunteers:register", order=10, audience="anonymous"))
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
