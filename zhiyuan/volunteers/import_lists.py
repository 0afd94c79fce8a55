"""The bulk-import jobs list, declared once (ARCHITECTURE rule 7; docs/architecture.md "How to add
a list"): the page ``/volunteers/manage/import/jobs/`` (and the recent jobs on the upload page)
and the API ``GET /api/v1/volunteers/import/jobs`` derive from ``IMPORT_JOBS``.

It lists one's own jobs: ``ImportJob.objects.visible_to(actor)`` (the uploader while still
managing the job's regions, platform admins every job — ``models.ImportJobQuerySet``) narrowed to
those the actor uploaded. Kept apart from ``lists.py`` (the manager's volunteer list) so the two
lists change independently.
"""

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.lists import CodeFilter, Col, ListSpec, Sort
from zhiyuan.volunteers.import_kinds import can_have_import_jobs, import_kind, import_kind_choices
from zhiyuan.volunteers.models import ImportJob


class ImportJobFilter(django_filters.FilterSet):
    status = CodeFilter(label=_("状态"), choices=ImportJob.Status.choices, empty_label=_("全部状态"))
    mode = CodeFilter(label=_("方式"), choices=ImportJob.Mode.choices, empty_label=_("全部方式"))
    kind = CodeFilter(label=_("导入内容"), choices=import_kind_choices, empty_label=_("全部内容"))


def _submitted(job: ImportJob) -> str:
    return timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M")


def _job_link(job: ImportJob) -> str:
    return reverse("volunteers:volunteers_manage:import_job", args=[job.pk])


IMPORT_JOBS = ListSpec(
    name="volunteer.import_job",
    model=ImportJob,
    object_type="volunteers.importjob",
    source=lambda actor: ImportJob.objects.visible_to(actor).filter(created_by=actor),
    filters=ImportJobFilter,
    sorts={
        "-created_at": Sort(_("提交时间（新→旧）"), ("-created_at", "-id")),
        "created_at": Sort(_("提交时间（旧→新）"), ("created_at", "id")),
    },
    default_sort="-created_at",
    can_list=can_have_import_jobs,
    denied_message=_("只有区域管理员或平台管理员可以批量导入志愿者。"),
    columns=[
        Col("created_at", _("提交时间"), role="key", value=_submitted, link=_job_link),
        Col("status", _("状态"), role="status", template="volunteers/manage/partials/_import_job_status_cell.html"),
        Col("file_name", _("文件"), role="key"),
        Col("rows_total", _("数据行")),
        Col("rows_created", _("已导入")),
        Col("rows_invalid", _("有错误的行")),
        Col("mode", _("方式"), value=lambda j: j.get_mode_display()),
        Col("kind", _("导入内容"), value=lambda j: import_kind(j.kind).label),
    ],
)
