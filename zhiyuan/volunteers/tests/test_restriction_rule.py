"""VOL-6 / PIPL art. 47: one definition of a restricted person (consent withdrawn) — the queryset
methods, the manager scope and the organizations' member lists all follow it."""

import pytest

from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.services.consent import consent_withdraw
from zhiyuan.volunteers.tests.factories import HUICHENG_TOWN, register

pytestmark = pytest.mark.django_db


def test_restricted_and_processable_partition_the_volunteers(county_manager, volunteer):
    other = register(name="李撤回", region_code=HUICHENG_TOWN)
    consent_withdraw(actor=other.user)
    other.refresh_from_db()
    assert other.is_restricted and not volunteer.is_restricted
    assert list(Volunteer.objects.restricted()) == [other]
    assert list(Volunteer.objects.processable()) == [volunteer]
    assert list(Volunteer.objects.visible_to(county_manager)) == [volunteer]
    assert set(Volunteer.objects.visible_to(county_manager, include_restricted=True)) == {volunteer, other}
    assert list(Volunteer.objects.visible_to(county_manager, "manage")) == [volunteer]


def test_member_lists_leave_restricted_people_out(county_manager, volunteer):
    from zhiyuan.organizations import selectors
    from zhiyuan.organizations.tests.factories import active_org, member

    org = active_org(county_manager)
    member(org, volunteer, admin=county_manager)
    assert selectors.member_scope(org=org).filter(volunteer=volunteer).exists()
    consent_withdraw(actor=volunteer.user)
    assert not selectors.member_scope(org=org).filter(volunteer=volunteer).exists()



def test_the_rule_is_spelled_only_in_the_model():
    """Every other module filters through ``processable()`` / ``processable_q`` / ``is_restricted``:
    a filter on the column itself is a second copy of the rule that can drift."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spelled = re.compile(r"restricted_at__isnull|restricted_at is (not )?None")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not {"tests", "migrations"} & set(path.parts)
        and path != root / "volunteers" / "models.py"
        and spelled.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
