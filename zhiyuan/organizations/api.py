"""/api/v1/organizations — organizations and teams (ORG-1…ORG-4, ORG-6 directory).
Thin: parse → one service/selector → schema (STYLE.md). Out-of-scope objects answer 404."""

from ninja import Router

from zhiyuan.core.api import ERRORS
from zhiyuan.core.lists import list_operation
from zhiyuan.organizations import selectors, services
from zhiyuan.organizations.lists import DIRECTORY, MEMBERS, ORGANIZATIONS, REVIEW_QUEUE
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.organizations.schemas import (
    ApproveIn,
    InviteIn,
    MembershipOut,
    MyMembershipOut,
    OrganizationApplyIn,
    OrganizationDetailOut,
    OrganizationOut,
    OrganizationPatchIn,
    OrganizationStatusIn,
    PublicOrganizationDetailOut,
    PublicOrganizationOut,
    ReasonIn,
    RespondIn,
    ReviewIn,
    RoleIn,
)
from zhiyuan.volunteers import code_tables

router = Router(tags=["organizations"])


def categories_out(o: Organization) -> list[dict]:
    return [{"code": c.code, "label": code_tables.label("service_category", c.code)} for c in o.categories.all()]


def public_out(o: Organization, names: dict) -> dict:
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_label": str(o.get_kind_display()),
        "intro": o.intro,
        "region_code": o.region_code,
        "region_name": names.get(o.region_code, ""),
        "address": o.address,
        "sponsor_type": o.sponsor_type,
        "sponsor_name": o.sponsor_name,
        "team_category": o.team_category,
        "categories": categories_out(o),
        "parent_id": o.parent_id,
        "parent_name": o.parent.name if o.parent_id else "",
        "member_count": o.member_count,
    }


def _names(o: Organization) -> dict:
    """The region name a list's ``decorate`` put on the row, as ``org_out``/``public_out`` read it."""
    return {o.region_code: o.region_name}


def org_out(o: Organization, names: dict | None = None) -> dict:
    names = names if names is not None else selectors.region_names([o.region_code])
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_label": str(o.get_kind_display()),
        "intro": o.intro,
        "region_code": o.region_code,
        "region_name": names.get(o.region_code, ""),
        "address": o.address,
        "contact_name": o.contact_name,
        "contact_phone": o.contact_phone,
        "uscc": o.uscc,
        "sponsor_type": o.sponsor_type,
        "sponsor_name": o.sponsor_name,
        "team_category": o.team_category,
        "categories": categories_out(o),
        "parent_id": o.parent_id,
        "parent_name": o.parent.name if o.parent_id else "",
        "status": o.status,
        "status_label": str(o.get_status_display()),
        "status_reason": o.status_reason,
        "reviewed_at": o.reviewed_at,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }


def detail_out(o: Organization) -> dict:
    history = [
        {"from_status": h.from_status, "to_status": h.to_status, "reason": h.reason, "at": h.at}
        for h in selectors.status_history(org=o)
    ]
    return {**org_out(o), "history": history}


def member_out(m: Membership) -> dict:
    return {
        "id": m.pk,
        "organization_id": m.organization_id,
        "volunteer_id": m.volunteer_id,
        "volunteer_no": m.volunteer.volunteer_no,
        "volunteer_name": m.volunteer.name,
        "role": m.role,
        "role_label": str(m.get_role_display()),
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "reason": m.reason,
        "created_at": m.created_at,
        "joined_at": m.joined_at,
        "ended_at": m.ended_at,
    }


def my_membership_out(m: Membership) -> dict:
    return {
        "id": m.pk,
        "organization_id": m.organization_id,
        "organization_name": m.organization.name,
        "role": m.role,
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "reason": m.reason,
        "created_at": m.created_at,
        "joined_at": m.joined_at,
    }


def _my_volunteer(request):
    from zhiyuan.volunteers.selectors import volunteer_for

    return volunteer_for(request.user)


