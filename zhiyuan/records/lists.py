"""The hour ledger's lists, declared once (ARCHITECTURE rule 7; docs/architecture.md "How to add a
list"); each is a keyset page on an index led by its owner, so a page costs the same at 10⁷
entries as at 10:

* ``MY_ENTRIES``      a volunteer's entries — ``(volunteer, service_date, id)``
* ``QUEUE``           an organization's confirmation queue — partial ``attendance_hours_queue``
* ``ORG_ENTRIES``     an organization's recorded entries — ``(organization, created_at, id)``
* ``ORG_CORRECTIONS`` / ``MY_CORRECTIONS`` — ``(organization, status, id)`` / ``(volunteer, id)``
* ``ORG_HONOUR``      honour grants of an organization — ``(organization, status, id)``
"""

import datetime as dt
import functools

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.activities.models import Attendance
from zhiyuan.core.lists import CodeFilter, Col, IntFilter, ListSpec, Sort
from zhiyuan.records import selectors
from zhiyuan.records.models import (
    CorrectionRequest,
    CorrectionStatus,
    EntryAction,
    HonourGrant,
    HonourStatus,
    HourEntry,
    HourKind,
)
from zhiyuan.records.permissions import is_org_admin


def _local(ts) -> str:
    return f"{timezone.localtime(ts):%Y-%m-%d %H:%M}" if ts else "—"


@functools.lru_cache(maxsize=64)
def _action_label(language: str, kind: str, action: str) -> str:
    """「服务时长·确认」: one gettext per language and pair, not two per row (a page showed it)."""
    return f"{HourKind(kind).label}·{EntryAction(action).label}"


def _entry_action(e) -> str:
    from django.utils.translation import get_language

    return _action_label(get_language() or "", e.kind, e.action)


def _interval(e) -> str:
    if not e.starts_at:
        return "—"
    return f"{_local(e.starts_at)}–{timezone.localtime(e.ends_at):%H:%M}"


# --- a volunteer's entries ---------------------------------------------------------------------


def own_entries(actor):
    from zhiyuan.volunteers.selectors import volunteer_or_none

    v = volunteer_or_none(actor)
    if v is None:
        return HourEntry.objects.none()
    return HourEntry.objects.filter(volunteer_id=v.pk).select_related("activity", "organization")


class YearFilterSet(django_filters.FilterSet):
    year = IntFilter(method="filter_year", label=_("年份"), min_value=2000, max_value=2100)
    kind = CodeFilter(field_name="kind", label=_("类型"), choices=HourKind.choices, empty_label=_("全部类型"))

    def filter_year(self, qs, name, value):
        # a range on service_date: the (volunteer, service_date, id) index
        return qs.filter(service_date__gte=dt.date(value, 1, 1), service_date__lte=dt.date(value, 12, 31)) if value else qs


def _entry_cols(*, org_side: bool) -> list[Col]:
    cols = [
        Col("service_date", _("服务日期"), role="key"),
        Col("activity", _("活动"), role="key", value=lambda e: e.activity.title if e.activity_id else e.reason),
        Col("action", _("操作"), role="status", value=_entry_action),
        Col("minutes", _("时长"), value=lambda e: selectors.hours_text(e.minutes)),
        Col("interval", _("服务时段"), value=_interval),
    ]
    if org_side:
        cols.insert(1, Col("volunteer", _("志愿者"), role="key", value=lambda e: e.volunteer.name))
        cols.append(Col("change", _("处理"), role="action", template="records/partials/_entry_actions.html"))
    else:
        cols.append(Col("organization", _("记录组织"), value=lambda e: e.organization.name))
        cols.append(Col("reason", _("说明"), value=lambda e: e.reason or "—"))
        cols.append(Col("correct", _("更正"), role="action", template="records/partials/_my_entry_actions.html"))
    return cols


MY_ENTRIES = ListSpec(
    name="records.my_entries",
    model=HourEntry,
    source=own_entries,
    filters=YearFilterSet,
    sorts={"-service_date": Sort(_("服务日期（新→旧）"), ("-service_date", "-id"))},
    default_sort="-service_date",
    columns=_entry_cols(org_side=False),
)


# --- an organization's lists (context: the organization, fetched and authorized first) -------------


def _org_source(actor, org=None):
    return org is not None and is_org_admin(actor, org.pk)


class QueueFilter(django_filters.FilterSet):
    activity = IntFilter(field_name="activity_id", label=_("活动编号"), min_value=1, max_value=2**63 - 1)


def queue_source(actor, org=None):
    if not _org_source(actor, org):
        return Attendance.objects.none()
    return selectors.queue_scope(organization=org)


def _attendance_time(a) -> str:
    out = _local(a.check_in_at)
    return f"{out}–{timezone.localtime(a.check_out_at):%H:%M}" if a.check_out_at else f"{out}–？"


def _flags(a) -> str:
    from zhiyuan.records.services.hours import flag_labels, needs_decision

    labels = flag_labels([f for f in needs_decision(a) if f != "no_check_out"] + [f for f in a.flags or [] if f == "late"])
    if a.check_out_at is None:
        labels.append(str(_("未签退")))
    return "、".join(labels) or str(_("无异常"))


def _queue_decorate(rows: list) -> list:
    from zhiyuan.records.services.hours import needs_decision

    for a in rows:
        a.decision = needs_decision(a)  # empty: may be confirmed as it is (bulk too)
    return rows


