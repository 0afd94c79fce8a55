"""The project library (ACT-1): every transition, by whom, in which scope; bad input saves
nothing; each step is recorded (ProjectStatusChange) and audited."""

import pytest

from zhiyuan.activities import projects
from zhiyuan.activities.models import Project, ProjectStatus, ProjectStatusChange
from zhiyuan.activities.tests.support_projects import (
    HUIYANG_TOWN,
    active_org,
    admin_of,
    approved_project,
    draft_project,
    project_values,
)
from zhiyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from zhiyuan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(county_manager):
    return active_org(county_manager)


@pytest.fixture
def admin(org):
    return admin_of(org)


@pytest.fixture
def other_admin(other_county_manager):
    return admin_of(active_org(other_county_manager, region_code=HUIYANG_TOWN))


def _statuses(p):
    return list(ProjectStatusChange.objects.filter(project=p).values_list("from_status", "to_status"))


def test_the_whole_life_of_a_project_is_recorded_and_audited(org, admin, county_manager):
    p = draft_project(admin, org)
    assert p.status == ProjectStatus.DRAFT and p.region_code == org.region_code
    p = projects.project_submit(actor=admin, project=p)
    p = projects.project_review(actor=county_manager, project=p, decision="approve", note="同意", is_demonstration=True)
    assert (p.status, p.is_demonstration, p.is_brand, p.reviewed_by) == ("approved", True, False, county_manager)
    p = projects.project_start(actor=admin, project=p)
    p = projects.project_close(actor=admin, project=p, note="按期完成")
    p = projects.project_evaluate(actor=county_manager, project=p, outcome="服务老人210人，满意度98%。", score=92)
    assert (p.status, p.outcome_score) == (ProjectStatus.EVALUATED, 92)
    assert _statuses(p) == [
        ("", "draft"), ("draft", "submitted"), ("submitted", "approved"), ("approved", "running"),
        ("running", "closed"), ("closed", "evaluated"),
    ]  # fmt: skip
    actions = list(
        AuditEntry.objects.filter(object_type="activities.project", object_id=str(p.pk)).values_list("action", flat=True)
    )
    assert actions == [
        "activities.project.create", "activities.project.submit", "activities.project.approve",
        "activities.project.start", "activities.project.close", "activities.project.evaluate",
    ]  # fmt: skip


def test_a_rejected_project_is_edited_and_submitted_again(org, admin, county_manager):
    p = projects.project_submit(actor=admin, project=draft_project(admin, org))
    with pytest.raises(DomainError) as e:
        projects.project_review(actor=county_manager, project=p, decision="reject", note="")
    assert "note" in e.value.fields  # a rejection says why
    p = projects.project_review(actor=county_manager, project=p, decision="reject", note="预算依据不足")
    assert p.status == "rejected" and p.review_note == "预算依据不足"
    p = projects.project_update(actor=admin, project=p, change=projects.ProjectInput(budget="30000"))
    p = projects.project_submit(actor=admin, project=p)
    assert p.status == "submitted" and str(p.budget) == "30000.00"


def test_a_reject_cannot_carry_flags(org, admin, county_manager):
    p = projects.project_submit(actor=admin, project=draft_project(admin, org))
    with pytest.raises(DomainError) as e:
        projects.project_review(actor=county_manager, project=p, decision="reject", note="否", is_brand=True)
    assert e.value.status == 422
    assert Project.objects.get(pk=p.pk).status == "submitted"


@pytest.mark.parametrize(
    "step",
    ["submit_twice", "start_draft", "close_approved", "evaluate_running", "edit_submitted", "review_draft"],
)
def test_transitions_out_of_order_are_409_and_change_nothing(org, admin, county_manager, step):
    p = draft_project(admin, org)
    if step in ("submit_twice", "edit_submitted"):
        p = projects.project_submit(actor=admin, project=p)
    if step in ("close_approved", "evaluate_running"):
        p = approved_project(admin, org, county_manager)
    if step == "evaluate_running":
        p = projects.project_start(actor=admin, project=p)
    calls = {
        "submit_twice": lambda: projects.project_submit(actor=admin, project=p),
        "start_draft": lambda: projects.project_start(actor=admin, project=p),
        "close_approved": lambda: projects.project_close(actor=admin, project=p),
        "evaluate_running": lambda: projects.project_evaluate(actor=county_manager, project=p, outcome="好", score=80),
        "edit_submitted": lambda: projects.project_update(actor=admin, project=p, change=projects.ProjectInput(name="新名")),
        "review_draft": lambda: projects.project_review(actor=county_manager, project=p, decision="approve"),
    }
    before = (Project.objects.get(pk=p.pk).status, ProjectStatusChange.objects.count())
    with pytest.raises(Conflict):
        calls[step]()
    assert (Project.objects.get(pk=p.pk).status, ProjectStatusChange.objects.count()) == before


