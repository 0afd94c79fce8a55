"""Regions API (public reference data: GETs need no authentication)."""

from ninja import Router

from zhiyuan.core.api import ErrorOut
from zhiyuan.core.lists import list_operation
from zhiyuan.regions import selectors
from zhiyuan.regions.lists import REGIONS
from zhiyuan.regions.schemas import RegionDetailOut, RegionOut

router = Router(tags=["regions"], auth=None)  # public reference data: no authentication


# GET /: children of ``parent`` (provinces without it), or, with ``q``, regions whose name contains
# ``q`` (inside ``parent`` when both are given; a numeric ``q`` matches codes by prefix); 404 for an
# unknown parent. Declared once in ``lists.REGIONS``: ``{items, next_cursor}``, keyset pages.
list_operation(router, "/", REGIONS, row=RegionOut, operation_id="list_regions", to_row=lambda r: r,
               errors={404: ErrorOut, 422: ErrorOut})  # fmt: skip


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
