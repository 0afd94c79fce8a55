"""The organization's member list on the list machinery (issue #7; ``organizations.lists.MEMBERS``):
exact query counts whatever the number of members, cursor paging, filters, each member's actions
on its own row/card, the scope (a stranger's request finds nothing), the export from the spec."""

import re

import pytest

from zhiyuan.core.models import AuditEntry
from zhiyuan.organizations import services
from zhiyuan.organizations.lists import MEMBERS, members_source
from zhiyuan.organizations.models import Membership
from zhiyuan.organizations.tests.factories import active_org
from zhiyuan.volunteers.tests import factories as vf

pytestmark = pytest.mark.django_db
MANAGE = "/organizations/manage/"


@pytest.fixture
def org(county_manager):
    return active_org(county_manager, name="桥东长者服务中心")


GAN = "甲乙丙丁戊己庚辛壬癸"


def name(i: int) -> str:
    return f"成员{GAN[i // 10]}{GAN[i % 10]}"


def join(org, n: int, *, approve: int = 0) -> list[Membership]:
    """``n`` volunteers apply; the first ``approve`` of them are approved."""
    out = []
    for i in range(n):
        m = services.membership_apply(actor=vf.register(name=name(i)).user, org=org)
        if i < approve:
            m = services.membership_approve(actor=org.created_by, membership=m)
        out.append(m)
    return out


def member_ids(r) -> list[int]:
    return [int(x) for x in re.findall(r'data-member="(\d+)"', r.content.decode())]


# Session, user, roles, the admin's own volunteer row, the organization, its categories, its region
# name, its status history, its sub-teams, one page of members (with their volunteers and users:
# one joined query). The same whatever the number of members.
PAGE_QUERIES = 11  # + the unread-notice badge (core.context_processors.notifications)


def test_member_page_query_count_is_exact_and_does_not_grow(client, org, django_assert_num_queries):
    client.force_login(org.created_by)
    url = f"{MANAGE}{org.pk}/"
    client.get(url)  # the first request after a login saves the session
    counts = []
    for more in (2, 9):
        join(org, more, approve=1)
        with django_assert_num_queries(PAGE_QUERIES) as ctx:
            r = client.get(url, {"status": "all", "sort": "-created_at"})
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(member_ids(r)) == 11 and counts[0] == counts[1]


def test_member_page_pages_by_cursor_and_filters(client, org):
    ms = join(org, 33, approve=3)
    client.force_login(org.created_by)
    url = f"{MANAGE}{org.pk}/"
    r = client.get(url)
    first = member_ids(r)
    assert len(first) == 30 and "cursor=" in r.content.decode()
    cursor = re.search(r'cursor=([\w-]+)"', r.content.decode()).group(1)
    rest = member_ids(client.get(url, {"cursor": cursor}))
    assert len(rest) == 3 and not set(first) & set(rest)
    assert set(first) | set(rest) == {m.pk for m in ms}
    assert len(member_ids(client.get(url, {"status": "active"}))) == 3
    assert member_ids(client.get(url, {"q": name(7)})) == [ms[7].pk]
    r = client.get(url, {"status": "nonsense"})  # an invalid filter is shown, and filters nothing wrongly
    assert r.status_code == 200 and "选择一个有效的选项" in r.content.decode()


def test_each_member_has_its_actions_on_its_own_row(client, org):
    applied, active = join(org, 2, approve=0)[0], join(org, 1, approve=1)[0]
    client.force_login(org.created_by)
    page = client.get(f"{MANAGE}{org.pk}/").content.decode()
    rows = dict(re.findall(r'<tr data-row="(\d+)" data-member="\d+">(.*?)</tr>', page, re.S))
    assert f"/members/{applied.pk}/approve/" in rows[str(applied.pk)]
    assert f"/members/{applied.pk}/reject/" in rows[str(applied.pk)]
    assert f"/members/{active.pk}/remove/" in rows[str(active.pk)] and "approve/" not in rows[str(active.pk)]
    assert 'class="col-action"' in page and "style=" not in rows[str(applied.pk)]


def test_the_source_is_empty_for_anyone_who_may_not_manage_the_members(org, huiyang_volunteer, county_manager):
    join(org, 2)
    assert members_source(county_manager, org=org).count() == 2  # the responsible region manager
    assert members_source(huiyang_volunteer.user, org=org).count() == 0
    assert members_source(org.created_by).count() == 0  # no parent given: nothing


def test_export_comes_from_the_spec_and_is_audited_with_its_filters(client, org):
    join(org, 3, approve=1)
    client.force_login(org.created_by)
    r = client.get(f"{MANAGE}{org.pk}/members/export.xlsx", {"status": "active"})
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == [str(c.label) for c in MEMBERS.export] and len(rows) == 2
    e = AuditEntry.objects.get(action="organizations.member.export", object_id=str(org.pk))
    assert e.detail["filters"]["status"] == "active"
    bad = client.get(f"{MANAGE}{org.pk}/members/export.xlsx", {"status": "nonsense"})
    assert bad.status_code == 302 and bad.url.endswith("?status=nonsense#members")
