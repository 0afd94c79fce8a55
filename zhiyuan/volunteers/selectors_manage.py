"""Manager reads of volunteers (SPEC §0 scope rule, VOL-10 export; ISSUE "manager search").

Every query starts from ``Volunteer.objects.visible_to(actor)``: region managers see residents of
their region subtree, platform admins everyone, organization admins their members (scope
provider of the organizations app). Restricted people (consent withdrawn, PIPL 47 resolution in
RULES.md) are left out by ``visible_to`` itself, so they never reach a list, a search or an export.

Searching by document number is exact: the number is normalized and turned into the HMAC blind
index (``documents.document_index``) for every document type it parses as; the plaintext stays
in memory (ARCHITECTURE ground rule: no ID number in the database, logs or URLs — callers take
it from a POST body, never a query string).
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet

from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_has_role
from zhiyuan.core.errors import DomainError
from zhiyuan.regions.codes import normalize_code, region_prefix
from zhiyuan.regions.models import Region
from zhiyuan.volunteers import documents, minors
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.numbers import normalize_volunteer_no
from zhiyuan.volunteers.permissions import volunteer_get_visible

# sort key -> ORDER BY; "age" sorts the youngest first (latest birth date)
SORTS = {
    "-registered_at": ("-registered_at", "-id"),
    "registered_at": ("registered_at", "id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "volunteer_no": ("volunteer_no",),
    "-volunteer_no": ("-volunteer_no",),
    "age": ("-birth_date", "id"),
    "-age": ("birth_date", "id"),
}
DEFAULT_SORT = "-registered_at"
GENDERS = ("0", "1", "2", "9")


@dataclass
class VolunteerFilters:
    q: str = ""  # name (contains), volunteer number (exact) or mobile (exact / prefix of 7+ digits)
    region: str = ""  # 2/4/6/9/12-digit code: residents inside it
    status: str = ""
    gender: str = ""
    age_min: int | None = None
    age_max: int | None = None
    political_status: str = ""
    skill: str = ""
    service_category: str = ""
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    sort: str = DEFAULT_SORT

    def as_audit(self) -> dict:
        """The filter for the audit log (no personal data: ``q`` may be a name or a mobile, so it
        is recorded only as present/absent)."""
        d = {k: v for k, v in asdict(self).items() if v not in ("", None)}
        if "q" in d:
            d["q"] = "*"
        return d


def can_list_volunteers(actor) -> bool:
    """Who may open the manager list: region managers, platform admins and organization admins
    (these see only their members, through the organizations app's scope provider)."""
    return actor_has_role(actor, Role.REGION_MANAGER, Role.PLATFORM_ADMIN, Role.ORG_ADMIN)


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _apply(qs: QuerySet, f: VolunteerFilters) -> QuerySet:
    q = (f.q or "").strip()[:50]
    if q:
        # A number may come grouped as shown ("0000 012 345 6", "138 0013 8000").
        compact = normalize_volunteer_no(q)
        cond = Q(name__icontains=q) | Q(volunteer_no=compact)
        if compact.isdigit() and len(compact) == 11:
            cond |= Q(user__mobile=compact)
        elif compact.isdigit() and len(compact) >= 7:
            cond |= Q(user__mobile__startswith=compact)
        qs = qs.filter(cond)
    if f.region:
        try:
            qs = qs.filter(region_code__startswith=region_prefix(normalize_code(str(f.region))))
        except ValueError:
            qs = qs.none()
    if f.status in Volunteer.Status.values:
        qs = qs.filter(status=f.status)
    if f.gender in GENDERS:
        qs = qs.filter(gender=f.gender)
    today = minors.today_shanghai()
    if f.age_min is not None:  # at least age_min years old today
        qs = qs.filter(birth_date__lte=_years_ago(today, f.age_min))
    if f.age_max is not None:  # not yet age_max + 1
        qs = qs.filter(birth_date__gt=_years_ago(today, f.age_max + 1))
    if f.political_status:
        qs = qs.filter(political_status=f.political_status)
    if f.skill:
        qs = qs.filter(pk__in=Volunteer.objects.filter(skills__code=f.skill).values("pk"))
    if f.service_category:
        qs = qs.filter(pk__in=Volunteer.objects.filter(service_categories__code=f.service_category).values("pk"))
    if f.registered_from:
        qs = qs.filter(registered_at__date__gte=f.registered_from)
    if f.registered_to:
        qs = qs.filter(registered_at__date__lte=f.registered_to)
    return qs


def volunteer_filters_check(f: VolunteerFilters) -> None:
    """The API's strict reading of the list filters: an unknown code or an impossible range is a
    422 with a Chinese message per field, never a silently ignored filter that lists everyone.
    (The manager page validates the same values in ``VolunteerFilterForm`` and shows the errors.)"""
    from django.utils.translation import gettext as _

    from zhiyuan.volunteers import code_tables

    def one_of(codes) -> str:
        return _("无效的取值，可选：%(codes)s。") % {"codes": _("、").join(codes)}

    errors: dict[str, list[str]] = {}
    choices = {
        "status": list(Volunteer.Status.values),
        "gender": list(GENDERS),
        "political_status": [c for c, _label in code_tables.political_status_choices()],
        "skill": [c for c, _label in code_tables.skill_choices()],
        "service_category": [c for c, _label in code_tables.service_category_choices()],
        "sort": list(SORTS),
    }
    for field, codes in choices.items():
        value = getattr(f, field)
        if value and value not in codes:
            errors[field] = [one_of(codes)]
    if f.region:
        try:
            normalize_code(str(f.region))
        except ValueError:
            errors["region"] = [_("请输入有效的区划代码（2、4、6、9或12位数字）。")]
    if f.age_min is not None and f.age_max is not None and f.age_min > f.age_max:
        errors["age_max"] = [_("最大年龄不能小于最小年龄。")]
    if f.registered_from and f.registered_to and f.registered_from > f.registered_to:
        errors["registered_to"] = [_("结束日期不能早于开始日期。")]
    if errors:
        raise DomainError("invalid", _("筛选条件有误，请检查后重试。"), fields=errors, status=422)


def volunteer_list(*, actor, filters: VolunteerFilters | None = None) -> QuerySet[Volunteer]:
    """Volunteers the actor may see, filtered and sorted (the user row joined for the mobile)."""
    f = filters or VolunteerFilters()
    qs = _apply(Volunteer.objects.visible_to(actor).select_related("user"), f)
    return qs.order_by(*SORTS.get(f.sort, SORTS[DEFAULT_SORT]))


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
    """Exact search by document number inside the actor's scope (at most one person per type).
    An invalid number finds nobody; the number is never stored, logged or echoed."""
    indexes = document_indexes(number, id_type)
    qs = Volunteer.objects.visible_to(actor).select_related("user")
    return qs.filter(id_number_index__in=indexes) if indexes else qs.none()


def volunteer_manage_get(*, actor, volunteer_id) -> Volunteer:
    """One visible volunteer (404 outside the scope, restricted people included in the 404)."""
    try:
        pk = int(volunteer_id)
    except (TypeError, ValueError):
        from zhiyuan.core.errors import NotFound

        raise NotFound() from None
    v = volunteer_get_visible(actor, pk)
    return Volunteer.objects.select_related("user").prefetch_related("skills", "service_categories").get(pk=v.pk)


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))
