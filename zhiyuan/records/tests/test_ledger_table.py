"""The hour ledger table is append-only in the database itself (ARCHITECTURE rule 10)."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from zhiyuan.core.chain import chain_append, chain_verify
from zhiyuan.organizations.tests.factories import active_org
from zhiyuan.records.models import HourEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("statement", ["UPDATE records_hourentry SET minutes = 0", "DELETE FROM records_hourentry"])
def test_the_database_refuses_to_change_ledger_entries(statement, county_manager, volunteer):
    org = active_org(county_manager)
    entry = HourEntry(
        partition=f"v{volunteer.pk}",
        volunteer=volunteer,
        organization=org,
        region_code=org.region_code,
        kind="honour",
        action="confirm",
        minutes=60,
        service_date=dt.date(2026, 5, 1),
        reason="测试",
        recorded_by=county_manager,
    )
    chain_append(entry)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement)
    assert HourEntry.objects.get().minutes == 60
    assert chain_verify(HourEntry).ok
