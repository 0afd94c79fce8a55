"""Volunteer totals kept per region and status (issue #7 item 2, ``volunteers/tallies.py``): each
writer changes them in its own transaction, the rebuild reports every difference, the list page
shows "共 N 人" from them without counting the scope."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from zhiyuan.volunteers import imports
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.models import Volunteer, VolunteerTally
from zhiyuan.volunteers.services.profile import ProfileChange
from zhiyuan.volunteers.tallies import tally_rebuild
from zhiyuan.volunteers.tests import factories as f
from zhiyuan.volunteers.tests.test_import import row, xlsx

pytestmark = pytest.mark.django_db
PAGE = "/volunteers/manage/"
API = "/api/v1/volunteers"
OTHER_TOWN = "441302002000"  # 江北街道, 惠城区


class Boom(Exception):
    pass


def tally() -> dict:
    return {(t.region_code, t.status): t.n for t in VolunteerTally.objects.all() if t.n}


def assert_consistent():
    assert tally_rebuild(fix=False) == []


def rolled_back(action):
    """Run ``action`` in a transaction that then fails: the tally must be as before."""
    before = tally()
    with pytest.raises(Boom), transaction.atomic():
        action()
        raise Boom
    assert tally() == before


def test_registration_counts_the_new_volunteer_in_its_transaction():
    rolled_back(lambda: f.register(name="回滚"))
    assert tally() == {}
    f.register(name="张甲")
    f.register(name="张乙", region_code=OTHER_TOWN)
    assert tally() == {(f.HUICHENG_TOWN, "active"): 1, (OTHER_TOWN, "active"): 1}
    assert_consistent()


def test_import_counts_every_imported_row_in_its_transaction(county_manager):
    rows = [row(name="导入甲"), row(name="导入乙"), row(name="导入丙", region=OTHER_TOWN)]
    parsed = imports.import_parse(xlsx(rows))
    rolled_back(lambda: imports.import_volunteers(actor=county_manager, parsed=parsed, dry_run=False))
    report = imports.import_volunteers(actor=county_manager, parsed=imports.import_parse(xlsx(rows)), dry_run=False)
    assert report.created == 3
    assert tally() == {(f.HUICHENG_TOWN, "active"): 2, (OTHER_TOWN, "active"): 1}
    imports.import_volunteers(actor=county_manager, parsed=imports.import_parse(xlsx([row(name="检查")])), dry_run=True)
    assert tally() == {(f.HUICHENG_TOWN, "active"): 2, (OTHER_TOWN, "active"): 1}  # a check imports nothing
    assert_consistent()


def test_status_change_and_exit_move_the_volunteer_between_statuses(county_manager):
    v = f.register(name="状态")
    key = f.HUICHENG_TOWN

    def suspend():
        svc.volunteer_change_status(actor=county_manager, volunteer_id=v.pk, to_status="suspended", reason="测试")

    rolled_back(suspend)
    suspend()
    assert tally() == {(key, "suspended"): 1}
    svc.volunteer_change_status(actor=county_manager, volunteer_id=v.pk, to_status="active", reason="恢复")
    assert tally() == {(key, "active"): 1}
    rolled_back(lambda: svc.volunteer_exit(actor=v.user, reason="离开"))
    svc.volunteer_exit(actor=v.user, reason="离开")
    assert tally() == {(key, "exited"): 1}
    assert_consistent()


def test_restriction_leaves_the_totals_and_accepting_again_returns(county_manager):
    v = f.register(name="撤回")
    f.register(name="留下")
    rolled_back(lambda: svc.consent_withdraw(actor=v.user, kind="privacy"))
    svc.consent_withdraw(actor=v.user, kind="privacy")
    assert tally() == {(f.HUICHENG_TOWN, "active"): 1}
    assert_consistent()
    svc.consent_accept(actor=v.user, kind="privacy")
    assert tally() == {(f.HUICHENG_TOWN, "active"): 2}
    assert_consistent()
    # a status change of a restricted person (by the person: exit) moves nothing
    svc.consent_withdraw(actor=v.user, kind="privacy")
    svc.volunteer_exit(actor=v.user, reason="离开")
    assert tally() == {(f.HUICHENG_TOWN, "active"): 1}
    assert_consistent()


def test_a_new_residence_moves_the_volunteer_between_regions():
    v = f.register(name="搬家")
    rolled_back(lambda: svc.volunteer_update_profile(actor=v.user, change=ProfileChange(region_code=OTHER_TOWN)))
    svc.volunteer_update_profile(actor=v.user, change=ProfileChange(region_code=OTHER_TOWN))
    assert tally() == {(OTHER_TOWN, "active"): 1}
    svc.volunteer_update_profile(actor=v.user, change=ProfileChange(political_status="13"))  # no move
    assert tally() == {(OTHER_TOWN, "active"): 1}
    assert_consistent()


def test_rebuild_reports_each_difference_and_fixes_it_unless_checking(capsys):
    f.register(name="张甲")
    f.register(name="张乙")
    f.register(name="张丙", region_code=OTHER_TOWN)
    VolunteerTally.objects.filter(region_code=f.HUICHENG_TOWN).update(n=5)  # drifted
    VolunteerTally.objects.filter(region_code=OTHER_TOWN).delete()  # lost
    VolunteerTally.objects.create(region_code="441303001000", status="suspended", n=4)  # nobody there
    expected = [
        {"region_code": f.HUICHENG_TOWN, "status": "active", "stored": 5, "actual": 2},
        {"region_code": OTHER_TOWN, "status": "active", "stored": 0, "actual": 1},
        {"region_code": "441303001000", "status": "suspended", "stored": 4, "actual": 0},
    ]
    assert tally_rebuild(fix=False) == expected
    with pytest.raises(CommandError, match="3 volunteer tally row"):
        call_command("volunteer_tallies", "--check")
    out = capsys.readouterr().out
    assert f"{f.HUICHENG_TOWN} active: stored 5, actual 2" in out and "3 difference(s) found" in out
    assert tally()[(f.HUICHENG_TOWN, "active")] == 5  # --check changes nothing
    call_command("volunteer_tallies")
    assert "3 difference(s) fixed" in capsys.readouterr().out
    assert tally() == {(f.HUICHENG_TOWN, "active"): 2, (OTHER_TOWN, "active"): 1}
    assert not VolunteerTally.objects.filter(region_code="441303001000").exists()
    call_command("volunteer_tallies", "--check")
    assert "0 difference(s) found" in capsys.readouterr().out


# --- the list page's total -----------------------------------------------------------------------


def total_on(r) -> str | None:
    import re

    m = re.search(r"data-list-total>([^<]*)<", r.content.decode())
    return m.group(1).strip() if m else None


def test_page_total_is_the_scope_and_status_from_the_tallies(client, county_manager, city_manager, huiyang_volunteer):
    f.register(name="张甲")
    b = f.register(name="张乙", region_code=OTHER_TOWN)
    svc.volunteer_change_status(actor=county_manager, volunteer_id=b.pk, to_status="suspended", reason="测试")
    withdrawn = f.register(name="撤回")
    svc.consent_withdraw(actor=withdrawn.user, kind="privacy")
    client.force_login(county_manager)  # 惠城区: 甲 and 乙 (惠阳 outside, the restricted one left out)
    assert total_on(client.get(PAGE)) == "共 2 人"
    assert total_on(client.get(PAGE, {"status": "suspended"})) == "共 1 人"
    assert total_on(client.get(PAGE, {"region": OTHER_TOWN})) == "共 1 人"
    assert total_on(client.get(PAGE, {"region": "441303001000"})) == "共 0 人"  # outside the scope
    assert total_on(client.get(PAGE, {"sort": "name", "page_size": "50"})) == "共 2 人"
    # other filters or a search: the tallies cannot answer, so no total (never a count)
    for params in ({"q": "张甲"}, {"gender": "1"}, {"age_min": "18"}, {"status": "nonsense"}):
        assert total_on(client.get(PAGE, params)) is None, params
    client.force_login(city_manager)
    assert total_on(client.get(PAGE)) == "共 3 人"


def test_page_total_reads_the_tally_not_the_volunteers(client, county_manager, django_assert_num_queries):
    f.register(name="张甲")
    client.force_login(county_manager)
    client.get(API, {"page_size": 1})
    VolunteerTally.objects.update(n=41)  # drifted on purpose: the page shows the kept figure
    with django_assert_num_queries(PAGE_QUERIES_WITH_TOTAL) as ctx:
        r = client.get(PAGE)
    assert total_on(r) == "共 41 人"
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "COUNT(" not in sql


# The list page's queries (test_manage_list.PAGE_QUERIES) and one for the total.
PAGE_QUERIES_WITH_TOTAL = 9
API_QUERIES = 6


@pytest.mark.parametrize("rows", [3, 12])
def test_page_and_api_query_counts_are_exact_at_any_row_count(client, county_manager, rows, django_assert_num_queries):
    for i in range(rows):
        f.register(name="刘" + "一二三四五六七八九十甲乙"[i])
    client.force_login(county_manager)
    client.get(API, {"page_size": 1})
    for params in ({}, {"status": "active"}, {"status": "active", "page_size": "50", "sort": "name"}):
        with django_assert_num_queries(PAGE_QUERIES_WITH_TOTAL):
            r = client.get(PAGE, params)
        assert total_on(r) == f"共 {rows} 人"
        with django_assert_num_queries(API_QUERIES):
            body = client.get(API, {**params, "page_size": 50}).json()
        assert len(body["items"]) == rows
    assert Volunteer.objects.count() == rows
