"""Pages of the regions app: the manager's region browser and population upload (REG-3), and
the two public fragments behind the region picker (``forms.RegionCascadeField``)."""

import io
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import excel_safe, list_export_response, list_page
from zhiyuan.regions import selectors
from zhiyuan.regions.forms import PopulationUploadForm, RegionCascadeWidget, RegionJumpForm
from zhiyuan.regions.lists import REGIONS
from zhiyuan.regions.models import Level, Region
from zhiyuan.regions.permissions import actor_region_scope, can_manage_regions, region_in_scope
from zhiyuan.regions.services import PopulationImportError, region_population_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME_RE = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")


def _require_manager(request):
    if not can_manage_regions(request.user):
        raise PermissionDenied


def _scope_regions(actor) -> list[Region]:
    """The regions an actor manages (for shortcuts on the pages); provinces for platform admins."""
    scope = actor_region_scope(actor)
    if scope is None:
        return []
    return list(Region.objects.filter(code__in=[p.ljust(12, "0") for p in scope]).order_by("code"))


@login_required
@require_GET
def region_browse(request, code: str | None = None):
    """Drill down province → city → county → town (→ village): children, population, breadcrumb."""
    _require_manager(request)
    region = None
    if not code and not request.GET.get("q"):
        scope = actor_region_scope(request.user)
        if scope and len(scope) == 1:  # a region manager opens at their own region, not at 全国
            return redirect("regions:browse_region", code=scope[0].ljust(12, "0"))
    if code:
        try:
            region = selectors.region_get(code)
        except DomainError:
            raise Http404 from None
        if region.code != code:
            return redirect("regions:browse_region", code=region.code)
    q = (request.GET.get("q") or "").strip()[:50]
    context = {
        "region": region,
        "ancestors": selectors.region_ancestors(region.code) if region else [],
        "populations": list(selectors.region_populations(region.code)) if region else [],
        "q": q,
        "searching": bool(q),
        "my_regions": _scope_regions(request.user),
        "can_upload": region is None or region_in_scope(request.user, region.code),
        "jump_form": RegionJumpForm(initial={"region": region.code if region else ""}),
        "row_attr": "data-region",
        "list_id": "regions",
    }
    _with_parent(request, region)
    return list_page(request, REGIONS, "regions/region_browse.html", extra=context)


def _with_parent(request, region: Region | None) -> None:
    """The region of the path is the list's ``parent`` (``lists.REGIONS``)."""
    query = request.GET.copy()
    query["parent"] = region.code if region else ""
    request.GET = query


@login_required
@require_GET
def region_jump(request):
    """Target of the 「快速定位」 picker: go to the chosen region's page."""
    _require_manager(request)
    form = RegionJumpForm(request.GET)
    if form.is_valid() and form.cleaned_data["region"]:
        return redirect("regions:browse_region", code=form.cleaned_data["region"])
    messages.error(request, _("请选择一个区划。"))
    return redirect("regions:browse")


@login_required
@require_GET
def region_export(request, code: str | None = None):
    """The children list (with their latest population) as an Excel file, streamed and audited
    (``core.lists.list_export``)."""
    _require_manager(request)
    region = None
    if code:
        try:
            region = selectors.region_get(code)
        except DomainError:
            raise Http404 from None
    request.GET = QueryDict(mutable=True)  # the children only: the export does not search
    _with_parent(request, region)
    return list_export_response(request, REGIONS, filename=f"regions-{region.code if region else 'all'}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def population_upload(request):
    """Upload a population sheet; every row is checked, nothing is saved unless all rows pass."""
    _require_manager(request)
    errors = []
    result = None
    if request.method == "POST":
        form = PopulationUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = region_population_import(
                    actor=request.user,
                    file=form.cleaned_data["file"],
                    year=form.cleaned_data["year"],
                    source=form.cleaned_data["source"],
                    request=request,
                )
            except PopulationImportError as exc:
                errors = exc.errors
                form.add_error(None, exc.message)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("导入成功：共 %(rows)d 行（新增 %(created)d，更新 %(updated)d）。")
                    % {"rows": result.rows, "created": result.created, "updated": result.updated},
                )
                return redirect(reverse("regions:population_upload"))
    else:
        form = PopulationUploadForm()
    return render(
        request,
        "regions/population_upload.html",
        {"form": form, "errors": errors[:500], "error_count": len(errors), "my_regions": _scope_regions(request.user)},
    )


@login_required
@require_GET
def population_template(request):
    """An Excel template with the expected columns, pre-filled with the actor's regions."""
    _require_manager(request)
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("常住人口")
    ws.append([_("区划代码"), _("名称（仅供参考）"), _("年份"), _("常住人口"), _("来源")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    scope_regions = _scope_regions(request.user)
    rows: list[Region] = []
    if scope_regions:
        for region in scope_regions:
            rows.append(region)
            rows.extend(selectors.region_children(region.code)[:500])
    else:
        rows = list(selectors.region_children(None))
    for region in rows:
        ws.append([region.code, excel_safe(region.full_name), None, None, None])
    for cell in ws["A"]:
        cell.number_format = "@"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["D"].width = 14
    ws.column_dimensions["E"].width = 24
    notes = wb.create_sheet(_("说明"))
    for line in (
        _("每行一个区划、一个年份。区划代码可为2、4、6、9或12位数字。"),
        _("年份：1949年至明年之间的整数；常住人口：非负整数（单位：人）。"),
        _("“名称”列仅供参考，导入时忽略。只能导入您管辖范围内的区划。"),
        _("任何一行有错误时，整个文件都不会导入；请按错误报告修改后重新上传。"),
    ):
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="population-template.xlsx"'
    return response


# --- public fragments for the region picker ---


@require_GET
def region_options(request):
    """``<option>``s of a region's children (``?parent=CODE``; provinces without it)."""
    parent = (request.GET.get("parent") or "").strip()
    try:
        children = selectors.region_children(parent or None)
        list(children[:1])
    except DomainError:
        children = Region.objects.none()
    try:
        max_level = int(request.GET.get("max_level") or Level.VILLAGE)
    except ValueError:
        max_level = Level.VILLAGE
    return render(
        request,
        "regions/partials/_options.html",
        {
            "options": children.filter(level__lte=max_level).values_list("code", "name"),
            "selected": request.GET.get("selected", ""),
        },
    )


@require_GET
def region_cascade(request):
    """Re-render a ``RegionCascadeWidget`` after a change (htmx)."""
    name = request.GET.get("rc_name", "")
    base_id = request.GET.get("rc_id", "") or f"id_{name}"
    if not NAME_RE.match(name) or not NAME_RE.match(base_id):
        return HttpResponseBadRequest("bad picker name")
    try:
        min_level = min(max(int(request.GET.get("rc_min") or 1), 1), 5)
        max_level = min(max(int(request.GET.get("rc_max") or 4), min_level), 5)
    except ValueError:
        return HttpResponseBadRequest("bad level")
    root = (request.GET.get("rc_root") or "").strip() or None
    if root and not selectors.region_find(root):
        root = None
    widget = RegionCascadeWidget(min_level=min_level, max_level=max_level, root=root)
    code = widget.chain_from_selects(request.GET, name)
    return HttpResponse(widget.render(name, code, attrs={"id": base_id}, renderer=None))
