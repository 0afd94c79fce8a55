"""Reads of the hour ledger. The volunteer's totals come from the kept ``HourTotal`` rows (one
indexed read, never a SUM over the ledger — rule 9); lists are keyset pages (``lists.py``)."""

from dataclasses import dataclass, field

from django.utils import timezone

from zhiyuan.activities.models import Attendance, HoursState
from zhiyuan.records.models import HourTotal


@dataclass
class Totals:
    credit: int = 0
    honour: int = 0

    @property
    def minutes(self) -> int:
        return self.credit + self.honour

    # as the ledger's lines read ("2小时30分"): the totals above them in the same unit
    @property
    def credit_text(self) -> str:
        return hours_text(self.credit)

    @property
    def honour_text(self) -> str:
        return hours_text(self.honour)


@dataclass
class HoursSummary:
    lifetime: Totals = field(default_factory=Totals)
    years: list = field(default_factory=list)  # [(year, Totals)] newest first
    organizations: list = field(default_factory=list)  # [(organization, Totals)] most first


def hours_summary(*, volunteer_id: int) -> HoursSummary:
    """Lifetime, per-year and per-organization minutes of one volunteer: one query on the
    ``(volunteer, …)`` unique indexes of ``HourTotal``."""
    out = HoursSummary()
    for t in HourTotal.objects.filter(volunteer_id=volunteer_id).select_related("organization"):
        totals = Totals(t.credit_minutes, t.honour_minutes)
        if t.organization_id:
            out.organizations.append((t.organization, totals))
        elif t.year:
            out.years.append((t.year, totals))
        else:
            out.lifetime = totals
    out.years.sort(key=lambda p: -p[0])
    out.organizations.sort(key=lambda p: -p[1].minutes)
    return out


def queue_scope(*, organization):
    """The organization's confirmation queue: attendances of its finished shifts whose hours are
    not decided yet (the partial index ``attendance_hours_queue`` holds only those)."""
    return (
        Attendance.objects.filter(organization_id=organization.pk, hours_state=HoursState.PENDING)
        .filter(shift__ends_at__lte=timezone.now())
        .select_related("volunteer", "activity", "shift")
    )


def hours_text(minutes: int) -> str:
    from django.utils.translation import gettext as _

    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(int(minutes or 0)), 60)
    return _("%(sign)s%(h)d小时%(m)02d分") % {"sign": sign, "h": h, "m": m}


def attendance_get_for_decision(*, actor, id) -> Attendance:
    """An attendance whose hours ``actor`` decides: 404 when missing or invisible, 403 when
    visible (a region manager's region) but the actor does not administer its organizer (REC-2)."""
    from zhiyuan.accounts.scopes import VIEW, pk_or_404
    from zhiyuan.core.errors import NotFound, PermissionDenied
    from zhiyuan.records.permissions import NOT_ORGANIZER, is_org_admin

    att = Attendance.objects.select_related("activity", "shift").filter(pk=pk_or_404(id)).first()
    if att is None:
        raise NotFound()
    if is_org_admin(actor, att.organization_id):
        return att
    if Attendance.objects.all().allows(actor, att, VIEW):
        raise PermissionDenied(NOT_ORGANIZER)
    raise NotFound()


def admin_organizations(*, actor) -> list:
    from zhiyuan.organizations.models import Organization
    from zhiyuan.records.permissions import admin_org_ids

    return list(Organization.objects.filter(pk__in=sorted(admin_org_ids(actor))).order_by("name", "id"))