# --- public directory (ORG-6) -----------------------------------------------------------------------


# GET /public: active organizations for anyone (lists.DIRECTORY): public fields and the stored
# member count only; keyset pages over the (status, region_code, name, id) index, no count.
list_operation(router, "/public", DIRECTORY, row=PublicOrganizationOut, operation_id="list_public_organizations",
               to_row=lambda o: public_out(o, _names(o)), errors=ERRORS, auth=None)  # fmt: skip


@router.get(
    "/public/{org_id}", response={200: PublicOrganizationDetailOut, **ERRORS}, auth=None, operation_id="get_public_organization"
)
def get_public_organization(request, org_id: int):
    org = selectors.public_organization_get(id=org_id)
    subs = list(selectors.public_sub_teams(org=org))
    names = selectors.region_names([org.region_code, *(s.region_code for s in subs)])
    return {
        **public_out(org, names),
        "sub_teams": [public_out(s, names) for s in subs],
    }


# --- the volunteer's memberships ------------------------------------------------------------------------


@router.get("/memberships/mine", response={200: list[MyMembershipOut], **ERRORS}, operation_id="list_my_memberships")
def list_my_memberships(request):
    return [my_membership_out(m) for m in selectors.my_memberships(volunteer=_my_volunteer(request))]


@router.post("/memberships/{membership_id}/leave", response={200: MyMembershipOut, **ERRORS}, operation_id="leave_organization")
def leave_organization(request, membership_id: int, payload: ReasonIn):
    """Leave an organization, or withdraw an application."""
    m = selectors.my_membership_get(volunteer=_my_volunteer(request), id=membership_id)
    return my_membership_out(services.membership_leave(actor=request.user, membership=m, reason=payload.reason, request=request))


@router.post("/memberships/{membership_id}/respond", response={200: MyMembershipOut, **ERRORS}, operation_id="respond_invitation")
def respond_invitation(request, membership_id: int, payload: RespondIn):
    m = selectors.my_membership_get(volunteer=_my_volunteer(request), id=membership_id)
    return my_membership_out(
        services.membership_respond(actor=request.user, membership=m, accept=payload.accept, request=request)
    )


# --- organizations -------------------------------------------------------------------------------------


# GET /review-queue: applications waiting for the caller's review (ORG-3), oldest first.
list_operation(router, "/review-queue", REVIEW_QUEUE, row=OrganizationOut, operation_id="list_pending_organizations",
               to_row=lambda o: org_out(o, _names(o)), errors=ERRORS)  # fmt: skip

# GET "": organizations visible to the caller: region managers their region, platform admins all,
# organization admins their own and their sub-teams (lists.ORGANIZATIONS).
list_operation(router, "", ORGANIZATIONS, row=OrganizationOut, operation_id="list_organizations",
               to_row=lambda o: org_out(o, _names(o)), errors=ERRORS)  # fmt: skip


@router.post("", response={201: OrganizationOut, **ERRORS}, operation_id="apply_organization")
def apply_organization(request, payload: OrganizationApplyIn):
    """Apply to create an organization (or a sub-team); it waits for review."""
    return 201, org_out(
        services.organization_apply(actor=request.user, application=services.OrganizationInput(**payload.dict()), request=request)
    )


@router.get("/{org_id}", response={200: OrganizationDetailOut, **ERRORS}, operation_id="get_organization")
def get_organization(request, org_id: int):
    return detail_out(selectors.organization_get(actor=request.user, id=org_id))


@router.patch("/{org_id}", response={200: OrganizationOut, **ERRORS}, operation_id="update_organization")
def update_organization(request, org_id: int, payload: OrganizationPatchIn):
    org = selectors.organization_get_for_edit(actor=request.user, id=org_id)
    change = services.OrganizationInput(**payload.dict(exclude_unset=True))
    return org_out(services.organization_update(actor=request.user, org=org, change=change, request=request))


