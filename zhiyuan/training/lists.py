"""The training lists, each declared once (ARCHITECTURE rule 7; docs/architecture.md "How to add
a list"): the managers' courses, sessions, training records and the qualification review queue.
Each page, API operation and export derives from its ``ListSpec``; every source starts from
``visible_to`` (rule 1) and pages go forward by keyset."""

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_has_role
from zhiyuan.core.lists import CodeFilter, Col, ExportCol, ListSpec, Sort
from zhiyuan.training.models import (
    CertificationState,
    CourseStatus,
    Qualification,
    QualificationStatus,
    RecordSource,
    SessionStatus,
    Trainer,
    TrainingBase,
    TrainingCourse,
    TrainingRecord,
    TrainingSession,
)
from zhiyuan.volunteers import code_tables


def can_manage_training(actor) -> bool:
    return actor_has_role(actor, Role.REGION_MANAGER, Role.PLATFORM_ADMIN, Role.ORG_ADMIN)


DENIED = _("只有区域管理员、平台管理员或组织管理员可以管理培训。")


class CourseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("课程名称"), max_length=50)
    status = CodeFilter(label=_("状态"), choices=CourseStatus.choices, empty_label=_("全部状态"))
    category = CodeFilter(label=_("服务类别"), choices=code_tables.service_category_choices, empty_label=_("全部类别"))


COURSES = ListSpec(
    name="training.course",
    model=TrainingCourse,
    object_type="training.trainingcourse",
    source=lambda actor: TrainingCourse.objects.visible_to(actor),
    filters=CourseFilter,
    sorts={"-id": Sort(_("最新"), ("-id",)), "id": Sort(_("最早"), ("id",))},
    default_sort="-id",
    can_list=can_manage_training,
    denied_message=DENIED,
    columns=[
        Col("name", _("课程名称"), role="key", link=lambda c: reverse("training:course_manage", args=[c.pk])),
        Col("status", _("状态"), role="status", value=lambda c: c.get_status_display()),
        Col("category", _("服务类别"), value=lambda c: code_tables.label("service_category", c.category)),
        Col("level", _("级别"), value=lambda c: c.get_level_display()),
        Col("hours", _("学时")),
        Col("online", _("形式"), value=lambda c: _("线上") if c.online else _("线下")),
    ],
    export=[
        ExportCol(_("课程名称"), lambda c: c.name),
        ExportCol(_("服务类别"), lambda c: code_tables.label("service_category", c.category)),
        ExportCol(_("级别"), lambda c: str(c.get_level_display())),
        ExportCol(_("学时"), lambda c: float(c.hours)),
        ExportCol(_("形式"), lambda c: str(_("线上") if c.online else _("线下"))),
        ExportCol(_("状态"), lambda c: str(c.get_status_display())),
    ],
    export_title=_("培训课程"),
    export_filename="training-courses.xlsx",
)


class SessionFilter(django_filters.FilterSet):
    status = CodeFilter(label=_("状态"), choices=SessionStatus.choices, empty_label=_("全部状态"))


