"""Pages of the stations app: the managers' list/create/edit/detail, the station admin's
「我的站点」 and the public list. Thin: every rule is in ``services``/``selectors``."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.views import domain_http
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import list_export_response, list_page
from zhiyuan.core.picker import picker_results
from zhiyuan.organizations.picker import organization_options
from zhiyuan.stations import selectors, services
from zhiyuan.stations.forms import (
    CloseForm,
    OperationsForm,
    ServicePointForm,
    StationAdminAssignForm,
)
from zhiyuan.stations.lists import MY_POINTS, POINTS, PUBLIC_POINTS, my_points_source, points_decorate
from zhiyuan.stations.models import ServicePoint
from zhiyuan.stations.permissions import can_manage_point, can_manage_points


def _require_manager(request):
    if not can_manage_points(request.user):
        raise DjangoPermissionDenied


def _with_region_names(points) -> list:
    return points_decorate(list(points))


# --- managers -------------------------------------------------------------------------------------


@login_required
@require_GET
@domain_http
def service_point_list(request):
    """Points in the actor's scope (``lists.POINTS``): search, filters, keyset pages, cards on
    phones, Excel export."""
    _require_manager(request)
    return list_page(request, POINTS, "stations/service_point_list.html", extra={"row_attr": "data-point", "list_id": "points"})


@login_required
@require_GET
@domain_http
def service_point_export(request):
    """The filtered list as .xlsx, streamed (``core.lists.list_export``: scoped, masked,
    formula-safe, capped, audited once as ``stations.point.export``)."""
    _require_manager(request)
    return list_export_response(request, POINTS)


def _point_form(request, *, data=None, initial=None, point: ServicePoint | None = None) -> ServicePointForm:
    parents = selectors.parent_candidates(actor=request.user, network_level="", exclude_id=point.pk if point else None)
    operator = point.operator_organization if point else None
    return ServicePointForm(data, initial=initial, actor=request.user, parents=parents, operator=operator)


@login_required
@require_GET
def operator_options(request):
    """Results of the point form's operator picker (htmx): active organizations the manager sees."""
    _require_manager(request)
    return picker_results(request, functools.partial(organization_options, actor=request.user))


def _form_input(form) -> services.ServicePointInput:
    return services.ServicePointInput(**form.cleaned_data)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def service_point_create(request):
    _require_manager(request)
    form = _point_form(request, data=request.POST if request.method == "POST" else None, initial={"kind": "station"})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                point = services.service_point_create(actor=request.user, values=_form_input(form), request=request)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("站点已创建。"))
                return redirect("stations:detail", point_id=point.pk)
    return render(request, "stations/service_point_form.html", {"form": form, "point": None}, status=status)


def _initial(point: ServicePoint) -> dict:
    initial = {f: getattr(point, f) for f in services.MANAGER_FIELDS}
    initial["parent_id"] = str(point.parent_id or "")
    initial["latitude"] = "" if point.latitude is None else str(point.latitude)
    initial["longitude"] = "" if point.longitude is None else str(point.longitude)
    initial["operator_organization_id"] = point.operator_organization_id
    return initial


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def service_point_edit(request, point_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    form = _point_form(request, data=request.POST if request.method == "POST" else None, initial=_initial(point), point=point)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.service_point_update(actor=request.user, point=point, change=_form_input(form), request=request)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("站点信息已保存。"))
                return redirect("stations:detail", point_id=point.pk)
    return render(request, "stations/service_point_form.html", {"form": form, "point": point}, status=status)


def _detail_context(request, point: ServicePoint, **extra) -> dict:
    point.region_name = selectors.region_names([point.region_code]).get(point.region_code, point.region_code)
    children = _with_region_names(point.children.order_by("name"))
    return {
        "point": point,
        "children": children,
        "admins": list(selectors.station_admin_list(point=point)),
        "can_manage": can_manage_point(request.user, point),
        "assign_form": extra.pop("assign_form", None) or StationAdminAssignForm(),
        "close_form": extra.pop("close_form", None) or CloseForm(),
        **extra,
    }


@login_required
@require_GET
@domain_http
def service_point_detail(request, point_id: int):
    _require_manager(request)
    point = selectors.service_point_get(actor=request.user, id=point_id)
    return render(request, "stations/service_point_detail.html", _detail_context(request, point))


@login_required
@require_POST
@domain_http
def service_point_close(request, point_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.service_point_close(actor=request.user, point=point, reason=form.cleaned_data["reason"], request=request)
        except DomainError as exc:
            if exc.status == 403:
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("站点已关闭。"))
            return redirect("stations:detail", point_id=point.pk)
    return render(request, "stations/service_point_detail.html", _detail_context(request, point, close_form=form), status=400)


@login_required
@require_POST
@domain_http
def service_point_reopen(request, point_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    try:
        services.service_point_reopen(actor=request.user, point=point, request=request)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("站点已重新启用。"))
    return redirect("stations:detail", point_id=point.pk)


@login_required
@require_POST
@domain_http
def station_admin_assign(request, point_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    form = StationAdminAssignForm(request.POST)
    if form.is_valid():
        try:
            a = services.station_admin_assign(
                actor=request.user, point=point, mobile=form.cleaned_data["mobile"], request=request
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已指定%(user)s为站点管理员。") % {"user": a.user.audit_label})
            return redirect("stations:detail", point_id=point.pk)
    return render(request, "stations/service_point_detail.html", _detail_context(request, point, assign_form=form), status=400)


@login_required
@require_POST
@domain_http
def station_admin_revoke(request, point_id: int, assignment_id: int):
    point = selectors.service_point_get_for_manage(actor=request.user, id=point_id)
    try:
        services.station_admin_revoke(actor=request.user, point=point, assignment_id=assignment_id, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("站点管理员已撤销。"))
    return redirect("stations:detail", point_id=point.pk)


# --- station admin: 我的站点 ----------------------------------------------------------------------


@login_required
@require_GET
@domain_http
def my_station(request):
    """The station admin's points (``lists.MY_POINTS``); with exactly one, go straight to it."""
    if not request.GET:
        first_two = list(my_points_source(request.user).values_list("pk", flat=True)[:2])
        if len(first_two) == 1:
            return redirect("stations:mine_edit", point_id=first_two[0])
    extra = {"row_attr": "data-point", "list_id": "my-points"}
    return list_page(request, MY_POINTS, "stations/my_station_list.html", extra=extra)


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def my_station_edit(request, point_id: int):
    point = selectors.service_point_get_for_operations(actor=request.user, id=point_id)
    initial = {f: getattr(point, f) for f in services.OPERATIONS_FIELDS}
    form = OperationsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.service_point_operations_update(
                    actor=request.user, point=point, change=_form_input(form), request=request
                )
            except DomainError as exc:
                if exc.status == 403:
                    raise
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("站点信息已保存。"))
                return redirect("stations:mine_edit", point_id=point.pk)
    point.region_name = selectors.region_names([point.region_code]).get(point.region_code, "")
    return render(request, "stations/my_station_edit.html", {"form": form, "point": point}, status=status)


# --- public -----------------------------------------------------------------------------------------


@require_GET
@domain_http
def public_list(request):
    """Active points for everyone (``lists.PUBLIC_POINTS``): name, type, region, address, hours
    and the public service phone only — never the contact person or their phone."""
    return list_page(request, PUBLIC_POINTS, "stations/public_list.html", extra={"row_attr": "data-point", "list_id": "points"})