def test_an_incomplete_proposal_cannot_be_submitted(org, admin):
    p = draft_project(admin, org, goals="", starts_on=None)
    with pytest.raises(DomainError) as e:
        projects.project_submit(actor=admin, project=p)
    assert e.value.status == 422 and set(e.value.fields) == {"goals", "starts_on"}
    assert Project.objects.get(pk=p.pk).status == "draft"


def test_bad_input_names_every_field_and_saves_nothing(org, admin):
    bad = project_values(name="", category="nope", budget="-1", region_code="441303001000", ends_on="2026-13-01")
    with pytest.raises(DomainError) as e:
        projects.project_create(actor=admin, organization_id=org.pk, values=bad)
    assert set(e.value.fields) == {"name", "category", "budget", "ends_on"}  # 惠阳区 is inside the same city: allowed
    assert not Project.objects.exists()
    with pytest.raises(DomainError) as e:
        projects.project_create(actor=admin, organization_id=org.pk, values=project_values(region_code="440100000000"))
    assert e.value.fields["region_code"] == ["区划须在组织所在的地级市范围内。"]
    with pytest.raises(DomainError) as e:
        projects.project_create(
            actor=admin, organization_id=org.pk, values=project_values(starts_on="2027-06-01", ends_on="2027-01-01")
        )
    assert "ends_on" in e.value.fields and not Project.objects.exists()


def test_who_may_create_a_project(org, admin, county_manager, other_admin, plain_user):
    # a region manager sees the organization but does not run it: 403, audited as denied
    with pytest.raises(PermissionDenied):
        projects.project_create(actor=county_manager, organization_id=org.pk, values=project_values())
    assert AuditEntry.objects.filter(action="activities.project.create", result="denied").count() == 1
    # another organization's admin, or anyone else, does not see it: 404
    for actor in (other_admin, plain_user):
        with pytest.raises(NotFound):
            projects.project_create(actor=actor, organization_id=org.pk, values=project_values())
    assert not Project.objects.exists()


def test_only_the_projects_region_reviews_and_nobody_their_own(org, admin, county_manager, other_county_manager, city_manager):
    p = projects.project_submit(actor=admin, project=draft_project(admin, org))
    with pytest.raises(NotFound):  # 惠阳区 cannot see a 惠城区 project
        projects.project_get(actor=other_county_manager, id=p.pk, action="review")
    with pytest.raises(PermissionDenied):  # the organization's admin sees it, may not review it
        projects.project_get(actor=admin, id=p.pk, action="review")
    with pytest.raises(PermissionDenied):
        projects.project_review(actor=admin, project=p, decision="approve")
    # the city's manager holds the county inside their region
    assert projects.project_review(actor=city_manager, project=p, decision="approve").status == "approved"


def test_a_reviewer_who_also_runs_the_organization_is_refused(org, admin, county_manager):
    from zhiyuan.accounts.services import role_assignment_add

    role_assignment_add(user=county_manager, role="org_admin", region_code=org.region_code, object_id=org.pk, granted_by=None)
    p = projects.project_submit(actor=admin, project=draft_project(admin, org))
    with pytest.raises(PermissionDenied) as e:
        projects.project_review(actor=county_manager, project=p, decision="approve")
    assert "本组织" in str(e.value.message)


def test_managers_do_not_manage_and_org_admins_do_not_review(org, admin, county_manager):
    p = approved_project(admin, org, county_manager)
    for call in (
        lambda: projects.project_start(actor=county_manager, project=p),
        lambda: projects.project_update(actor=county_manager, project=p, change=projects.ProjectInput(name="x")),
        lambda: projects.project_flags_set(actor=admin, project=p, is_demonstration=True, is_brand=True),
    ):
        with pytest.raises(PermissionDenied):
            call()
    p = projects.project_flags_set(actor=county_manager, project=p, is_demonstration=False, is_brand=True)
    assert (p.is_demonstration, p.is_brand) == (False, True)


def test_evaluation_score_is_checked(org, admin, county_manager):
    p = projects.project_close(
        actor=admin, project=projects.project_start(actor=admin, project=approved_project(admin, org, county_manager))
    )
    for outcome, score, field in (
        ("好", 101, "outcome_score"),
        ("好", "八十", "outcome_score"),
        ("", 80, "outcome"),
        ("好", True, "outcome_score"),
    ):
        with pytest.raises(DomainError) as e:
            projects.project_evaluate(actor=county_manager, project=p, outcome=outcome, score=score)
        assert field in e.value.fields
    assert Project.objects.get(pk=p.pk).status == "closed"


def test_a_sub_teams_project_is_managed_by_the_parents_admin(org, admin, county_manager):
    from zhiyuan.organizations import services as org_services
    from zhiyuan.organizations.services import OrganizationInput
    from zhiyuan.organizations.tests.factories import team_data

    team = org_services.organization_apply(actor=admin, application=OrganizationInput(**team_data(parent_id=org.pk)))
    team = org_services.organization_review(actor=county_manager, org=team, decision="approve")
    p = draft_project(admin, team)
    assert p.organization == team
    assert projects.project_get(actor=admin, id=p.pk, action="manage") == p
