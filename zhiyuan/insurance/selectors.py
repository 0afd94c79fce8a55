"""Reads of the insurance app. Every query starts from ``InsurancePolicy.objects.visible_to``
(ARCHITECTURE rule 1)."""

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from zhiyuan.accounts.scopes import MANAGE, VIEW, get_for
from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson, Status

RELATED = ("holder",)


def today() -> dt.date:
    return timezone.localdate()


def policy_scope(*, actor, action: str = VIEW) -> QuerySet[InsurancePolicy]:
    return InsurancePolicy.objects.visible_to(actor, action).select_related(*RELATED)


def policy_get(*, actor, id, action: str = VIEW) -> InsurancePolicy:
    """404 for missing and out-of-scope alike, 403 when visible but not the actor's to ``action``."""
    return get_for(actor, InsurancePolicy.objects.select_related(*RELATED), id, action)


def policy_get_for_manage(*, actor, id) -> InsurancePolicy:
    return policy_get(actor=actor, id=id, action=MANAGE)


def expiry_days() -> int:
    return settings.ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS


def policies_expiring(*, actor=None, within_days: int | None = None, on: dt.date | None = None) -> QuerySet[InsurancePolicy]:
    """Policies in force that end within ``within_days`` (``ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS``)
    of ``on`` (today): those the actor manages, or every one when ``actor`` is None (the
    management command). Read on the ``(status, ends_on)`` index."""
    on = on or today()
    days = expiry_days() if within_days is None else within_days
    qs = InsurancePolicy.objects.all() if actor is None else InsurancePolicy.objects.visible_to(actor, MANAGE)
    return (
        qs.filter(status=Status.ACTIVE, ends_on__gte=on, ends_on__lte=on + dt.timedelta(days=days))
        .select_related(*RELATED)
        .order_by("ends_on", "id")
    )


def insured_scope(*, policy: InsurancePolicy) -> QuerySet[InsuredPerson]:
    """The list of one policy (the caller fetched ``policy`` in scope)."""
    return InsuredPerson.objects.filter(policy=policy).select_related("volunteer")


def organization_for_cover(*, actor, id):
    """The organization whose cover the actor asks about: one they manage (404 otherwise)."""
    from zhiyuan.organizations.models import Organization

    return get_for(actor, Organization, id, MANAGE)


def _listed_with(org) -> QuerySet:
    return InsuredPerson.objects.filter(policy__holder_id__in=[i for i in (org.pk, org.parent_id) if i])


def cover_check_volunteers(*, actor, organization, ids=None, numbers=None) -> list:
    """The volunteers (by id or volunteer number) the actor may ask about for ``organization``:
    those they may see (an org admin: its members and applicants), or on one of the
    organization's insured lists. Others are left out, as if missing. Two queries."""
    from django.db.models import Exists, OuterRef

    from zhiyuan.volunteers.models import Volunteer

    qs = Volunteer.objects.all()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    if numbers is not None:
        qs = qs.filter(volunteer_no__in=list(numbers))
    visible = Volunteer.objects.visible_to(actor).filter(pk=OuterRef("pk"))
    listed = _listed_with(organization).filter(volunteer_id=OuterRef("pk"))
    return list(qs.filter(Exists(visible) | Exists(listed)).only("id", "name", "volunteer_no", "region_code"))


def insured_export_rows(volunteer) -> list[dict]:
    """The person's own insurance cover for their data download (PIPL 45; VOL-6): every policy
    whose list names them — insurer, number, kind, cover, holder, period, sum, status, when they
    were listed. Two queries; the blind index of their number stays out (it is not data about
    them the person could use)."""
    people = (
        InsuredPerson.objects.filter(volunteer=volunteer)
        .select_related("policy", "policy__holder")
        .order_by("policy__starts_on", "id")
    )
    return [
        {
            "insurer": p.policy.insurer,
            "policy_no": p.policy.policy_no,
            "kind": p.policy.get_kind_display(),
            "cover": p.policy.get_cover_display(),
            "holder": p.policy.holder_name,
            "starts_on": p.policy.starts_on.isoformat(),
            "ends_on": p.policy.ends_on.isoformat(),
            "sum_insured": str(p.policy.sum_insured),
            "status": p.policy.get_status_display(),
            "cancelled_on": p.policy.cancelled_on.isoformat() if p.policy.cancelled_on else None,
            "listed_name": p.name,
            "listed_at": timezone.localtime(p.added_at).isoformat(timespec="seconds"),
        }
        for p in people
    ]
