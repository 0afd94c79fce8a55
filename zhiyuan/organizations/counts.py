"""The public member count of each organization (ORG-6), kept on ``Organization.member_count``.

A member counts while the membership is active and the volunteer has not withdrawn consent
(``restricted_at`` empty) — what ``selectors.member_counts`` counts from the memberships. The
stored count changes in the same transaction as the change that moves it, by a relative
``UPDATE … SET member_count = member_count ± 1`` (safe under concurrent changes; never below 0):

* a membership becomes active (approve, accept an invitation, approval of an applicant's
  organization) or stops being active (leave, remove, the organization suspended or
  deregistered): ``membership_counted_changed``;
* a volunteer withdraws privacy consent or accepts it again: ``volunteer_restriction_changed``
  (registered with ``volunteers.services.consent`` in ``OrganizationsConfig.ready``).

``member_counts_rebuild`` recounts from the memberships and reports (and fixes) differences:
``python manage.py organization_member_counts [--check]``. The public directory therefore never
aggregates memberships per request."""

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.volunteers.models import processable_q


def counted(status: str, volunteer) -> bool:
    return status == Membership.Status.ACTIVE and not volunteer.is_restricted


def member_count_add(org_id: int, delta: int) -> None:
    if delta:
        Organization.objects.filter(pk=org_id).update(member_count=_plus(delta))


def membership_counted_changed(m: Membership, *, old_status: str) -> None:
    """After ``m.status`` moved from ``old_status``: adjust its organization's count."""
    member_count_add(m.organization_id, int(counted(m.status, m.volunteer)) - int(counted(old_status, m.volunteer)))


def volunteer_restriction_changed(volunteer, *, restricted: bool) -> None:
    """The volunteer's active memberships stop (or start again) counting."""
    org_ids = Membership.objects.filter(volunteer_id=volunteer.pk, status=Membership.Status.ACTIVE).values("organization_id")
    Organization.objects.filter(pk__in=org_ids).update(member_count=_plus(-1 if restricted else 1))


def _plus(delta: int):
    """Never below zero: a count that drifted (the rebuild reports it) must not make a member
    leave or a person withdraw consent fail on the column's check."""
    return Greatest(F("member_count") + delta, Value(0))


def _actual_counts():
    return (
        Membership.objects.filter(processable_q("volunteer__"), organization_id=OuterRef("pk"), status=Membership.Status.ACTIVE)
        .order_by()
        .values("organization_id")
        .annotate(n=Count("id"))
        .values("n")
    )


def member_counts_rebuild(*, fix: bool = True) -> list[dict]:
    """Recount every organization from its memberships; returns the differences
    (``{"id", "stored", "actual"}``) and, unless ``fix`` is false, stores the actual counts."""
    actual = Coalesce(Subquery(_actual_counts(), output_field=IntegerField()), Value(0))
    rows = Organization.objects.annotate(actual=actual).filter(~Q(member_count=F("actual")))
    diffs = [{"id": pk, "stored": stored, "actual": n} for pk, stored, n in rows.values_list("pk", "member_count", "actual")]
    if fix and diffs:
        Organization.objects.filter(pk__in=[d["id"] for d in diffs]).update(member_count=actual)
    return sorted(diffs, key=lambda d: d["id"])
