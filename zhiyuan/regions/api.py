"""Regions API (public reference data: GETs need no authentication)."""

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from zhiyuan.core.api import ErrorOut
from zhiyuan.core.errors import DomainError
from zhiyuan.regions import selectors
from zhiyuan.regions.schemas import RegionDetailOut, RegionPage

router = Router(tags=["regions"])

MAX_PAGE_SIZE = 100


class RegionFilters(Schema):
    parent: str | None = None
    q: str | None = None
    page: int = 1
    page_size: int = 20


@router.get(
    "/",
    response={200: RegionPage, 400: ErrorOut, 404: ErrorOut},
    auth=None,
    operation_id="list_regions",
)
def list_regions(request, filters: Query[RegionFilters]):
    """Children of ``parent`` (provinces without it), or, with ``q``, regions whose name contains
    ``q`` (inside ``parent`` when both are given; a numeric ``q`` matches codes by prefix)."""
    if filters.page < 1 or not 1 <= filters.page_size <= MAX_PAGE_SIZE:
        raise DomainError(
            "invalid", _("分页参数无效：page 从 1 开始，page_size 为 1 至 100。"), fields={"page_size": [_("取值超出范围。")]}
        )
    if filters.parent:
        selectors.region_get(filters.parent)  # 404 for an unknown parent
    if filters.q and filters.q.strip():
        qs = selectors.region_search(filters.q, under=filters.parent)
    else:
        qs = selectors.region_children(filters.parent)
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    items = list(qs[start : start + filters.page_size])
    return {"items": items, "count": count, "page": filters.page, "page_size": filters.page_size}


@router.get("/{code}", response={200: RegionDetailOut, 404: ErrorOut}, auth=None, operation_id="get_region")
def get_region(request, code: str):
    """One region by its 2/4/6/9/12-digit code, with its ancestors and population by year."""
    region = selectors.region_get(code)
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "full_name": region.full_name,
        "parent": region.parent_id,
        "ancestors": selectors.region_ancestors(region.code),
        "populations": list(selectors.region_populations(region.code)),
        "children_count": selectors.region_children(region.code).count(),
    }
