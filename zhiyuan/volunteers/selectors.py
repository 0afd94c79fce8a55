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
    """Blind indexes of ``number`` read as ``id_type`` (or as every type it is valid for).

    A number valid for none of them is refused (422 naming ``id_number``, "证件号码无效：…" with
    the parser's reason when a type was chosen), so a typo is not reported as "nobody found".
    The message never contains the number."""
    from zhiyuan.volunteers.idcards import IdType

    number = str(number or "")[:64]
    types = [id_type] if id_type else list(IdType.values)
    out = []
    refusal = None
    for t in types:
        try:
            doc = documents.document_parse(t, number)
        except DomainError as e:
            refusal = refusal or e
            continue
        out.extend(documents.document_indexes(doc.id_type, doc.normalized))
    if not out:
        raise _invalid_number(refusal if id_type else None)
    return out


def _invalid_number(refusal: DomainError | None) -> DomainError:
    reasons = (refusal.fields.get("id_number") or []) if refusal is not None else []
    if refusal is not None and not reasons:  # not about the number (an unknown type): as it is
        return DomainError(refusal.code, refusal.message, fields=refusal.fields, status=422)
    reason = str(reasons[0]) if reasons else str(_("它不是任何一种证件的有效号码。"))
    message = _("证件号码无效：%(reason)s") % {"reason": reason}
    return DomainError("invalid_document", message, fields={"id_number": [message]}, status=422)


def volunteer_find_by_document(*, actor, number: str, id_type: str = "") -> QuerySet[Volunteer]:
    """Exact search by document number inside the actor's scope (at most one person per type),
    through the HMAC blind index (its unique index). The plaintext stays in memory: callers take
    it from a POST body, never a query string; an invalid number is refused (``document_indexes``)."""
    indexes = document_indexes(number, id_type)
    return Volunteer.objects.visible_to(actor).select_related("user").filter(id_number_index__in=indexes)


def volunteer_manage_get(*, actor, volunteer_id) -> Volunteer:
    """One visible volunteer (404 outside the scope, restricted people included in the 404)."""
    try:
        pk = int(volunteer_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    v = volunteer_get_visible(actor, pk)
    return Volunteer.objects.select_related("user").prefetch_related("skills", "service_categories").get(pk=v.pk)
