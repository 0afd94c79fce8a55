"""Expiry alerts reach the policy's managers through the notification centre (ACT-7, FUN-4):
the holder's admins (not another organization's), or a platform policy's region managers; once
per person, policy and end date."""

import datetime as dt

from django.core.management import call_command

from zhiyuan.core.models import Notification
from zhiyuan.insurance import services
from zhiyuan.insurance.tests.factories import policy

ON = dt.date(2026, 6, 1)


def _expiring(on=ON):
    from zhiyuan.insurance.selectors import policies_expiring

    return list(policies_expiring(on=on))


def test_the_holders_admins_are_told_once(org, org_admin, other_org, other_org_admin, county_manager):
    soon = policy(org_admin, org, policy_no="SOON", ends_on=dt.date(2026, 6, 20))
    policy(org_admin, org, policy_no="LATER", ends_on=dt.date(2026, 12, 31))
    assert services.policy_expiry_notify(policies=_expiring()) == 1
    [n] = Notification.objects.all()
    assert n.user == org_admin and n.kind == "insurance.policy.expiry"
    assert "SOON" in n.title and "2026-06-20" in n.title and n.url == f"/insurance/{soon.pk}/"
    assert not Notification.objects.filter(user__in=[other_org_admin, county_manager]).exists()
    assert services.policy_expiry_notify(policies=_expiring(ON + dt.timedelta(days=1))) == 0  # the next day


def test_a_renewed_period_is_told_again(org, org_admin):
    p = policy(org_admin, org, policy_no="RENEW", ends_on=dt.date(2026, 6, 20))
    services.policy_expiry_notify(policies=_expiring())
    type(p).objects.filter(pk=p.pk).update(ends_on=dt.date(2026, 6, 25))
    assert services.policy_expiry_notify(policies=_expiring()) == 1
    assert Notification.objects.filter(user=org_admin).count() == 2


def test_a_platform_policy_tells_the_region_managers_of_its_region(city_manager, county_manager, other_county_manager):
    from zhiyuan.insurance.tests.factories import policy_data

    p = services.policy_create(
        actor=city_manager, data=policy_data(policy_no="PLAT", region_code="441302000000", ends_on=dt.date(2026, 6, 10))
    )
    assert p.holder_id is None
    services.policy_expiry_notify(policies=_expiring())
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {city_manager.pk, county_manager.pk}  # 惠州市 and 惠城区, not 惠阳区


def test_the_command_notifies_unless_dry_run(org, org_admin, capsys):
    policy(org_admin, org, policy_no="CMD", ends_on=dt.date(2026, 6, 20))
    call_command("insurance_expiry_alerts", "--on", "2026-06-01", "--dry-run")
    assert "CMD" in capsys.readouterr().out and not Notification.objects.exists()
    call_command("insurance_expiry_alerts", "--on", "2026-06-01")
    assert "1 notice(s) sent" in capsys.readouterr().out
    assert Notification.objects.filter(user=org_admin).count() == 1