@router.post("/{org_id}/review", response={200: OrganizationOut, **ERRORS}, operation_id="review_organization")
def review_organization(request, org_id: int, payload: ReviewIn):
    org = selectors.organization_get_for_review(actor=request.user, id=org_id)
    return org_out(
        services.organization_review(
            actor=request.user, org=org, decision=payload.decision, reason=payload.reason, request=request
        )
    )


@router.post("/{org_id}/status", response={200: OrganizationOut, **ERRORS}, operation_id="change_organization_status")
def change_organization_status(request, org_id: int, payload: OrganizationStatusIn):
    """``action``: suspend | reinstate | deregister (suspend and deregister need a reason)."""
    org = selectors.organization_get_for_review(actor=request.user, id=org_id)
    return org_out(
        services.organization_status_change(
            actor=request.user, org=org, action=payload.action, reason=payload.reason, request=request
        )
    )


@router.post("/{org_id}/join", response={201: MyMembershipOut, **ERRORS}, operation_id="join_organization")
def join_organization(request, org_id: int):
    """The signed-in volunteer applies to join an active organization."""
    org = selectors.public_organization_get(id=org_id)
    return 201, my_membership_out(services.membership_apply(actor=request.user, org=org, request=request))


# --- members (ORG-4) ---------------------------------------------------------------------------------


def _members_context(request, org_id: int) -> dict:
    """Fetch-and-authorize the organization (404 outside the caller's scope, 403 when visible but
    not theirs to manage) before its members are read."""
    return {"org": selectors.organization_get_for_members(actor=request.user, id=org_id)}


# GET /{org_id}/members: the organization's members (lists.MEMBERS), keyset pages.
list_operation(router, "/{org_id}/members", MEMBERS, row=MembershipOut, operation_id="list_members", to_row=member_out,
               errors=ERRORS, path_params={"org_id": int}, context=_members_context)  # fmt: skip


@router.post("/{org_id}/members/invite", response={201: MembershipOut, **ERRORS}, operation_id="invite_member")
def invite_member(request, org_id: int, payload: InviteIn):
    org = selectors.organization_get_for_members(actor=request.user, id=org_id)
    m = services.membership_invite(
        actor=request.user, org=org, volunteer_no=payload.volunteer_no, role=payload.role, request=request
    )
    return 201, member_out(m)


def _membership(request, org_id: int, membership_id: int) -> Membership:
    org = selectors.organization_get_for_members(actor=request.user, id=org_id)
    return selectors.membership_get(org=org, id=membership_id)


@router.post("/{org_id}/members/{membership_id}/approve", response={200: MembershipOut, **ERRORS}, operation_id="approve_member")
def approve_member(request, org_id: int, membership_id: int, payload: ApproveIn):
    m = _membership(request, org_id, membership_id)
    return member_out(services.membership_approve(actor=request.user, membership=m, role=payload.role, request=request))


@router.post("/{org_id}/members/{membership_id}/reject", response={200: MembershipOut, **ERRORS}, operation_id="reject_member")
def reject_member(request, org_id: int, membership_id: int, payload: ReasonIn):
    m = _membership(request, org_id, membership_id)
    return member_out(services.membership_reject(actor=request.user, membership=m, reason=payload.reason, request=request))


@router.post("/{org_id}/members/{membership_id}/remove", response={200: MembershipOut, **ERRORS}, operation_id="remove_member")
def remove_member(request, org_id: int, membership_id: int, payload: ReasonIn):
    m = _membership(request, org_id, membership_id)
    return member_out(services.membership_remove(actor=request.user, membership=m, reason=payload.reason, request=request))


@router.post("/{org_id}/members/{membership_id}/role", response={200: MembershipOut, **ERRORS}, operation_id="change_member_role")
def change_member_role(request, org_id: int, membership_id: int, payload: RoleIn):
    m = _membership(request, org_id, membership_id)
    return member_out(services.membership_role_change(actor=request.user, membership=m, role=payload.role, request=request))
