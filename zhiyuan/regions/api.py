"""Regions API (public reference data: GETs need no authentication)."""

from ninja import Query, Router, Schema

from zhiyuan.core.api import ErrorOut, page_bounds
from zhiyuan.regions import selectors
from zhiyuan.regions.schemas import RegionDetailOut, RegionPage

router = Router(tags=["regions"])


class RegionFilters(Schema):
    parent: str | None = None
    q: str | None = None
    page: int = 1
    page_size: int = 20


@router.get(
    "/",
    response={200: RegionPage, 404: ErrorOut, 422: ErrorOut},
    auth=None,
    operation_id="list_regions",
)
def list_regions(request, filters: Query[RegionFilters]):
    """Children of ``parent`` (provinces without it), or, with ``q``, regions whose name contains
    ``q`` (inside ``parent`` when both are given; a numeric ``q`` matches codes by prefix)."""
    start, end = page_bounds(filters.page, filters.page_size)  # 422 for a page out of range
    if filters.parent:
        selectors.region_get(filters.parent)  # 404 for an unknown parent
    if filters.q and filters.q.strip():
        qs = selectors.region_search(filters.q, under=filters.parent)
    else:
        qs = selectors.region_children(filters.parent)
    count = qs.count()
    items = list(qs[start:end])
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
