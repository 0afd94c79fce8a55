"""Organizations offered by the object pickers (``core.picker``): a service point's operator, the
organization an ``org_admin`` grant names. Only what the actor may see (``visible_to``)."""

from zhiyuan.core.picker import PICKER_LIMIT, PickerOption, picker_name_q
from zhiyuan.organizations.models import Organization
from zhiyuan.regions.selectors import region_named_q, region_short_names


def organization_option(org: Organization, region_name: str | None = None) -> PickerOption:
    detail = [region_name if region_name is not None else region_short_names([org.region_code]).get(org.region_code, "")]
    if not org.is_active:
        detail.append(str(org.get_status_display()))
    return PickerOption(org.pk, org.name, " · ".join(d for d in detail if d))


def organization_options(
    *, actor, q: str = "", id: int | None = None, limit: int = PICKER_LIMIT, action: str = "view"
) -> list[PickerOption]:
    """With ``id``: that organization if the actor sees it (or may ``action`` it), whatever its
    status (a stored choice). Otherwise active organizations whose name or region contains ``q``
    (or whose number is ``q``), by region and name — at most ``limit``, however many the scope
    holds (a manager of 10⁴ organizations finds any by typing)."""
    qs = Organization.objects.visible_to(actor, action)
    if id is not None:
        qs = qs.filter(pk=id)
    else:
        qs = qs.active()
        q = (q or "").strip()[:50]
        if q:
            qs = qs.filter(picker_name_q(q) | region_named_q(q))
    orgs = list(qs.only("id", "name", "region_code", "status").order_by("region_code", "name", "id")[:limit])
    names = region_short_names(o.region_code for o in orgs)
    return [organization_option(o, names.get(o.region_code, "")) for o in orgs]