SESSIONS = ListSpec(
    name="training.session",
    model=TrainingSession,
    object_type="training.trainingsession",
    source=lambda actor: TrainingSession.objects.visible_to(actor).select_related("course"),
    filters=SessionFilter,
    sorts={
        "-starts_at": Sort(_("开始时间（新→旧）"), ("-starts_at", "-id")),
        "starts_at": Sort(_("开始时间（旧→新）"), ("starts_at", "id")),
    },
    default_sort="-starts_at",
    can_list=can_manage_training,
    denied_message=DENIED,
    columns=[
        Col(
            "course",
            _("课程"),
            role="key",
            value=lambda s: s.course.name,
            link=lambda s: reverse("training:session_manage", args=[s.pk]),
        ),
        Col("status", _("状态"), role="status", value=lambda s: s.get_status_display()),
        Col("starts_at", _("开始时间"), value=lambda s: timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M")),
        Col("place", _("地点")),
        Col("seats", _("报名/名额"), value=lambda s: f"{s.enrolled_count}/{s.capacity}"),
    ],
    export=[
        ExportCol(_("课程"), lambda s: s.course.name),
        ExportCol(_("开始时间"), lambda s: timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M")),
        ExportCol(_("地点"), lambda s: s.place),
        ExportCol(_("名额"), lambda s: s.capacity),
        ExportCol(_("已报名"), lambda s: s.enrolled_count),
        ExportCol(_("状态"), lambda s: str(s.get_status_display())),
    ],
    export_title=_("培训班"),
    export_filename="training-sessions.xlsx",
)


class RecordFilter(django_filters.FilterSet):
    source = CodeFilter(label=_("来源"), choices=RecordSource.choices, empty_label=_("全部来源"))
    completed_from = django_filters.DateFilter(field_name="completed_on", lookup_expr="gte", label=_("完成日期自"))
    completed_to = django_filters.DateFilter(field_name="completed_on", lookup_expr="lte", label=_("完成日期至"))


RECORDS = ListSpec(
    name="training.record",
    model=TrainingRecord,
    object_type="training.trainingrecord",
    source=lambda actor: TrainingRecord.objects.visible_to(actor).select_related("course", "volunteer"),
    filters=RecordFilter,
    sorts={"-completed_on": Sort(_("完成日期（新→旧）"), ("-completed_on", "-id"))},
    default_sort="-completed_on",
    can_list=can_manage_training,
    denied_message=DENIED,
    columns=[
        Col("volunteer", _("志愿者"), role="key", value=lambda r: r.volunteer.name),
        Col("course", _("课程"), role="key", value=lambda r: r.course.name),
        Col("source", _("来源"), role="status", value=lambda r: r.get_source_display()),
        Col("completed_on", _("完成日期")),
        Col("hours", _("学时")),
        Col("score", _("成绩")),
    ],
    export=[
        ExportCol(_("志愿者编号"), lambda r: r.volunteer.volunteer_no),
        ExportCol(_("姓名"), lambda r: r.volunteer.name),
        ExportCol(_("课程"), lambda r: r.course.name),
        ExportCol(_("来源"), lambda r: str(r.get_source_display())),
        ExportCol(_("完成日期"), lambda r: r.completed_on.isoformat()),
        ExportCol(_("学时"), lambda r: float(r.hours)),
        ExportCol(_("成绩"), lambda r: "" if r.score is None else r.score),
    ],
    export_title=_("培训记录"),
    export_filename="training-records.xlsx",
)


class QualificationFilter(django_filters.FilterSet):
    status = CodeFilter(label=_("状态"), choices=QualificationStatus.choices, empty_label=_("全部状态"))


QUALIFICATIONS = ListSpec(
    name="training.qualification",
    model=Qualification,
    object_type="training.qualification",
    source=lambda actor: Qualification.objects.visible_to(actor, "review").select_related("qualification_type", "volunteer"),
    filters=QualificationFilter,
    sorts={
        "submitted_at": Sort(_("提交时间（早→晚）"), ("submitted_at", "id")),
        "-submitted_at": Sort(_("提交时间（晚→早）"), ("-submitted_at", "-id")),
    },
    default_sort="submitted_at",
    can_list=can_manage_training,
    denied_message=DENIED,
    columns=[
        Col(
            "volunteer",
            _("志愿者"),
            role="key",
            value=lambda q: q.volunteer.name,
            link=lambda q: reverse("training:qualification_review", args=[q.pk]),
        ),
        Col("type", _("资格类型"), role="key", value=lambda q: q.qualification_type.name),
        Col("status", _("状态"), role="status", value=lambda q: q.get_status_display()),
        Col("issuer", _("发证机构")),
        Col("issued_on", _("发证日期")),
        Col("submitted_at", _("提交时间"), value=lambda q: timezone.localtime(q.submitted_at).strftime("%Y-%m-%d")),
    ],
    export=[
        ExportCol(_("志愿者编号"), lambda q: q.volunteer.volunteer_no),
        ExportCol(_("姓名"), lambda q: q.volunteer.name),
        ExportCol(_("资格类型"), lambda q: q.qualification_type.name),
        ExportCol(_("证书编号"), lambda q: q.certificate_no),
        ExportCol(_("发证机构"), lambda q: q.issuer),
        ExportCol(_("发证日期"), lambda q: q.issued_on.isoformat()),
        ExportCol(_("状态"), lambda q: str(q.get_status_display())),
    ],
    export_title=_("资格证明"),
    export_filename="qualifications.xlsx",
)


# --- certified trainers and training bases (seed 001: 一学院一中心一基地) -----------------------------


def certification_window(state: str):
    """The ``expires_on``/``certified_on`` condition of a certification state today (the
    expiring window is the renewal setting, ``ZHIYUAN_TRAINING_RENEWAL_DAYS``)."""
    import datetime as dt

    from django.db.models import Q

    from zhiyuan.training.services.records import renewal_days
    from zhiyuan.volunteers.minors import today_shanghai

    today = today_shanghai()
    soon = today + dt.timedelta(days=renewal_days())
    return {
        CertificationState.VALID: Q(certified_on__lte=today, expires_on__gt=soon),
        CertificationState.EXPIRING: Q(certified_on__lte=today, expires_on__gte=today, expires_on__lte=soon),
        CertificationState.EXPIRED: Q(expires_on__lt=today),
        CertificationState.NOT_YET: Q(certified_on__gt=today),
    }[state]


def certification_state_label(obj) -> str:
    from zhiyuan.training.services.records import renewal_days
    from zhiyuan.volunteers.minors import today_shanghai

    return str(CertificationState(obj.certification_state(on=today_shanghai(), days=renewal_days())).label)


class CertifiedFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("名称或证书编号"), max_length=50)
    state = CodeFilter(method="in_state", label=_("证书状态"), choices=CertificationState.choices, empty_label=_("全部状态"))

    def search(self, qs, name, value):
        from django.db.models import Q

        value = value.strip()
        return qs.filter(Q(certification_no=value) | Q(name__icontains=value))  # one table: no join in the OR

    def in_state(self, qs, name, value):
        return qs.filter(certification_window(value))


CERTIFIED_SORTS = {
    "name": Sort(_("名称"), ("name", "id")),
    "expires_on": Sort(_("有效期（先到期在前）"), ("expires_on", "id")),
}


def _certified_columns(detail_key: str, detail_label, url_name: str) -> list[Col]:
    return [
        Col("name", _("名称"), role="key", link=lambda o: reverse(url_name, args=[o.pk])),
        Col("certification_no", _("证书编号"), role="key"),
        Col("state", _("证书状态"), role="status", value=certification_state_label),
        Col("expires_on", _("有效期至")),
        Col(detail_key, detail_label),
        Col("organization", _("所属组织"), value=lambda o: o.organization.name if o.organization_id else ""),
    ]


def _certified_export(detail_key: str, detail_label) -> list[ExportCol]:
    return [
        ExportCol(_("名称"), lambda o: o.name),
        ExportCol(_("证书编号"), lambda o: o.certification_no),
        ExportCol(_("发证日期"), lambda o: o.certified_on.isoformat()),
        ExportCol(_("有效期至"), lambda o: o.expires_on.isoformat()),
        ExportCol(_("证书状态"), certification_state_label),
        ExportCol(detail_label, lambda o: getattr(o, detail_key)),
        ExportCol(_("所属组织"), lambda o: o.organization.name if o.organization_id else ""),
        ExportCol(_("所属区划"), lambda o: o.region_code),
    ]


def _certified_spec(model, *, name: str, detail: tuple[str, object], url_name: str, title, filename: str) -> ListSpec:
    """A list of certified holders (trainers, bases): the same filters, sorts and columns, with
    the model's own detail column (specialty, address)."""
    return ListSpec(
        name=name,
        model=model,
        object_type=f"training.{model._meta.model_name}",
        source=lambda actor: model.objects.visible_to(actor).select_related("organization"),
        filters=CertifiedFilter,
        sorts=CERTIFIED_SORTS,
        default_sort="name",
        can_list=can_manage_training,
        denied_message=DENIED,
        columns=_certified_columns(*detail, url_name),
        export=_certified_export(*detail),
        export_title=title,
        export_filename=filename,
    )


TRAINERS = _certified_spec(
    Trainer,
    name="training.trainer",
    detail=("specialty", _("专长")),
    url_name="training:trainer_edit",
    title=_("培训师"),
    filename="trainers.xlsx",
)
BASES = _certified_spec(
    TrainingBase,
    name="training.base",
    detail=("address", _("地址")),
    url_name="training:base_edit",
    title=_("培训基地"),
    filename="training-bases.xlsx",
)
