"""What an import job imports (issue 9: the import-job machinery serves more than volunteers).

An ``ImportJob`` (``services/import_jobs.py``) is one uploaded file processed in the request or
on the background worker, with progress, per-row errors, the report workbook, the job page and
``GET /volunteers/import/jobs/{id}``. Its ``kind`` says what the rows become; each kind is
registered here. The volunteers' own kind is ``VOLUNTEERS``; a higher app registers its kind in
its ``AppConfig.ready()`` (a lower app never imports a higher one)::

    register_import_kind(ImportKind("training.record", _("培训记录"), run=record_import_job_run,
                                    layout=RECORD_LAYOUT, can_submit=can_manage_training, ...))

``run(*, job, actor, source, progress) -> ImportReport`` does one job's work with the engine's
contract (``imports.write.import_rows``): ``source()`` opens the file's rows again for each pass
(read with the kind's ``layout``: ``with source() as rows``),
``progress(report, phase, errors)`` after every chunk; it refuses with ``PermissionDenied`` when
the uploader may no longer import into the job's target (the job then fails with that message).
The submitting service authorizes before it calls ``import_job_submit(kind=…, target_id=…)``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from zhiyuan.volunteers.imports.read import VOLUNTEER_LAYOUT, SheetLayout


@dataclass(frozen=True)
class ImportKind:
    kind: str  # stored on the job
    label: object  # what the rows are, e.g. 「志愿者」, 「培训记录」
    run: Callable
    layout: SheetLayout = VOLUNTEER_LAYOUT
    can_submit: Callable = field(default=lambda actor: False)  # may this actor have jobs of this kind (the jobs list)
    back_url: Callable | None = None  # fn(job) -> the page the job came from
    back_label: object = ""
    audit_upload: str = "volunteer.import_upload"
    audit_file: str = "volunteer.import_file"
    object_type: str = "volunteers.volunteer"  # of the audit entry of a refused upload
    done_message: object = _("已导入 %(n)s 名志愿者。")
    throttle: bool = False  # the volunteers' check is a lookup of registered documents: rate-limited


_KINDS: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> None:
    """Add (or replace, idempotent for the same kind) what an import job may import. The
    layout's column headers become the report's field labels."""
    from zhiyuan.volunteers.imports.columns import register_field_labels

    _KINDS[kind.kind] = kind
    register_field_labels({key: header for key, header, _r in kind.layout.columns})


def import_kind(kind: str) -> ImportKind:
    """The registered kind (the volunteers' when the job's kind is unknown: old rows)."""
    return _KINDS.get(kind) or _KINDS["volunteers"]


def import_kinds() -> list[ImportKind]:
    return list(_KINDS.values())


def import_kind_choices() -> list[tuple[str, str]]:
    return [(k.kind, str(k.label)) for k in _KINDS.values()]


def can_have_import_jobs(actor) -> bool:
    """May the actor list import jobs: a volunteer manager, or anyone a registered kind lets
    submit (an organization admin importing training records of their courses)."""
    return any(k.can_submit(actor) for k in _KINDS.values())


def _run_volunteers(*, job, actor, source, progress):
    from zhiyuan.volunteers import imports

    return imports.import_rows(actor=actor, source=source, mode=job.mode, ip=job.ip, progress=progress, keep_errors=False)


def _volunteers_back(job) -> str:
    from django.urls import reverse

    return reverse("volunteers:volunteers_manage:import")


def _is_volunteer_manager(actor) -> bool:
    from zhiyuan.volunteers.permissions import is_volunteer_manager

    return is_volunteer_manager(actor)


VOLUNTEERS = ImportKind(
    "volunteers",
    _("志愿者"),
    run=_run_volunteers,
    can_submit=_is_volunteer_manager,
    back_url=_volunteers_back,
    back_label=_("批量导入志愿者"),
    throttle=True,
)
register_import_kind(VOLUNTEERS)
