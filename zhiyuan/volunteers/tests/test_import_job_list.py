"""The import-jobs list and the import job's scope (issue #7 items 1, 2, 5): ``ImportJob`` is a
``ScopedQuerySet`` (its uploader through a registered scope provider, platform admins all), single
jobs come through ``scopes.get_for`` (404 outside the scope, 403 visible but not allowed), and
the list (page and API) is declared once in ``import_lists.IMPORT_JOBS`` — keyset pages at a
fixed number of queries."""

import pytest

from zhiyuan.accounts.scopes import EXPORT, MANAGE, VIEW, can
from zhiyuan.core.errors import NotFound, PermissionDenied
from zhiyuan.volunteers.models import ImportJob
from zhiyuan.volunteers.services import import_jobs as svc

pytestmark = pytest.mark.django_db
API = "/api/v1/volunteers/import/jobs"
PAGE = "/volunteers/manage/import/jobs/"


def job_of(user, scope: str, **kw) -> ImportJob:
    n = ImportJob.objects.count()
    return ImportJob.objects.create(
        created_by=user, scope=scope, mode="dry_run", status="done", file_name=f"名单{n}.xlsx", file_sha256=f"{n:064d}", **kw
    )


@pytest.fixture
def jobs(county_manager, other_county_manager, platform_admin):
    return {
        "mine": job_of(county_manager, "441302"),
        "theirs": job_of(other_county_manager, "441303"),
        "admins": job_of(platform_admin, "*"),
    }


# Session, user, roles, the volunteer role provider, the uploader's scopes (the provider) and the page.
QUERIES = {PAGE: 7, API: 6}  # + the unread-notice badge (core.context_processors.notifications)


@pytest.mark.parametrize("url", [PAGE, API])
def test_the_list_costs_the_same_queries_at_two_row_counts(client, county_manager, url, django_assert_num_queries):
    client.force_login(county_manager)
    client.get(url)
    for n in (2, 15):
        for _i in range(n):
            job_of(county_manager, "441302")
        with django_assert_num_queries(QUERIES[url]):
            r = client.get(url)
        assert r.status_code == 200


def test_the_list_is_ones_own_jobs_newest_first_by_cursor(client, county_manager, jobs):
    more = [job_of(county_manager, "441302") for _i in range(4)]
    client.force_login(county_manager)
    first = client.get(API, {"page_size": 3}).json()
    second = client.get(API, {"page_size": 3, "cursor": first["next_cursor"]}).json()
    ids = [j["id"] for j in first["items"] + second["items"]]
    assert ids == [j.pk for j in reversed([jobs["mine"], *more])] and second["next_cursor"] is None
    page = client.get(PAGE).content.decode()
    assert page.count('data-job="') == 5 and f'data-job="{jobs["theirs"].pk}"' not in page
    assert 'data-list="volunteer.import_job"' in page and 'class="table-wrap list-cards"' in page
    assert client.get(API, {"status": "failed"}).json()["items"] == []
    assert client.get(API, {"status": "nope"}).status_code == 422


def test_wrong_scope_on_the_list_and_the_job_page_and_api(client, county_manager, other_county_manager, city_manager,
                                                          plain_user, platform_admin, jobs):  # fmt: skip
    mine = jobs["mine"]
    urls = [f"{API}/{mine.pk}", f"{API}/{mine.pk}/report", f"/volunteers/manage/import/jobs/{mine.pk}/"]
    for outsider in (other_county_manager, city_manager):  # the same or a higher region: not theirs
        client.force_login(outsider)
        assert [client.get(u).status_code for u in urls] == [404, 404, 404]
        assert mine.pk not in [j["id"] for j in client.get(API).json()["items"]]
        assert f'data-job="{mine.pk}"' not in client.get(PAGE).content.decode()
    client.force_login(plain_user)  # no import role: the list is refused, the job is invisible
    assert client.get(PAGE).status_code == 403 and client.get(API).status_code == 403
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]
    client.force_login(platform_admin)  # every job, but the list is one's own
    assert [client.get(u).status_code for u in urls] == [200, 200, 200]
    assert [j["id"] for j in client.get(API).json()["items"]] == [jobs["admins"].pk]
    missing = ImportJob.objects.order_by("-pk").first().pk + 100
    assert client.get(f"{API}/{missing}").status_code == 404  # the same answer as outside the scope


def test_get_for_answers_404_outside_and_403_for_an_action_not_held(county_manager, other_county_manager, platform_admin,
                                                                    jobs):  # fmt: skip
    mine = jobs["mine"]
    assert svc.import_job_get(actor=county_manager, job_id=mine.pk).pk == mine.pk
    assert svc.import_job_get(actor=county_manager, job_id=mine.pk, action=EXPORT).pk == mine.pk  # its report
    with pytest.raises(PermissionDenied):  # visible to the uploader, but nobody manages another's job but an admin
        svc.import_job_get(actor=county_manager, job_id=mine.pk, action=MANAGE)
    with pytest.raises(NotFound):
        svc.import_job_get(actor=other_county_manager, job_id=mine.pk, action=MANAGE)
    assert svc.import_job_get(actor=platform_admin, job_id=mine.pk, action=MANAGE).pk == mine.pk


def test_visible_to_and_can_agree(county_manager, other_county_manager, city_manager, platform_admin, jobs):
    for actor in (county_manager, other_county_manager, city_manager, platform_admin):
        visible = set(ImportJob.objects.visible_to(actor, VIEW).values_list("pk", flat=True))
        for job in jobs.values():
            assert can(actor, job, VIEW) == (job.pk in visible), (actor, job)
    assert set(ImportJob.objects.visible_to(county_manager).values_list("pk", flat=True)) == {jobs["mine"].pk}
    assert ImportJob.objects.visible_to(county_manager, MANAGE).count() == 0
    assert ImportJob.objects.visible_to(platform_admin).count() == 3


def test_a_narrowed_role_closes_the_old_jobs(county_manager):
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.scopes import actor_role_cache_clear

    wide = job_of(county_manager, "441302")
    RoleAssignment.objects.filter(user=county_manager).update(region_code="441302001000")
    actor_role_cache_clear(county_manager)
    assert not ImportJob.objects.visible_to(county_manager).filter(pk=wide.pk).exists()
    assert not can(county_manager, wide, VIEW)
    narrow = job_of(county_manager, "441302001")
    assert list(ImportJob.objects.visible_to(county_manager)) == [narrow]
