"""The hours pages lead to the next step: a 我的时长 line to its correction request (the form
opens with that line chosen), the totals in the ledger's own unit, the organizer's tabs marking
where they are, an empty queue saying what is empty."""

import pytest
from django.urls import reverse

from zhiyuan.records import services
from zhiyuan.records.models import HourEntry
from zhiyuan.records.tests.factories import attend

pytestmark = pytest.mark.django_db


def test_a_ledger_line_opens_its_correction_request(client, admin, activity, volunteer):
    services.attendance_confirm(actor=admin, attendance=attend(activity, volunteer))
    entry = HourEntry.objects.get(volunteer=volunteer, action="confirm")
    client.force_login(volunteer.user)
    page = client.get(reverse("records:my_hours")).content.decode()
    link = f"{reverse('records:correction_new')}?entry={entry.pk}"
    assert f'href="{link}"' in page
    assert 'data-minutes="180"' in page and "3小时00分" in page  # the total as the lines read
    form = client.get(link).content.decode()
    assert f'<option value="{entry.pk}" selected>' in form
    assert 'name="kind" value="error" required id="id_kind_0" checked>' in form
    # someone else's line, or nonsense, opens the blank form
    for other in (str(entry.pk + 1000), "x"):
        blank = client.get(reverse("records:correction_new"), {"entry": other}).content.decode()
        assert f'<option value="{entry.pk}" selected>' not in blank and "checked>" not in blank


def test_the_organizer_tabs_mark_the_current_page_and_the_empty_queue_says_so(client, admin, org):
    client.force_login(admin)
    page = client.get(reverse("records:org_queue", args=[org.pk])).content.decode()
    assert "没有待确认的时长" in page
    tabs = page[page.index("data-org-tabs") :]
    tabs = tabs[: tabs.index("</nav>")]
    assert tabs.count('aria-current="page"') == 1
    assert f'href="{reverse("records:org_queue", args=[org.pk])}" aria-current="page"' in tabs
    entries = client.get(reverse("records:org_entries", args=[org.pk])).content.decode()
    assert f'href="{reverse("records:org_entries", args=[org.pk])}" aria-current="page"' in entries
