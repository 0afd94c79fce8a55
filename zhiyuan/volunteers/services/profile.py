"""The person's own profile (SPEC VOL-4), photo (VOL-8) and correction requests (VOL-6,
PIPL 46)."""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.core import crypto
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.core.inputs import UNSET, Unset, given
from zhiyuan.volunteers import availability, code_tables, documents
from zhiyuan.volunteers.codes import SELECTABLE_GENDERS
from zhiyuan.volunteers.models import (
    ConsentRecord,
    ProfileCorrectionRequest,
    Volunteer,
    VolunteerServiceCategory,
    VolunteerSkill,
)
from zhiyuan.volunteers.permissions import volunteer_get_for_manage
from zhiyuan.volunteers.selectors import volunteer_for
from zhiyuan.volunteers.tallies import tally_key, tally_moved
from zhiyuan.volunteers.texts import LOCATION_CONSENT_VERSION
from zhiyuan.volunteers.validation import as_bool, clean_date, clean_email, clean_person_name, clean_text

MAX_SKILLS = 20
MAX_CATEGORIES = 20
PHOTO_MAX_BYTES = 2 * 1024 * 1024
CORRECTION_PURPOSE = "volunteers.correction"
# Mainland China with a margin (the location is only used for distance matching).
LAT_RANGE = (Decimal("3"), Decimal("54"))
LNG_RANGE = (Decimal("73"), Decimal("136"))

PROFILE_FIELDS = (
    "political_status",
    "education",
    "ethnicity",
    "email",
    "region_code",
    "home_location",
    "skills",
    "service_categories",
    "availability",
)


def _add(errors, name, message):
    errors.setdefault(name, []).append(str(message))


def _check_code(errors, name, value, choices, label):
    value = str(value or "").strip()
    if value and value not in {c for c, _l in choices}:
        _add(errors, name, _("请从列表中选择%(label)s。") % {"label": label})
        return ""
    return value


def _clean_region(errors, code: str) -> str:
    from zhiyuan.regions.models import Level, Region

    code = str(code or "").strip()
    if not code:
        _add(errors, "region_code", _("请选择居住地所在的街道/乡镇及社区/村。"))
        return ""
    region = Region.objects.filter(code=code).only("code", "level").first() if len(code) == 12 else None
    if region is None:
        _add(errors, "region_code", _("该区划不存在。"))
    elif region.level < Level.TOWN:
        _add(errors, "region_code", _("请继续选择，至少选择到街道/乡镇。"))
    elif Region.objects.filter(parent_id=code).exists():
        _add(errors, "region_code", _("请继续选择所在的社区/村。"))
    return code


