"""/api/v1/activities/projects — the project library (ACT-1). Thin: parse → one service or
selector → schema (STYLE.md). Rules and permissions live in ``projects.py``."""

import datetime
from decimal import Decimal

from ninja import Router, Schema
from pydantic import Field

from zhiyuan.accounts.scopes import MANAGE, REVIEW
from zhiyuan.activities import projects
from zhiyuan.activities.lists import PROJECT_REVIEW, PROJECTS
from zhiyuan.activities.models import Project
from zhiyuan.core.api import ERRORS, ErrorOut, InSchema, IsoDate
from zhiyuan.core.exports import export_operation
from zhiyuan.core.lists import list_operation

router = Router(tags=["projects"])
ERRS = {**ERRORS, 422: ErrorOut}


class ProjectRowOut(Schema):
    id: int
    name: str
    organization_id: int
    organization_name: str
    region_code: str
    category: str
    status: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    budget: str | None
    is_demonstration: bool
    is_brand: bool


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    note: str
    at: datetime.datetime


class ProjectOut(ProjectRowOut):
    target_group: str
    summary: str
    goals: str
    review_note: str
    reviewed_at: datetime.datetime | None
    outcome: str
    outcome_score: int | None
    created_at: datetime.datetime
    history: list[StatusChangeOut]


class ProjectCreateIn(InSchema):
    organization_id: int = Field(..., ge=1, le=2**63 - 1)
    name: str = Field(..., max_length=100)
    category: str = Field(..., max_length=32, description="volunteers service category code")
    region_code: str = Field("", max_length=12, description="default: the organization's region")
    target_group: str = Field("", max_length=100)
    summary: str = Field("", max_length=2000)
    goals: str = Field("", max_length=2000)
    budget: Decimal | None = Field(None, ge=0, lt=Decimal("1e10"), decimal_places=2, description="yuan")
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None


class ProjectUpdateIn(InSchema):
    name: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=32)
    region_code: str | None = Field(None, max_length=12)
    target_group: str | None = Field(None, max_length=100)
    summary: str | None = Field(None, max_length=2000)
    goals: str | None = Field(None, max_length=2000)
    budget: Decimal | None = Field(None, ge=0, lt=Decimal("1e10"), decimal_places=2)
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None


class ProjectReviewIn(InSchema):
    decision: str = Field(..., description="approve | reject")
    note: str = Field("", max_length=500, description="required to reject; the organization sees it")
    is_demonstration: bool = False
    is_brand: bool = False


class ProjectCloseIn(InSchema):
    note: str = Field("", max_length=500)


class EvaluateIn(InSchema):
    outcome: str = Field(..., max_length=2000)
    outcome_score: int = Field(..., ge=0, le=100)


class FlagsIn(InSchema):
    is_demonstration: bool
    is_brand: bool


def project_row(p: Project) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "organization_id": p.organization_id,
        "organization_name": p.organization.name,
        "region_code": p.region_code,
        "category": p.category,
        "status": p.status,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "budget": str(p.budget) if p.budget is not None else None,
        "is_demonstration": p.is_demonstration,
        "is_brand": p.is_brand,
    }


def project_out(p: Project) -> dict:
    return {
        **project_row(p),
        "target_group": p.target_group,
        "summary": p.summary,
        "goals": p.goals,
        "review_note": p.review_note,
        "reviewed_at": p.reviewed_at,
        "outcome": p.outcome,
        "outcome_score": p.outcome_score,
        "created_at": p.created_at,
        "history": [
            {"from_status": c.from_status, "to_status": c.to_status, "note": c.note, "at": c.at}
            for c in projects.project_history(project=p)
        ],
    }


list_operation(router, "", PROJECTS, row=ProjectRowOut, operation_id="list_projects", to_row=project_row, errors=ERRS)
export_operation(router, "/export.xlsx", PROJECTS, operation_id="export_projects", errors=ERRS)
list_operation(router, "/review-queue", PROJECT_REVIEW, row=ProjectRowOut, operation_id="list_project_review_queue",
               to_row=project_row, errors=ERRS)  # fmt: skip


