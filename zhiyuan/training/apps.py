from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _admin_org_ids(actor) -> list[int]:
    from zhiyuan.accounts.roles import Role
    from zhiyuan.accounts.scopes import actor_object_ids

    return sorted(actor_object_ids(actor, Role.ORG_ADMIN))


def org_admin_scope(actor):
    """An organization admin holds the training business of the organizations they administer:
    their courses, trainers, bases and sessions, the records and certificates those issued, and
    the qualifications submitted to them for review."""
    from django.db.models import Q

    ids = _admin_org_ids(actor)
    return Q(organization_id__in=ids) if ids else None


def org_admin_test(actor, obj) -> bool:
    return obj.organization_id is not None and obj.organization_id in set(_admin_org_ids(actor))


def own_scope(actor):
    """A volunteer sees their own records, certificates and qualifications."""
    from django.db.models import Q

    return Q(volunteer__user_id=actor.pk)


def own_test(actor, obj) -> bool:
    from zhiyuan.volunteers.models import Volunteer

    return Volunteer.objects.filter(pk=obj.volunteer_id, user_id=actor.pk).exists()


def import_job_scope(actor):
    """An import job of training records is its uploader's while they still manage its course
    (an organization admin has no region: ``volunteers.models.import_job_uploader_q`` alone
    would never show them their job)."""
    from django.db.models import Q

    from zhiyuan.training.models import TrainingCourse
    from zhiyuan.training.services.imports import KIND

    if not getattr(actor, "is_authenticated", False):
        return None
    courses = TrainingCourse.objects.visible_to(actor, "manage").values("pk")
    return Q(kind=KIND, created_by_id=actor.pk, target_id__in=courses)


def import_job_test(actor, job) -> bool:
    from zhiyuan.accounts.scopes import can
    from zhiyuan.training.models import TrainingCourse
    from zhiyuan.training.services.imports import KIND

    if job.kind != KIND or job.created_by_id != actor.pk:
        return False
    course = TrainingCourse.objects.filter(pk=job.target_id).first()
    return course is not None and can(actor, course, "manage")


def _import_back(job) -> str:
    from django.urls import reverse

    return reverse("training:course_manage", args=[job.target_id])


def _can_import(actor) -> bool:
    from zhiyuan.training.lists import can_manage_training

    return can_manage_training(actor)


def training_record_rows(volunteer) -> list[dict]:
    from zhiyuan.training.selectors import training_export_rows

    return training_export_rows(volunteer)


class TrainingConfig(AppConfig):
    name = "zhiyuan.training"
    label = "training"
    verbose_name = _("志愿服务培训")

    def ready(self):
        from zhiyuan.accounts.roles import Role
        from zhiyuan.accounts.scopes import register_scope_provider
        from zhiyuan.core.audit_actions import register_audit_actions
        from zhiyuan.core.nav import NavItem, register_nav
        from zhiyuan.core.notifications import register_periodic_notice
        from zhiyuan.core.sealed import register_sealed_column
        from zhiyuan.training.services.imports import KIND, RECORD_LAYOUT, record_import_job_run
        from zhiyuan.training.services.qualifications import EVIDENCE_PURPOSE
        from zhiyuan.training.services.records import certificate_renewal_reminders_run
        from zhiyuan.volunteers.data_export import register_data_export_provider
        from zhiyuan.volunteers.import_kinds import ImportKind, register_import_kind

        for label in ("training.TrainingCourse", "training.Trainer", "training.TrainingBase", "training.TrainingSession"):
            register_scope_provider(label, org_admin_scope, actions=("view", "manage"), test=org_admin_test)
        for label in ("training.TrainingRecord", "training.TrainingCertificate"):
            register_scope_provider(label, org_admin_scope, actions=("view",), test=org_admin_test)
            register_scope_provider(label, own_scope, actions=("view",), test=own_test)
        register_scope_provider("training.Qualification", org_admin_scope, actions=("view", "review"), test=org_admin_test)
        register_scope_provider("training.Qualification", own_scope, actions=("view",), test=own_test)
        register_sealed_column("training.Qualification", "evidence_key_sealed", purpose=EVIDENCE_PURPOSE)
        register_data_export_provider("training", _("培训记录与证书"), training_record_rows)
        register_scope_provider("volunteers.ImportJob", import_job_scope, actions=("view", "export"), test=import_job_test)
        register_import_kind(
            ImportKind(
                KIND,
                _("培训记录"),
                run=record_import_job_run,
                layout=RECORD_LAYOUT,
                can_submit=_can_import,
                back_url=_import_back,
                back_label=_("返回课程"),
                audit_upload="training.record.import_upload",
                audit_file="training.record.import_file",
                object_type="training.trainingcourse",
                done_message=_("已导入 %(n)s 条培训记录。"),
            )
        )
        register_audit_actions(
            "training.",
            _("志愿服务培训"),
            {
                "training.course.create": _("新建培训课程"),
                "training.course.archive": _("停用培训课程"),
                "training.trainer.create": _("登记培训师"),
                "training.base.create": _("登记培训基地"),
                "training.trainer.update": _("修改培训师"),
                "training.base.update": _("修改培训基地"),
                "training.session.create": _("新建培训班"),
                "training.session.enroll": _("报名培训班"),
                "training.session.cancel_enrollment": _("取消培训报名"),
                "training.session.attendance": _("登记培训出勤"),
                "training.record.create": _("登记培训记录"),
                "training.record.import": _("导入培训记录"),
                "training.record.import_upload": _("上传培训记录导入文件"),
                "training.record.import_file": _("培训记录导入文件处理完成"),
                "training.certificate.revoke": _("撤销培训证书"),
                "training.certificate.renewal_remind": _("证书续期提醒"),
                "training.qualification.submit": _("提交资格证明"),
                "training.qualification.approve": _("通过资格证明"),
                "training.qualification.reject": _("不通过资格证明"),
                "training.qualification.evidence": _("查看资格证明材料"),
                "training.question.add": _("添加试题"),
                "training.quiz.start": _("开始在线测验"),
                "training.quiz.submit": _("提交在线测验"),
            },
        )
        register_nav(NavItem("training.my", _("我的培训"), "training:my", roles=frozenset({Role.VOLUNTEER}), order=24))
        register_nav(
            NavItem(
                "training.manage",
                _("培训管理"),
                "training:manage",
                roles=frozenset({Role.ORG_ADMIN, Role.REGION_MANAGER, Role.PLATFORM_ADMIN}),
                order=72,
                group="manage",
            )
        )
        # periodic notices (manage.py notifications_remind; core/notifications.py)
        register_periodic_notice("training.renewal", certificate_renewal_reminders_run)