def _clean_location(errors, lat, lng):
    if lat in (None, "") and lng in (None, ""):
        return None, None
    try:
        lat_d = Decimal(str(lat)).quantize(Decimal("0.000001"))
        lng_d = Decimal(str(lng)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        _add(errors, "home_location", _("请输入有效的经纬度（小数形式，如 23.111、114.416）。"))
        return None, None
    if not (LAT_RANGE[0] <= lat_d <= LAT_RANGE[1] and LNG_RANGE[0] <= lng_d <= LNG_RANGE[1]):
        _add(errors, "home_location", _("经纬度不在中国境内范围。"))
        return None, None
    return lat_d, lng_d


def _clean_skills(errors, items) -> list[tuple[str, str]]:
    allowed = {c for c, _l in code_tables.skill_choices()}
    out: dict[str, str] = {}
    if not isinstance(items, list | tuple):
        _add(errors, "skills", _("技能格式错误。"))
        return []
    if len(items) > MAX_SKILLS:
        _add(errors, "skills", _("最多填写%(n)s项技能。") % {"n": MAX_SKILLS})
        return []
    for item in items:
        if isinstance(item, dict):
            code, detail = str(item.get("code") or "").strip(), item.get("detail") or ""
        else:
            code, detail = str(item or "").strip(), ""
        if code not in allowed:
            _add(errors, "skills", _("请从列表中选择技能。"))
            continue
        detail, err = clean_text(detail, label=_("资质说明"), max_length=100)
        if err:
            _add(errors, "skills", err)
            continue
        out[code] = detail or out.get(code, "")
    return list(out.items())


def _clean_categories(errors, items) -> list[str]:
    allowed = {c for c, _l in code_tables.service_category_choices()}
    if not isinstance(items, list | tuple):
        _add(errors, "service_categories", _("服务意向格式错误。"))
        return []
    if len(items) > MAX_CATEGORIES:
        _add(errors, "service_categories", _("最多选择%(n)s项服务意向。") % {"n": MAX_CATEGORIES})
        return []
    out = []
    for code in items:
        code = str(code or "").strip()
        if code not in allowed:
            _add(errors, "service_categories", _("请从列表中选择服务类别。"))
        elif code not in out:
            out.append(code)
    return out


def _clean_availability(errors, value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= availability.FULL_MASK:
            return value
        _add(errors, "availability", _("可服务时间格式错误。"))
        return 0
    if not isinstance(value, list | tuple) or len(value) > 21:
        _add(errors, "availability", _("可服务时间格式错误。"))
        return 0
    try:
        return availability.mask_from_keys(value)
    except ValueError:
        _add(errors, "availability", _("可服务时间格式错误。"))
        return 0


@dataclass(frozen=True, kw_only=True)
class ProfileChange:
    """What a person changes on their profile (page form, API body, demo data); what is left
    ``UNSET`` keeps its value. Codes are checked against ``codes.py``; ``skills`` is a list of
    codes or of ``{"code", "detail"}``; ``availability`` slot keys ``"<day 1-7>-<am|pm|ev>"``.
    A home location needs ``accept_location`` (its own consent) unless one is on record."""

    political_status: str | Unset = UNSET
    education: str | Unset = UNSET
    ethnicity: str | Unset = UNSET
    email: str | Unset = UNSET
    region_code: str | Unset = UNSET
    home_lat: str | Decimal | Unset | None = UNSET  # None (both): remove the location
    home_lng: str | Decimal | Unset | None = UNSET
    accept_location: bool | str | Unset = UNSET
    skills: list | Unset | None = UNSET
    service_categories: list[str] | Unset | None = UNSET
    availability: list[str] | Unset | None = UNSET


def profile_validate(*, volunteer: Volunteer, change: ProfileChange) -> dict:
    """Validate a (partial) profile update: only the fields ``change`` sets are checked and
    changed. Raises DomainError with Chinese messages per field."""
    data = given(change)
    errors: dict[str, list[str]] = {}
    out: dict = {}
    if "political_status" in data:
        out["political_status"] = _check_code(
            errors, "political_status", data["political_status"], code_tables.political_status_choices(), _("政治面貌")
        )
    if "education" in data:
        out["education"] = _check_code(errors, "education", data["education"], code_tables.education_choices(), _("学历"))
    if "ethnicity" in data:
        out["ethnicity"] = _check_code(errors, "ethnicity", data["ethnicity"], code_tables.ethnicity_choices(), _("民族"))
    if "email" in data:
        out["email"], err = clean_email(data["email"])
        if err:
            _add(errors, "email", err)
    if "region_code" in data:
        out["region_code"] = _clean_region(errors, data["region_code"])
    if "home_lat" in data or "home_lng" in data:
        lat, lng = _clean_location(errors, data.get("home_lat"), data.get("home_lng"))
        out["home_lat"], out["home_lng"] = lat, lng
        if lat is not None and not as_bool(data.get("accept_location")):
            has_consent = volunteer.pk and volunteer.consents.filter(kind="location", withdrawn_at__isnull=True).exists()
            if not has_consent:
                _add(errors, "home_location", _("提供居住位置须单独同意（仅用于就近匹配活动，不向他人展示）。"))
        out["accept_location"] = as_bool(data.get("accept_location"))
    if "skills" in data:
        out["skills"] = _clean_skills(errors, data["skills"])
    if "service_categories" in data:
        out["service_categories"] = _clean_categories(errors, data["service_categories"])
    if "availability" in data:
        out["availability"] = _clean_availability(errors, data["availability"])
    if errors:
        raise DomainError("invalid", _("个人资料有误，请按提示修改后重试。"), fields=errors)
    return out


@transaction.atomic
def volunteer_update_profile(*, actor, change: ProfileChange, request=None) -> Volunteer:
    """The person edits their own profile (VOL-4). Name, document, gender and birth date are
    not editable here: they change through a correction request a manager handles."""
    volunteer = volunteer_for(actor, for_update=True)
    cleaned = profile_validate(volunteer=volunteer, change=change)
    now = timezone.now()
    before = tally_key(volunteer)
    fields = []
    for name in ("political_status", "education", "ethnicity", "region_code", "availability"):
        if name in cleaned and getattr(volunteer, name) != cleaned[name]:
            setattr(volunteer, name, cleaned[name])
            fields.append(name)
    if "home_lat" in cleaned:
        volunteer.home_lat, volunteer.home_lng = cleaned["home_lat"], cleaned["home_lng"]
        fields += ["home_lat", "home_lng"]
        active = volunteer.consents.filter(kind="location", withdrawn_at__isnull=True)
        if cleaned["home_lat"] is None:
            active.update(withdrawn_at=now)
        elif not active.exists():
            ConsentRecord.objects.create(volunteer=volunteer, kind="location", version=LOCATION_CONSENT_VERSION, accepted_at=now)
    if "email" in cleaned and actor.email != cleaned["email"]:
        actor.email = cleaned["email"]
        actor.save(update_fields=["email"])
    if "skills" in cleaned:
        volunteer.skills.all().delete()
        VolunteerSkill.objects.bulk_create([VolunteerSkill(volunteer=volunteer, code=c, detail=d) for c, d in cleaned["skills"]])
    if "service_categories" in cleaned:
        volunteer.service_categories.all().delete()
        VolunteerServiceCategory.objects.bulk_create(
            [VolunteerServiceCategory(volunteer=volunteer, code=c) for c in cleaned["service_categories"]]
        )
    volunteer.updated_at = now
    volunteer.save(update_fields=[*fields, "updated_at"])
    tally_moved(before, tally_key(volunteer))  # a new residence moves the person between regions
    return volunteer


# --- photo --------------------------------------------------------------------------------


def _sniff_image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def _strip_jpeg_metadata(data: bytes) -> bytes:
    """Drop APPn (EXIF/GPS, XMP…) and COM segments, keep JFIF (APP0) and the image: a phone
    photo's EXIF may hold the place it was taken (PIPL 28 location)."""
    out = bytearray(data[:2])
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise ValueError("bad marker")
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            out += data[i : i + 2]
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > n:
            raise ValueError("bad segment length")
        segment = data[i : i + 2 + length]
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += segment
        i += 2 + length
    raise ValueError("no image data")


def _strip_png_metadata(data: bytes) -> bytes:
    """Keep only the chunks needed to draw the image (drop tEXt/iTXt/zTXt/eXIf/tIME)."""
    keep = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs"}
    out = bytearray(data[:8])
    i = 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        ctype = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if ctype in keep:
            out += data[i:end]
        i = end
        if ctype == b"IEND":
            return bytes(out)
    raise ValueError("no IEND")


@transaction.atomic
def volunteer_set_photo(*, actor, upload) -> Volunteer:
    """The card photo (VOL-8): JPEG or PNG by content (not by the name or the browser's claim),
    at most 2 MB, metadata removed; stored under MEDIA_ROOT with a random name and served only
    through the permission-checked photo view."""
    volunteer = volunteer_for(actor, for_update=True)
    size = getattr(upload, "size", None)
    if size is None or size > PHOTO_MAX_BYTES:
        raise DomainError("invalid", _("照片不能超过2MB。"), fields={"photo": [_("照片不能超过2MB。")]})
    data = upload.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise DomainError("invalid", _("照片不能超过2MB。"), fields={"photo": [_("照片不能超过2MB。")]})
    kind = _sniff_image(data[:16])
    bad = DomainError("invalid", _("请上传JPG或PNG格式的照片。"), fields={"photo": [_("请上传JPG或PNG格式的照片。")]})
    if kind is None:
        raise bad
    try:
        data = _strip_jpeg_metadata(data) if kind == "jpg" else _strip_png_metadata(data)
    except ValueError:
        raise bad from None
    old = volunteer.photo.name if volunteer.photo else ""
    name = default_storage.save(f"volunteers/photos/{uuid.uuid4().hex}.{kind}", ContentFile(data))
    volunteer.photo = name
    volunteer.updated_at = timezone.now()
    volunteer.save(update_fields=["photo", "updated_at"])
    # Files are not transactional: the old file goes only once the new name is committed.
    transaction.on_commit(lambda: old and default_storage.delete(old))
    return volunteer


# --- correction requests (VOL-6, PIPL 46) -------------------------------------------------


def _validate_correction(field: str, data: dict[str, object]) -> tuple[str, str]:
    """(plaintext value to seal, masked display) or DomainError."""
    F = ProfileCorrectionRequest.Field
    if field == F.NAME:
        value, err = clean_person_name(data.get("name"))
        if err:
            raise DomainError("invalid", err, fields={"name": [err]})
        return value, value
    if field == F.DOCUMENT:
        try:
            doc = documents.document_parse(str(data.get("id_type") or ""), str(data.get("id_number") or "")[:64])
        except DomainError as exc:
            raise DomainError("invalid", exc.message, fields=exc.fields or {"id_number": [exc.message]}) from None
        return (
            f"{doc.id_type}:{doc.normalized}",
            f"{documents.id_type_label(doc.id_type)} {documents.document_mask(doc.id_type, doc.normalized)}",
        )
    if field == F.GENDER:
        value = str(data.get("gender") or "")
        if value not in SELECTABLE_GENDERS:
            raise DomainError("invalid", _("请选择性别。"), fields={"gender": [_("请选择性别。")]})
        return value, code_tables.label("gender", value)
    if field == F.BIRTH_DATE:
        value, err = clean_date(data.get("birth_date"), label=_("出生日期"))
        if err or value is None:
            msg = err or _("请填写出生日期。")
            raise DomainError("invalid", msg, fields={"birth_date": [msg]})
        return value.isoformat(), value.isoformat()
    raise DomainError("invalid", _("请选择要更正的项目。"), fields={"field": [_("请选择要更正的项目。")]})


@transaction.atomic
def correction_request_create(
    *,
    actor,
    field: str,
    reason: str,
    name: str | None = None,
    id_type: str | None = None,
    id_number: str | None = None,
    gender: str | None = None,
    birth_date: dt.date | str | None = None,
) -> ProfileCorrectionRequest:
    """The person asks for a correction of ``field`` (``ProfileCorrectionRequest.Field``), a field
    they cannot edit, giving the corrected value in the argument(s) of that name (a document: its
    type and number). The requested value is sealed (a document number never lands in plaintext);
    one pending request per field."""
    volunteer = volunteer_for(actor, for_update=True)
    requested = {"name": name, "id_type": id_type, "id_number": id_number, "gender": gender, "birth_date": birth_date}
    value, masked = _validate_correction(field, requested)
    reason, err = clean_text(reason, label=_("更正说明"), max_length=500, required=True, allow_newlines=True)
    if err:
        raise DomainError("invalid", err, fields={"reason": [err]})
    if volunteer.correction_requests.filter(field=field, status="pending").exists():
        raise DomainError("pending_exists", _("该项目已有待处理的更正申请，请等待处理结果。"), status=409)
    try:
        with transaction.atomic():
            return ProfileCorrectionRequest.objects.create(
                volunteer=volunteer,
                field=field,
                requested_sealed=crypto.seal(value, purpose=CORRECTION_PURPOSE),
                requested_masked=masked[:60],
                reason=reason,
            )
    except IntegrityError:
        raise DomainError("pending_exists", _("该项目已有待处理的更正申请，请等待处理结果。"), status=409) from None


@transaction.atomic
def correction_request_cancel(*, actor, request_id: int) -> ProfileCorrectionRequest:
    volunteer = volunteer_for(actor)
    req = volunteer.correction_requests.select_for_update().filter(pk=request_id, status="pending").first()
    if req is None:
        from zhiyuan.core.errors import NotFound

        raise NotFound()
    req.status = ProfileCorrectionRequest.Status.CANCELLED
    req.handled_at = timezone.now()
    req.save(update_fields=["status", "handled_at"])
    return req


@transaction.atomic
def correction_request_resolve(*, actor, request_id: int, approve: bool, response: str = "", request=None):
    """A scoped manager approves (the value is applied) or rejects (a response is required) a
    correction request. Audited as ``volunteer.correction_resolve``. A corrected document is
    re-validated, re-sealed and re-indexed; a document already registered to someone else is
    refused without saying whose."""
    from zhiyuan.core.errors import NotFound
    from zhiyuan.volunteers.minors import today_shanghai

    req = ProfileCorrectionRequest.objects.select_related("volunteer").filter(pk=request_id).first()
    if req is None:
        raise NotFound()
    volunteer = volunteer_get_for_manage(actor, req.volunteer_id, for_update=True)
    req = ProfileCorrectionRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != ProfileCorrectionRequest.Status.PENDING:
        raise DomainError("already_handled", _("该申请已处理。"), status=409)
    response, err = clean_text(response, label=_("处理意见"), max_length=500, required=not approve, allow_newlines=True)
    if err:
        raise DomainError("invalid", err, fields={"response": [err]})
    changed = []
    if approve:
        value = crypto.unseal(req.requested_sealed, purpose=CORRECTION_PURPOSE)
        F = ProfileCorrectionRequest.Field
        if req.field == F.NAME:
            volunteer.name = value
            changed = ["name"]
            volunteer.user.display_name = value
            volunteer.user.save(update_fields=["display_name"])
        elif req.field == F.DOCUMENT:
            id_type, number = value.split(":", 1)
            doc = documents.document_parse(id_type, number)
            sealed, index, masked = documents.document_protect(doc.id_type, doc.normalized)
            others = Volunteer.objects.exclude(pk=volunteer.pk)
            if others.filter(id_number_index__in=documents.document_indexes(doc.id_type, doc.normalized)).exists():
                raise DomainError("duplicate", _("该证件号码已被其他志愿者注册，不能更正为此号码。"), status=409)
            volunteer.id_type, volunteer.id_number_sealed = doc.id_type, sealed
            volunteer.id_number_index, volunteer.id_number_masked = index, masked
            changed = ["id_type", "id_number_sealed", "id_number_index", "id_number_masked"]
            if getattr(doc, "gender_code", None) and doc.gender_code != "0":
                volunteer.gender = doc.gender_code
                changed.append("gender")
            if getattr(doc, "birth_date", None):
                volunteer.birth_date = doc.birth_date
                changed.append("birth_date")
        elif req.field == F.GENDER:
            volunteer.gender = value
            changed = ["gender"]
        elif req.field == F.BIRTH_DATE:
            import datetime as dt

            birth = dt.date.fromisoformat(value)
            if birth > today_shanghai():
                raise DomainError("invalid", _("出生日期不能晚于今天。"))
            volunteer.birth_date = birth
            changed = ["birth_date"]
        volunteer.updated_at = timezone.now()
        volunteer.save(update_fields=[*changed, "updated_at"])
    req.status = ProfileCorrectionRequest.Status.APPROVED if approve else ProfileCorrectionRequest.Status.REJECTED
    req.handled_by = actor
    req.handled_at = timezone.now()
    req.response = response
    req.save(update_fields=["status", "handled_by", "handled_at", "response"])
    audit_record(
        actor=actor, action="volunteer.correction_resolve", obj=volunteer, request=request,
        detail={"request": req.pk, "field": req.field, "approved": approve, "changed": changed},
    )  # fmt: skip
    return req
