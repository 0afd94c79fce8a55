"""Reads of the volunteers app. Manager reads start from ``Volunteer.objects.visible_to(actor)``
(restricted people excluded); the person's own reads start from :func:`volunteer_for`."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.errors import DomainError, NotFound
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.models import PrivacyNotice, Volunteer
from zhiyuan.volunteers.permissions import volunteer_get_visible


class NotRegistered(DomainError):
    status = 404

    def __init__(self):
        super().__init__("not_registered", _("您还没有注册为志愿者。"))


def volunteer_for(user, *, for_update: bool = False) -> Volunteer:
    """The signed-in person's own volunteer row (restricted or not: the person always reaches
    their own data — PIPL 45). Raises ``NotRegistered`` (404) for users without one."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotRegistered()
    qs = Volunteer.objects.filter(user_id=user.pk)
    if for_update:
        qs = qs.select_for_update()
    v = qs.first()
    if v is None:
        raise NotRegistered()
    v.user = user
    return v


def volunteer_or_none(user) -> Volunteer | None:
    try:
        return volunteer_for(user)
    except NotRegistered:
        return None


def volunteer_get(*, actor, volunteer_id: int) -> Volunteer:
    """A volunteer the actor may see (404 otherwise), for masked display."""
    return volunteer_get_visible(actor, volunteer_id)


def privacy_notice_current() -> PrivacyNotice | None:
    return PrivacyNotice.objects.filter(is_current=True).first()


def region_full_name(code: str) -> str:
    from zhiyuan.regions.models import Region

    return Region.objects.filter(code=code).values_list("full_name", flat=True).first() or code


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜; Latin names keep first and last letter."""
    name = name or ""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- manager reads (the list itself is ``lists.VOLUNTEERS``) ----------------------------------------


def document_indexes(number: str, id_type: str = "") -> list[str]:
    """Blind indexes of ``number`` read as ``id_type`` (or as every type it is valid for)."""
    from zhiyuan.volunteers.idcards import IdType

    number = str(number or "")[:64]
    types = [id_type] if id_type else list(IdType.values)
    out = []
    for t in types:
        try:
            doc = documents.document_parse(t, number)
        except DomainError:
            continue
        out.extend(documents.document_indexes(doc.id_type, doc.normalized))
    return out


def volunteer_find_by_document(*, actor, number: str, id_type: str = "") -> QuerySet[Volunteer]:
    """Exact search by document number inside the actor's scope (at most one person per type),
    through the HMAC blind index (its unique index). The plaintext stays in memory: callers take
    it from a POST body, never a query string; an invalid number finds nobody."""
    indexes = document_indexes(number, id_type)
    qs = Volunteer.objects.visible_to(actor).select_related("user")
    return qs.filter(id_number_index__in=indexes) if indexes else qs.none()


def volunteer_manage_get(*, actor, volunteer_id) -> Volunteer:
    """One visible volunteer (404 outside the scope, restricted people included in the 404)."""
    try:
        pk = int(volunteer_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    v = volunteer_get_visible(actor, pk)
    return Volunteer.objects.select_related("user").prefetch_related("skills", "service_categories").get(pk=v.pk)
