"""Service points offered by the object picker of a ``station_admin`` grant (``core.picker``):
only what the actor may see (``visible_to``)."""

from zhiyuan.core.picker import PICKER_LIMIT, PickerOption, picker_name_q
from zhiyuan.regions.selectors import region_named_q, region_short_names
from zhiyuan.stations.models import ServicePoint, Status


def service_point_options(*, actor, q: str = "", id: int | None = None, limit: int = PICKER_LIMIT) -> list[PickerOption]:
    """With ``id``: that point if the actor sees it, whatever its status. Otherwise points in
    operation whose name or region contains ``q`` (or whose number is ``q``), by region and name."""
    qs = ServicePoint.objects.visible_to(actor)
    if id is not None:
        qs = qs.filter(pk=id)
    else:
        qs = qs.filter(status=Status.ACTIVE)
        q = (q or "").strip()[:50]
        if q:
            qs = qs.filter(picker_name_q(q) | region_named_q(q))
    points = list(qs.order_by("region_code", "name", "id")[:limit])
    names = region_short_names(p.region_code for p in points)
    options = []
    for p in points:
        detail = [names.get(p.region_code, ""), str(p.type_label)]
        if p.status != Status.ACTIVE:
            detail.append(str(p.get_status_display()))
        options.append(PickerOption(p.pk, p.name, " · ".join(d for d in detail if d)))
    return options