@router.post("", response={201: ProjectOut, **ERRS}, operation_id="create_project")
def create_project(request, payload: ProjectCreateIn):
    """A new draft project of an organization the caller administers (403 for a region manager,
    404 for an organization outside the caller's view). Audited."""
    data = payload.model_dump(exclude={"organization_id"})
    project = projects.project_create(
        actor=request.user, organization_id=payload.organization_id, values=projects.ProjectInput(**data), request=request
    )
    return 201, project_out(project)


@router.get("/{project_id}", response={200: ProjectOut, **ERRS}, operation_id="get_project")
def get_project(request, project_id: int):
    """One project with its status history (404 outside the caller's scope)."""
    return project_out(projects.project_get(actor=request.user, id=project_id))


@router.patch("/{project_id}", response={200: ProjectOut, **ERRS}, operation_id="update_project")
def update_project(request, project_id: int, payload: ProjectUpdateIn):
    """Edit a draft or rejected project: only the fields sent change (null clears budget or a
    date). 409 in any other status."""
    project = projects.project_get(actor=request.user, id=project_id, action=MANAGE)
    change = projects.ProjectInput(**payload.model_dump(exclude_unset=True))
    return project_out(projects.project_update(actor=request.user, project=project, change=change, request=request))


@router.post("/{project_id}/submit", response={200: ProjectOut, **ERRS}, operation_id="submit_project")
def submit_project(request, project_id: int):
    """Send a complete draft (or a changed rejected project) for review (422 naming what is missing)."""
    project = projects.project_get(actor=request.user, id=project_id, action=MANAGE)
    return project_out(projects.project_submit(actor=request.user, project=project, request=request))


@router.post("/{project_id}/review", response={200: ProjectOut, **ERRS}, operation_id="review_project")
def review_project(request, project_id: int, payload: ProjectReviewIn):
    """The region manager approves (立项, optionally as a demonstration or brand project) or
    rejects (note required) a submitted project."""
    project = projects.project_get(actor=request.user, id=project_id, action=REVIEW)
    project = projects.project_review(actor=request.user, project=project, request=request, **payload.model_dump())
    return project_out(project)


@router.post("/{project_id}/start", response={200: ProjectOut, **ERRS}, operation_id="start_project")
def start_project(request, project_id: int):
    project = projects.project_get(actor=request.user, id=project_id, action=MANAGE)
    return project_out(projects.project_start(actor=request.user, project=project, request=request))


@router.post("/{project_id}/close", response={200: ProjectOut, **ERRS}, operation_id="close_project")
def close_project(request, project_id: int, payload: ProjectCloseIn):
    """结项 of a running project."""
    project = projects.project_get(actor=request.user, id=project_id, action=MANAGE)
    return project_out(projects.project_close(actor=request.user, project=project, note=payload.note, request=request))


@router.post("/{project_id}/evaluate", response={200: ProjectOut, **ERRS}, operation_id="evaluate_project")
def evaluate_project(request, project_id: int, payload: EvaluateIn):
    """成效评估 of a closed project by its region's manager (outcome and a score of 0–100)."""
    project = projects.project_get(actor=request.user, id=project_id, action=REVIEW)
    project = projects.project_evaluate(
        actor=request.user, project=project, outcome=payload.outcome, score=payload.outcome_score, request=request
    )
    return project_out(project)


@router.post("/{project_id}/flags", response={200: ProjectOut, **ERRS}, operation_id="set_project_flags")
def set_project_flags(request, project_id: int, payload: FlagsIn):
    """Mark or unmark an approved project as a demonstration / brand project (the reviewing side)."""
    project = projects.project_get(actor=request.user, id=project_id, action=REVIEW)
    project = projects.project_flags_set(actor=request.user, project=project, request=request, **payload.model_dump())
    return project_out(project)