QUEUE = ListSpec(
    name="records.queue",
    model=Attendance,
    source=queue_source,
    filters=QueueFilter,
    sorts={"check_in_at": Sort(_("签到时间（早→晚）"), ("check_in_at", "id"))},
    default_sort="check_in_at",
    page_size=20,  # a phone screen of cards; 50 or 100 to work through a long queue
    page_sizes=(20, 50, 100),
    decorate=_queue_decorate,
    columns=[
        Col("pick", _("选择"), role="action", template="records/partials/_queue_pick.html"),
        Col("volunteer", _("志愿者"), role="key", value=lambda a: a.volunteer.name),
        Col("activity", _("活动"), role="key", value=lambda a: a.activity.title),
        Col("flags", _("异常"), role="status", value=_flags),
        Col("time", _("签到–签退"), value=_attendance_time),
        Col("shift", _("班次"), value=lambda a: f"{_local(a.shift.starts_at)}–{timezone.localtime(a.shift.ends_at):%H:%M}"),
        Col("decide", _("处理"), role="action", template="records/partials/_queue_actions.html"),
    ],
)


def org_entries_source(actor, org=None):
    if not _org_source(actor, org):
        return HourEntry.objects.none()
    return HourEntry.objects.filter(organization_id=org.pk).select_related("activity", "volunteer")


class OrgEntryFilter(django_filters.FilterSet):
    kind = CodeFilter(field_name="kind", label=_("类型"), choices=HourKind.choices, empty_label=_("全部类型"))
    action = CodeFilter(field_name="action", label=_("操作"), choices=EntryAction.choices, empty_label=_("全部操作"))


ORG_ENTRIES = ListSpec(
    name="records.org_entries",
    model=HourEntry,
    source=org_entries_source,
    filters=OrgEntryFilter,
    sorts={"-created_at": Sort(_("记录时间（新→旧）"), ("-created_at", "-id"))},
    default_sort="-created_at",
    columns=_entry_cols(org_side=True),
)


class CorrectionFilter(django_filters.FilterSet):
    status = CodeFilter(field_name="status", label=_("状态"), choices=CorrectionStatus.choices, empty_label=_("全部状态"))

    def __init__(self, data=None, *args, **kwargs):
        super().__init__({"status": CorrectionStatus.PENDING} if data is None else data, *args, **kwargs)


def org_corrections_source(actor, org=None):
    if not _org_source(actor, org):
        return CorrectionRequest.objects.none()
    return CorrectionRequest.objects.filter(organization_id=org.pk).select_related("volunteer", "activity")


def own_corrections(actor):
    from zhiyuan.volunteers.selectors import volunteer_or_none

    v = volunteer_or_none(actor)
    if v is None:
        return CorrectionRequest.objects.none()
    return CorrectionRequest.objects.filter(volunteer_id=v.pk).select_related("activity")


_correction_cols = [
    Col("kind", _("类型"), role="key", value=lambda c: c.get_kind_display()),
    Col("activity", _("活动"), role="key", value=lambda c: c.activity.title if c.activity_id else "—"),
    Col("status", _("状态"), role="status", value=lambda c: c.get_status_display()),
    Col(
        "claimed",
        _("申报时段"),
        value=lambda c: f"{_local(c.claimed_starts_at)}–{_local(c.claimed_ends_at)}" if c.claimed_starts_at else "—",
    ),
    Col("explanation", _("说明"), value=lambda c: c.explanation[:200]),
    Col("created_at", _("提交时间"), value=lambda c: _local(c.created_at)),
]

ORG_CORRECTIONS = ListSpec(
    name="records.org_corrections",
    model=CorrectionRequest,
    source=org_corrections_source,
    filters=CorrectionFilter,
    sorts={"-id": Sort(_("提交时间（新→旧）"), ("-id",))},
    default_sort="-id",
    columns=[
        Col("volunteer", _("志愿者"), role="key", value=lambda c: c.volunteer.name),
        *_correction_cols,
        Col("decide", _("处理"), role="action", template="records/partials/_correction_actions.html"),
    ],
)

MY_CORRECTIONS = ListSpec(
    name="records.my_corrections",
    model=CorrectionRequest,
    source=own_corrections,
    filters=type("MyCorrectionFilter", (django_filters.FilterSet,), {}),
    sorts={"-id": Sort(_("提交时间（新→旧）"), ("-id",))},
    default_sort="-id",
    columns=[*_correction_cols, Col("decision_note", _("处理意见"), value=lambda c: c.decision_note or "—")],
)


class HonourFilter(django_filters.FilterSet):
    status = CodeFilter(field_name="status", label=_("状态"), choices=HonourStatus.choices, empty_label=_("全部状态"))


def org_honour_source(actor, org=None):
    if not _org_source(actor, org):
        return HonourGrant.objects.none()
    return HonourGrant.objects.filter(organization_id=org.pk).select_related("volunteer", "proposed_by", "decided_by")


ORG_HONOUR = ListSpec(
    name="records.org_honour",
    model=HonourGrant,
    source=org_honour_source,
    filters=HonourFilter,
    sorts={"-id": Sort(_("申报时间（新→旧）"), ("-id",))},
    default_sort="-id",
    columns=[
        Col("volunteer", _("志愿者"), role="key", value=lambda g: g.volunteer.name),
        Col("minutes", _("时长"), role="key", value=lambda g: selectors.hours_text(g.minutes)),
        Col("status", _("状态"), role="status", value=lambda g: g.get_status_display()),
        Col("service_date", _("服务日期")),
        Col("reason", _("事由")),
        Col("proposed_by", _("申报人"), value=lambda g: g.proposed_by.display_name),
        Col("decided_by", _("审批人"), value=lambda g: g.decided_by.display_name if g.decided_by_id else "—"),
        Col("decide", _("处理"), role="action", template="records/partials/_honour_actions.html"),
    ],
)
