"""Activities, the organizer's side (SPEC ACT-2): writes.

An organization's admins (the ``activities.Activity`` scope provider, action ``manage``) create
and edit an activity with its positions 岗位 and their requirements, its time windows (a single
event, explicit shifts, or a weekly series with exceptions — ``schedule.py``), publish its
recruitment notice, close recruitment, cancel it with a reason, and mark it finished. Region
managers see and supervise (view, review, export) but do not organize.

Kept in the same transaction as every change (ARCHITECTURE rule 9): one ``Slot`` per shift ×
position with its capacity (the position's ``slots``), ``Activity.slots_total`` (the sum of the
capacities of the shifts not cancelled), ``Activity.slots_open`` (the same minus the accepted
enrollments) and ``Activity.starts_at``/``ends_at`` (the first start, the last end). A change to
a published activity never drops a slot below its accepted enrollments and never removes a
shift or a position someone enrolled in: the refusal says which one, in Chinese.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, VIEW, can, get_for
from zhiyuan.activities.activity_inputs import (  # noqa: F401  (re-exported: the inputs of these services)
    INVALID,
    MAX_POSITIONS,
    ActivityInput,
    PositionInput,
    activity_fields_clean,
    int_in,
    invalid,
    positions_clean,
    schedule_clean,
    text_of,
)
from zhiyuan.activities.models import (
    Activity,
    ActivityStatus,
    Position,
    ProjectStatus,
    Shift,
    Slot,
)
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import Conflict, DomainError
from zhiyuan.core.inputs import given
from zhiyuan.core.text import text_error
from zhiyuan.organizations.services.common import refuse

EDITABLE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED, ActivityStatus.CLOSED)
LIVE = (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED)
# GB/T 40143: the recruitment notice states time, place, content, conditions, numbers, how to
# sign up, risks and safeguards (and who to ask).
NOTICE_REQUIRED = {
    "content": _("请填写服务内容。"),
    "conditions": _("请填写招募条件。"),
    "signup_method": _("请填写报名方式。"),
    "risks": _("请填写风险提示。"),
    "safeguards": _("请填写保障措施。"),
    "address": _("请填写活动地点。"),
    "contact_name": _("请填写联系人。"),
    "contact_phone": _("请填写联系电话。"),
}


# --- shifts, positions and slots, kept consistent -------------------------------------------------


def _when(start: dt.datetime) -> str:
    return timezone.localtime(start).strftime("%Y-%m-%d %H:%M")


def _sync(activity: Activity, *, positions: list[dict] | None, windows: list | None) -> None:
    """Bring positions, shifts and slots to what was asked, inside the caller's transaction
    (the activity row is locked). Refuses — before anything is written — to remove a shift or
    a position with enrollments, to move a shift with enrollments, or to make a slot smaller
    than its accepted enrollments."""
    from zhiyuan.activities.models import Enrollment

    current_positions = {p.pk: p for p in activity.positions.all()}
    current_shifts = {s.starts_at: s for s in activity.shifts.all()}
    # the slots are locked as a sign-up locks them, so no enrollment is accepted between the
    # check below and the new capacity (the database would refuse it: slot_never_overbooked)
    slots = list(
        Slot.objects.filter(shift__activity=activity).select_related("shift", "position").select_for_update(of=("self",))
    )
    enrolled_slots = set(Enrollment.objects.filter(activity=activity).values_list("slot_id", flat=True).distinct())
    errors: list = []  # positions
    schedule_errors: list = []

    # the checks first: nothing is written unless every change is allowed
    keep_positions: set[int] = set(current_positions)
    if positions is not None:
        keep_positions = set()
        for i, p in enumerate(positions):
            if p["id"] is None:
                continue
            pid = int_in(p["id"], low=1, high=2**63 - 1)
            if pid not in current_positions:
                raise invalid({f"positions.{i}.id": [_("该岗位不属于此活动。")]})
            p["id"] = pid
            keep_positions.add(pid)
            for slot in slots:
                if slot.position_id == pid and slot.accepted > p["slots"]:
                    errors.append(
                        _("岗位「%(p)s」在 %(when)s 的班次已录用 %(n)d 人，每班次名额不能少于 %(n)d。")
                        % {"p": current_positions[pid].name, "when": _when(slot.shift.starts_at), "n": slot.accepted}
                    )
        for pid, position in current_positions.items():
            if pid not in keep_positions and any(s.pk in enrolled_slots for s in slots if s.position_id == pid):
                errors.append(_("岗位「%(p)s」已有报名记录，不能删除。") % {"p": position.name})
    new_windows: dict = {}
    if windows is not None:
        new_windows = dict(windows)
        for start, shift in current_shifts.items():
            has_enrollments = any(s.pk in enrolled_slots for s in slots if s.shift_id == shift.pk)
            if not has_enrollments:
                continue
            if start not in new_windows:
                errors.append(_("%(when)s 的班次已有报名记录，不能删除。") % {"when": _when(start)})
            elif new_windows[start] != shift.ends_at:
                errors.append(_("%(when)s 的班次已有报名记录，不能修改时间。") % {"when": _when(start)})
    if errors or schedule_errors:
        fields = {k: v for k, v in (("positions", errors), ("shifts", schedule_errors)) if v}
        raise Conflict("below_enrolled", (errors or schedule_errors)[0], fields=fields)

    # positions
    if positions is not None:
        for pid in set(current_positions) - keep_positions:
            current_positions.pop(pid).delete()  # its slots go with it (no enrollments)
        for p in positions:
            values = {k: p[k] for k in ("name", "duties", "slots", "skills", "min_age", "max_age", "minors_allowed",
                                        "dangerous", "insurance_required")}  # fmt: skip
            if p["id"] is None:
                position = Position.objects.create(activity=activity, **values)
                current_positions[position.pk] = position
            else:
                position = current_positions[p["id"]]
                changed = [k for k, v in values.items() if getattr(position, k) != v]
                for k in changed:
                    setattr(position, k, values[k])
                if changed:
                    position.save(update_fields=changed)
            position.required_courses.set(p["courses"])
            position.required_qualifications.set(p["qualifications"])

    # shifts
    if windows is not None:
        gone = [s.pk for start, s in current_shifts.items() if start not in new_windows]
        if gone:
            Shift.objects.filter(pk__in=gone).delete()
        for start, end in new_windows.items():
            shift = current_shifts.get(start)
            if shift is not None and shift.ends_at != end:
                Shift.objects.filter(pk=shift.pk).update(ends_at=end)
        fresh = [Shift(activity=activity, starts_at=s, ends_at=e) for s, e in new_windows.items() if s not in current_shifts]
        Shift.objects.bulk_create(fresh, batch_size=500)

    # slots: one per shift × position, capacity = the position's slots
    shift_ids = list(Shift.objects.filter(activity=activity).values_list("pk", flat=True))
    capacity = {pid: p.slots for pid, p in current_positions.items()}
    existing = {(s.shift_id, s.position_id): s for s in Slot.objects.filter(shift__activity=activity).only(
        "id", "shift_id", "position_id", "capacity")}  # fmt: skip
    missing = [
        Slot(shift_id=sid, position_id=pid, capacity=cap)
        for sid in shift_ids
        for pid, cap in capacity.items()
        if (sid, pid) not in existing
    ]
    Slot.objects.bulk_create(missing, batch_size=1000)
    for pid, cap in capacity.items():
        Slot.objects.filter(shift__activity=activity, position_id=pid).exclude(capacity=cap).update(capacity=cap)
    activity_counts_refresh(activity)


def activity_counts_refresh(activity: Activity) -> Activity:
    """Recompute the kept figures of one activity from its rows, in the caller's transaction:
    ``starts_at``/``ends_at`` from its shifts (cancelled ones left out unless all are),
    ``slots_total`` = Σ capacity and ``slots_open`` = Σ (capacity − accepted) over the slots of
    the shifts not cancelled. Two queries (bounded: at most 366 shifts × 20 positions)."""
    shifts = list(Shift.objects.filter(activity=activity).values_list("starts_at", "ends_at", "cancelled"))
    live = [(s, e) for s, e, c in shifts if not c] or [(s, e) for s, e, _c in shifts]
    sums = Slot.objects.filter(shift__activity=activity, shift__cancelled=False).aggregate(
        total=Sum("capacity"), accepted=Sum("accepted")
    )
    total, accepted = sums["total"] or 0, sums["accepted"] or 0
    values = {"slots_total": total, "slots_open": max(total - accepted, 0)}
    if live:
        values["starts_at"] = min(s for s, _e in live)
        values["ends_at"] = max(e for _s, e in live)
    Activity.objects.filter(pk=activity.pk).update(**values)
    for k, v in values.items():
        setattr(activity, k, v)
    return activity


# --- create and edit -------------------------------------------------------------------------------


def _detail(activity: Activity) -> dict:
    return {
        "title": activity.title,
        "organization_id": activity.organization_id,
        "region_code": activity.region_code,
        "project_id": activity.project_id,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "slots_total": activity.slots_total,
        "recurring": bool(activity.recurrence),
    }


def activity_create(*, actor, organization_id, values: ActivityInput, request=None) -> Activity:
    """A new draft activity of an organization the actor administers (404 for an organization
    they cannot see, 403 for one they see but do not administer), with its positions, shifts
    and slots, all or nothing. Needs a title, a category and a schedule."""
    from zhiyuan.organizations.models import Organization

    org = get_for(actor, Organization, organization_id, VIEW)
    if not can(actor, Activity(organization=org, region_code=org.region_code), MANAGE):
        refuse(
            actor=actor, action="activities.activity.create", object_type="activities.activity", request=request,
            message=_("只有组织管理员可以为本组织发布活动。"), detail={"organization_id": org.pk},
        )  # fmt: skip
    if not org.is_active:
        raise Conflict("organization_inactive", _("组织当前不是正常状态，不能创建活动。"))
    data = given(values)
    for required in ("title", "category", "region_code"):
        data.setdefault(required, "")
    errors: dict = {}
    try:
        cleaned = activity_fields_clean(data, actor=actor, organization=org)
    except DomainError as exc:
        errors.update(exc.fields)
        cleaned = {}
    try:
        positions = positions_clean(data.get("positions") or [])
    except DomainError as exc:
        errors.update(exc.fields)
        positions = []
    try:
        sched = schedule_clean(data)
        if sched is None:
            errors["shifts"] = [_("请安排活动时间：单次活动、多个班次或每周重复。")]
    except DomainError as exc:
        errors.update(exc.fields)
        sched = None
    if errors:
        raise invalid(errors)
    recurrence, windows = sched
    with transaction.atomic():
        activity = Activity.objects.create(
            organization=org, created_by=actor if getattr(actor, "pk", None) else None, recurrence=recurrence,
            starts_at=windows[0][0], ends_at=max(e for _s, e in windows), **cleaned,
        )  # fmt: skip
        _sync(activity, positions=positions, windows=windows)
        audit_record(actor=actor, action="activities.activity.create", obj=activity, request=request, detail=_detail(activity))
    return activity


def _require_manage(actor, activity: Activity, audit_action: str, request) -> None:
    if not can(actor, activity, MANAGE):
        refuse(actor=actor, action=audit_action, obj=activity, request=request,
               message=_("只有组织单位的管理员可以管理此活动。"))  # fmt: skip


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update(of=("self",)).select_related("organization", "project").get(pk=activity.pk)


def activity_update(*, actor, activity: Activity, change: ActivityInput, request=None) -> Activity:
    """Edit a draft, published or closed activity (its organization's admins). A published or
    closed one keeps a complete recruitment notice, and its shifts and slots never drop below
    what volunteers already hold (see ``_sync``)."""
    _require_manage(actor, activity, "activities.activity.update", request)
    data = given(change)
    if "organization_id" in data:  # not a field: the organization is fixed
        raise invalid({"organization_id": [_("您无权修改此项。")]})
    errors: dict = {}
    cleaned, positions, sched = {}, None, None
    try:
        cleaned = activity_fields_clean(data, actor=actor, organization=activity.organization)
    except DomainError as exc:
        errors.update(exc.fields)
    if "positions" in data:
        try:
            positions = positions_clean(data["positions"])
        except DomainError as exc:
            errors.update(exc.fields)
    try:
        sched = schedule_clean(data)
    except DomainError as exc:
        errors.update(exc.fields)
    if errors:
        raise invalid(errors)
    with transaction.atomic():
        activity = _locked(activity)
        if activity.status not in EDITABLE:
            raise Conflict("not_editable", _("活动当前状态为「%(s)s」，不能修改。") % {"s": activity.get_status_display()})
        for k, v in cleaned.items():
            setattr(activity, k, v)
        if sched is not None:
            activity.recurrence = sched[0]
        activity.save()
        _sync(activity, positions=positions, windows=sched[1] if sched is not None else None)
        if activity.status in LIVE:
            _notice_check(activity, now=None, require_future=False)
        audit_record(
            actor=actor, action="activities.activity.update", obj=activity, request=request,
            detail={"fields": sorted(data), **_detail(activity)},
        )  # fmt: skip
    return activity


# --- the status -----------------------------------------------------------------------------------


def _notice_check(activity: Activity, *, now, require_future: bool) -> None:
    """GB/T 40143: the recruitment notice is complete — time (a shift, not over), place (an
    address with coordinates, for the square's map and the check-in geofence), content,
    conditions, numbers (at least one position), how to sign up, risks, safeguards, contact."""
    errors = {f: [m] for f, m in NOTICE_REQUIRED.items() if not getattr(activity, f)}
    if activity.latitude is None or activity.longitude is None:
        errors["latitude"] = [_("请在地图上选择活动地点（经纬度），用于签到范围和地图展示。")]
    if activity.slots_total <= 0:
        errors["positions"] = [_("请至少设置一个岗位及其名额。")]
    if require_future and activity.ends_at <= (now or timezone.now()):
        errors["shifts"] = [_("活动时间已过，请调整班次后再发布。")]
    if activity.project_id and activity.project.status not in (ProjectStatus.APPROVED, ProjectStatus.RUNNING):
        errors["project_id"] = [_("所属项目须为已立项或实施中。")]
    if errors:
        raise DomainError("incomplete", _("招募公告不完整，请补充后再发布。"), fields=errors, status=422)


def _status_change(*, actor, activity: Activity, to: str, allowed: tuple, audit_action: str, request,
                   detail: dict | None = None, before=None, after=None) -> Activity:  # fmt: skip
    _require_manage(actor, activity, audit_action, request)
    with transaction.atomic():
        activity = _locked(activity)
        if activity.status not in allowed:
            raise Conflict("bad_status", _("活动当前状态为「%(s)s」，不能执行此操作。") % {"s": activity.get_status_display()})
        if before is not None:
            before(activity)
        old = activity.status
        activity.status = to
        activity.save()
        if after is not None:  # runs on the saved row, in the same transaction
            after(activity)
        audit_record(
            actor=actor, action=audit_action, obj=activity, request=request,
            detail={"from": old, "to": to, "title": activity.title, **(detail or {})},
        )  # fmt: skip
    return activity


def activity_publish(*, actor, activity: Activity, request=None, now: dt.datetime | None = None) -> Activity:
    """Publish the recruitment notice of a draft: refused (422, each missing part named) unless
    it is complete and the organization is active. ``now``: the clock (demo data and test
    factories publish activities that already took place)."""

    def check(a: Activity) -> None:
        if not a.organization.is_active:
            raise Conflict("organization_inactive", _("组织当前不是正常状态，不能发布活动。"))
        _notice_check(a, now=now, require_future=True)
        a.published_at = now or timezone.now()

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.PUBLISHED, allowed=(ActivityStatus.DRAFT,),
                          audit_action="activities.activity.publish", request=request, before=check)  # fmt: skip


def activity_close_recruitment(*, actor, activity: Activity, request=None) -> Activity:
    """Stop recruiting (停止招募); those enrolled keep their places."""
    return _status_change(actor=actor, activity=activity, to=ActivityStatus.CLOSED, allowed=(ActivityStatus.PUBLISHED,),
                          audit_action="activities.activity.close", request=request)  # fmt: skip


def activity_reopen_recruitment(*, actor, activity: Activity, request=None) -> Activity:
    """Recruit again after closing, while the activity is not over."""

    def check(a: Activity) -> None:
        if a.ends_at <= timezone.now():
            raise Conflict("over", _("活动已结束，不能重新招募。"))

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.PUBLISHED, allowed=(ActivityStatus.CLOSED,),
                          audit_action="activities.activity.reopen", request=request, before=check)  # fmt: skip


def on_activity_cancelled(*, activity: Activity, actor, reason: str) -> None:
    """Called inside the cancelling transaction, after the activity row is saved as cancelled:
    every live enrollment ends, the slots open again and each person is told why (ACT-3, ACT-7)."""
    from zhiyuan.activities.enrollment import on_activity_cancelled as cancel_enrollments

    cancel_enrollments(activity, reason=reason, actor=actor)


def activity_cancel(*, actor, activity: Activity, reason: str, request=None) -> Activity:
    """Cancel a draft, published or closed activity, with a reason (those enrolled are told)."""
    reason = text_of(reason)
    if error := text_error(reason, limit=200, multiline=True):
        raise invalid({"reason": [error]})
    if not reason:
        raise invalid({"reason": [_("请填写取消原因，已报名的志愿者将收到该原因。")]})

    def hook(a: Activity) -> None:
        on_activity_cancelled(activity=a, actor=actor, reason=reason)

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.CANCELLED, allowed=EDITABLE,
                          audit_action="activities.activity.cancel", request=request, detail={"reason": reason},
                          after=hook)  # fmt: skip


def activity_finish(*, actor, activity: Activity, request=None, now: dt.datetime | None = None) -> Activity:
    """Mark a published or closed activity finished (已结束) once it has begun; an activity
    that will not take place is cancelled instead."""

    def check(a: Activity) -> None:
        if a.starts_at > (now or timezone.now()):
            raise Conflict("not_started", _("活动尚未开始，不能结束；如不再举办，请取消活动。"))

    return _status_change(actor=actor, activity=activity, to=ActivityStatus.FINISHED, allowed=LIVE,
                          audit_action="activities.activity.finish", request=request, before=check)  # fmt: skip


def activity_get(*, actor, id, action: str = VIEW) -> Activity:
    """Fetch-and-authorize: 404 missing or outside the view scope, 403 visible but ``action``
    not allowed."""
    return get_for(actor, Activity.objects.select_related("organization", "project", "insurance_policy"), id, action)


@dataclass
class ActivityPlan:
    positions: list
    shifts: list  # each with ``slot_list`` (its slots, in position order)


def activity_plan(*, activity: Activity) -> ActivityPlan:
    """The positions (with their required courses and qualifications) and the shifts with their
    slots of one activity the caller fetched in scope. Four queries, whatever the size."""
    from django.db.models import Prefetch

    positions = list(activity.positions.order_by("id").prefetch_related("required_courses", "required_qualifications"))
    shifts = list(
        activity.shifts.order_by("starts_at", "id").prefetch_related(
            Prefetch("slots", queryset=Slot.objects.order_by("position_id"), to_attr="slot_list")
        )
    )
    return ActivityPlan(positions=positions, shifts=shifts)
