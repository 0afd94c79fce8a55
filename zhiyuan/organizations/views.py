"""Pages of the organizations app: the managers' list / review queue / export, the organization
page (managers and its admins: profile, status, members), the application form, the volunteer's
「我的组织」, and the public directory with a profile page per active organization (ORG-6).
Thin: every rule is in ``services``/``selectors``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.views import domain_http, xlsx_response
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_export_response, list_page, list_query
from zhiyuan.organizations import selectors, services
from zhiyuan.organizations.forms import (
    ApplyForm,
    InviteForm,
    ManagerEditForm,
    ProfileForm,
    ReasonForm,
    ReviewForm,
    RoleForm,
    StatusForm,
)
from zhiyuan.organizations.lists import DIRECTORY, MEMBERS, ORGANIZATIONS, REVIEW_QUEUE
from zhiyuan.organizations.models import Membership, Organization
from zhiyuan.organizations.permissions import can_edit_profile, can_manage_members, can_manage_organizations, can_review

DETAIL = "organizations/organization_detail.html"


def _require_manager(request):
    if not can_manage_organizations(request.user):
        raise DjangoPermissionDenied


def _with_region_names(orgs) -> list:
    orgs = list(orgs)
    names = selectors.region_names(o.region_code for o in orgs)
    for o in orgs:
        o.region_name = names.get(o.region_code, o.region_code)
    return orgs


# --- managers -------------------------------------------------------------------------------------------


@login_required
@require_GET
@domain_http
def organization_list(request):
    """Organizations in the actor's scope (``lists.ORGANIZATIONS``): search by name/USCC, filters,
    keyset pages, cards on phones; the pending count links to the review queue."""
    _require_manager(request)
    # pending applications only (the (status, region_code, …) index), not a count of the scope
    pending = REVIEW_QUEUE.source(request.user).order_by().count()
    extra = {"pending": pending, "list_id": "org-list", "row_attr": "data-org"}
    return list_page(request, ORGANIZATIONS, "organizations/organization_list.html", extra=extra)


@login_required
@require_GET
@domain_http
def organization_export(request):
    """The filtered list as .xlsx, streamed (``core.lists.list_export``: scoped, formula-safe,
    capped, audited once as ``organizations.org.export``)."""
    _require_manager(request)
    try:
        return list_export_response(request, ORGANIZATIONS)
    except DomainError as exc:
        if exc.status != 422:
            raise
        # invalid filters: back to the list, which shows them next to the form
        return redirect(f"{reverse('organizations:manage')}?{request.GET.urlencode()}")


@login_required
@require_GET
@domain_http
def review_queue(request):
    """ORG-3: applications waiting for the actor's review, oldest first (``lists.REVIEW_QUEUE``);
    each row carries its approve / reject form."""
    _require_manager(request)
    extra = {"list_id": "review-list", "row_attr": "data-org"}
    return list_page(request, REVIEW_QUEUE, "organizations/review_queue.html", extra=extra)


def _detail_context(request, org: Organization, **extra) -> dict:
    org.region_name = selectors.region_name(org.region_code)
    org.category_labels = selectors.category_labels(org)
    ctx = {
        "org": org,
        "history": list(selectors.status_history(org=org)),
        "sub_teams": _with_region_names(org.sub_teams.order_by("name")),
        "can_review": can_review(request.user, org),
        "can_edit": can_edit_profile(request.user, org),
        "can_members": can_manage_members(request.user, org),
        "member_count": org.member_count,
        "review_form": extra.pop("review_form", None) or ReviewForm(),
        "status_form": extra.pop("status_form", None) or StatusForm(),
        "invite_form": extra.pop("invite_form", None) or InviteForm(),
        "role_choices": Membership.Role.choices,
    }
    ctx.update(extra)
    return ctx


def _detail_page(request, org: Organization, *, status: int = 200, **extra):
    """The organization page; with the member list (``lists.MEMBERS``: cards on phones, each
    member's actions on its card) for those who manage the members. An htmx request for the
    list (filters, next page) gets the list only."""
    ctx = _detail_context(request, org, **extra)
    if not ctx["can_members"]:
        return render(request, DETAIL, ctx, status=status)
    ctx.update(list_id="member-list", row_attr="data-member")
    return list_page(request, MEMBERS, DETAIL, extra=ctx, status=status, context={"org": org})


@login_required
@require_GET
@domain_http
def organization_detail(request, org_id: int):
    """The organization page for its region managers and its admins: profile, status history,
    review / status actions, members."""
    org = selectors.organization_get(actor=request.user, id=org_id)
    return _detail_page(request, org)


@login_required
@require_POST
@domain_http
def organization_review(request, org_id: int):
    org = selectors.organization_get_for_review(actor=request.user, id=org_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.organization_review(
                actor=request.user,
                org=org,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("审核已完成。"))
            if request.POST.get("next") == "queue":
                return redirect("organizations:review")
            return redirect("organizations:detail", org_id=org.pk)
    return _detail_page(request, org, status=400, review_form=form)


@login_required
@require_POST
@domain_http
def organization_status(request, org_id: int):
    org = selectors.organization_get_for_review(actor=request.user, id=org_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.organization_status_change(
                actor=request.user,
                org=org,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("组织状态已更新。"))
            return redirect("organizations:detail", org_id=org.pk)
    return _detail_page(request, org, status=400, status_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def organization_edit(request, org_id: int):
    org = selectors.organization_get_for_edit(actor=request.user, id=org_id)
    manager = can_review(request.user, org)
    form_class = ManagerEditForm if manager else ProfileForm
    fields = services.MANAGER_FIELDS if manager else services.PROFILE_FIELDS
    initial = {f: getattr(org, f) for f in fields if f != "categories"}
    initial["categories"] = services.category_codes(org)
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                change = services.OrganizationInput(**form.cleaned_data)
                services.organization_update(actor=request.user, org=org, change=change, request=request)
            except DomainError as exc:
                if exc.status == 403 and not exc.fields:
                    raise
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("组织信息已保存。"))
                return redirect("organizations:detail", org_id=org.pk)
    return render(request, "organizations/organization_form.html", {"form": form, "org": org}, status=status)


@login_required
@require_GET
@domain_http
def member_export(request, org_id: int):
    org = selectors.organization_get_for_members(actor=request.user, id=org_id)
    try:
        lq = list_query(actor=request.user, spec=MEMBERS, data=request.GET.copy() or None, strict=True, context={"org": org})
    except DomainError as exc:
        if exc.status != 422:
            raise
        # invalid filters: back to the list, which shows them next to the form
        return redirect(f"{reverse('organizations:detail', args=[org.pk])}?{request.GET.urlencode()}#members")
    audit_record(
        actor=request.user,
        action="organizations.member.export",
        obj=org,
        request=request,
        detail={"filters": lq.audit_filters()},
    )
    header = [c.label for c in MEMBERS.export]
    rows = ([c.value(m) for c in MEMBERS.export] for m in lq.queryset.iterator(chunk_size=2000))
    return xlsx_response("members.xlsx", _("组织成员"), header, rows)


@login_required
@require_POST
@domain_http
def member_invite(request, org_id: int):
    org = selectors.organization_get_for_members(actor=request.user, id=org_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            m = services.membership_invite(
                actor=request.user,
                org=org,
                volunteer_no=form.cleaned_data["volunteer_no"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已向%(name)s发出邀请，待其确认。") % {"name": m.volunteer.name})
            return redirect("organizations:detail", org_id=org.pk)
    return _detail_page(request, org, status=400, invite_form=form)


def _run_member_action(action: str, *, actor, m: Membership, data: dict, request):
    """Call the service for ``action``; returns the success message."""
    if action == "approve":
        services.membership_approve(actor=actor, membership=m, role=data.get("role", ""), request=request)
        return _("已通过入队申请。")
    if action == "reject":
        services.membership_reject(actor=actor, membership=m, reason=data["reason"], request=request)
        return _("已拒绝。")
    if action == "remove":
        services.membership_remove(actor=actor, membership=m, reason=data["reason"], request=request)
        return _("已移出该成员。")
    services.membership_role_change(actor=actor, membership=m, role=data["role"], request=request)
    return _("成员角色已更新。")


MEMBER_FORMS = {"approve": RoleForm, "reject": ReasonForm, "remove": ReasonForm, "role": RoleForm}


@login_required
@require_POST
@domain_http
def member_action(request, org_id: int, membership_id: int, action: str):
    org = selectors.organization_get_for_members(actor=request.user, id=org_id)
    m = selectors.membership_get(org=org, id=membership_id)
    form_class = MEMBER_FORMS[action]
    data = request.POST.copy()
    if action == "approve" and not data.get("role"):
        data["role"] = m.role
    form = form_class(data)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("organizations:detail", org_id=org.pk)
    try:
        done = _run_member_action(action, actor=request.user, m=m, data=form.cleaned_data, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        detail = "；".join(str(e) for errs in exc.fields.values() for e in errs)
        messages.error(request, detail or exc.message)
    else:
        messages.success(request, done)
    return redirect("organizations:detail", org_id=org.pk)


# --- organization admin: 我管理的组织 ---------------------------------------------------------------------


@login_required
@require_GET
def admin_organizations(request):
    """The organizations the actor administers; with exactly one, go straight to it."""
    orgs = _with_region_names(selectors.admin_organizations(actor=request.user))
    if len(orgs) == 1:
        return redirect("organizations:detail", org_id=orgs[0].pk)
    return render(request, "organizations/admin_list.html", {"orgs": orgs})


# --- applying and the volunteer ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def organization_apply(request):
    """Apply to create an organization or team (or, as admin, a sub-team)."""
    parents = [o for o in selectors.admin_organizations(actor=request.user) if o.is_active]
    form = ApplyForm(request.POST if request.method == "POST" else None, parents=parents)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                application = services.OrganizationInput(**form.cleaned_data)
                org = services.organization_apply(actor=request.user, application=application, request=request)
            except DomainError as exc:
                if exc.status == 403:
                    raise
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("申请已提交：「%(name)s」，请等待所在区域管理员审核。") % {"name": org.name})
                return redirect("organizations:my")
    return render(request, "organizations/organization_apply.html", {"form": form}, status=status)


def _volunteer_or_none(user):
    from zhiyuan.volunteers.models import Volunteer

    return Volunteer.objects.filter(user_id=user.pk).first()


@login_required
@require_GET
def my_organizations(request):
    """「我的组织」: memberships (with invitations to answer) and the applications the user filed."""
    volunteer = _volunteer_or_none(request.user)
    memberships = list(selectors.my_memberships(volunteer=volunteer)) if volunteer else []
    return render(
        request,
        "organizations/my_organizations.html",
        {
            "volunteer": volunteer,
            "open": [m for m in memberships if m.is_open],
            "past": [m for m in memberships if not m.is_open],
            "applications": list(selectors.my_applications(actor=request.user)[:50]),
            "managed": list(selectors.admin_organizations(actor=request.user)),
        },
    )


def _own_membership(request, membership_id: int) -> Membership:
    volunteer = _volunteer_or_none(request.user)
    if volunteer is None:
        from django.http import Http404

        raise Http404
    return selectors.my_membership_get(volunteer=volunteer, id=membership_id)


@login_required
@require_POST
@domain_http
def membership_leave(request, membership_id: int):
    m = _own_membership(request, membership_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.membership_leave(actor=request.user, membership=m, reason=reason, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已退出「%(name)s」。") % {"name": m.organization.name})
    return redirect("organizations:my")


@login_required
@require_POST
@domain_http
def membership_respond(request, membership_id: int):
    m = _own_membership(request, membership_id)
    accept = request.POST.get("accept") == "1"
    try:
        services.membership_respond(actor=request.user, membership=m, accept=accept, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已加入「%(name)s」。") % {"name": m.organization.name} if accept else _("已谢绝邀请。"))
    return redirect("organizations:my")


@login_required
@require_POST
@domain_http
def organization_join(request, org_id: int):
    org = selectors.public_organization_get(id=org_id)
    try:
        services.membership_apply(actor=request.user, org=org, request=request)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        return redirect("organizations:profile", org_id=org.pk)
    messages.success(request, _("已提交加入「%(name)s」的申请，请等待组织审核。") % {"name": org.name})
    return redirect("organizations:my")


# --- public directory (ORG-6) ------------------------------------------------------------------------------


@require_GET
def directory(request):
    """Active organizations for everyone (``lists.DIRECTORY``): name, kind, region, intro and the
    stored member count — never the contact person, their phone or member names. Keyset pages,
    no count of the table."""
    return list_page(request, DIRECTORY, "organizations/directory.html", extra={"list_id": "directory", "row_attr": "data-org"})


@require_GET
@domain_http
def profile(request, org_id: int):
    """ORG-6: the public page of an active organization."""
    org = selectors.public_organization_get(id=org_id)
    org.region_name = selectors.region_name(org.region_code)
    org.category_labels = selectors.category_labels(org)
    sub_teams = _with_region_names(selectors.public_sub_teams(org=org))
    membership = None
    if request.user.is_authenticated:
        volunteer = _volunteer_or_none(request.user)
        if volunteer is not None:
            membership = Membership.objects.filter(volunteer=volunteer, organization=org, status__in=Membership.OPEN).first()
    return render(
        request,
        "organizations/profile.html",
        {
            "org": org,
            "member_count": org.member_count,
            "sub_teams": sub_teams,
            "membership": membership,
            "activity_index": selectors.activity_index(org_ids=[org.pk]).get(org.pk),
        },
    )
