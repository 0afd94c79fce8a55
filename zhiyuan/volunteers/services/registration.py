"""Registration (SPEC VOL-1/2/3/5/7) — one person or a batch, through the same checks.

Input: a ``RegistrationInput``, which the form, the API and the Excel import all build:

===================  ===============================================================
``name``             real name as on the document (2–50 Han/Latin characters, ``·``)
``id_type``          document type code (``idcards.IdType``; ``111`` resident ID …)
``id_number``        document number (validated by ``idcards.parse_document``)
``gender``           ``1``/``2``/``9`` — only when the document does not encode it
``birth_date``       date or ``YYYY-MM-DD`` — only when the document does not encode it
``region_code``      12-digit residence region: a town, or a village where villages exist
``mobile``           11-digit mainland mobile (the login)
``password``         required for self-registration; imports may omit it (no usable
                     password until the person resets it)
``email``            optional
``accept_privacy``   consent to the current privacy notice (``privacy_version`` optional,
                     must name the current version when given)
``accept_oath``      acceptance of the volunteer oath 志愿者誓词
``guardian_name`` ``guardian_relation`` ``guardian_mobile`` ``guardian_consent``
                     required when the person is under 18 on the day (Asia/Shanghai)
===================  ===============================================================

Modes: ``self`` (a visitor on the registration page or API), ``assisted`` (a manager registers
someone in their region), ``import`` (bulk; the organization attests that the privacy notice,
oath and guardian consent were signed on paper, so those flags default to true).
"""

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.models import User
from zhiyuan.core.audit import audit_record, client_ip
from zhiyuan.core.errors import DomainError, PermissionDenied
from zhiyuan.regions.models import Level, Region
from zhiyuan.regions.selectors import address_codes_cached
from zhiyuan.volunteers import documents, minors
from zhiyuan.volunteers.codes import SELECTABLE_GENDERS
from zhiyuan.volunteers.models import (
    ConsentRecord,
    GuardianConsent,
    Volunteer,
    VolunteerStatusChange,
)
from zhiyuan.volunteers.numbers import allocate_volunteer_numbers
from zhiyuan.volunteers.permissions import is_volunteer_manager, region_manageable, require_importer
from zhiyuan.volunteers.selectors import privacy_notice_current
from zhiyuan.volunteers.tallies import tally_created
from zhiyuan.volunteers.texts import GUARDIAN_CONSENT_VERSION, OATH_VERSION
from zhiyuan.volunteers.validation import as_bool, clean_date, clean_email, clean_mobile, clean_person_name

MODES = ("self", "assisted", "import")
MAX_BATCH = 5000

MSG_DUPLICATE_DOCUMENT = _("该证件号码已注册志愿者。如是本人注册，请直接登录；如有疑问请联系所在地志愿服务管理部门。")
MSG_DUPLICATE_MOBILE = _("该手机号已注册，请直接登录或更换手机号。")


@dataclass(frozen=True, kw_only=True)
class RegistrationInput:
    """One registration as submitted (the fields are described above). The values are raw, as
    typed: ``registration_validate`` checks and normalizes them the same way for every caller.
    ``None`` is "not given"; an import's consent flags then default to true (signed on paper)."""

    name: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    gender: str | None = None
    birth_date: dt.date | str | None = None
    region_code: str | None = None
    mobile: str | None = None
    password: str | None = None
    email: str | None = None
    accept_privacy: bool | str | None = None
    privacy_version: str | None = None
    accept_oath: bool | str | None = None
    guardian_name: str | None = None
    guardian_relation: str | None = None
    guardian_mobile: str | None = None
    guardian_consent: bool | str | None = None


@dataclass
class RegistrationResult:
    """One row of a batch: the new volunteer, or the errors per field (Chinese messages)."""

    row: int
    volunteer: Volunteer | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    # The validated values of a row without errors (plaintext document number: memory only).
    cleaned: dict | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.volunteer is not None


# --- validation ---------------------------------------------------------------------------


def _add(errors: dict, name: str, message) -> None:
    errors.setdefault(name, []).append(str(message))


def _consented(value, *, default: bool) -> bool:
    return as_bool(default if value is None else value)


def _validate_fields(data: RegistrationInput, *, mode: str, today: dt.date, notice, existing_user) -> tuple[dict, dict]:
    """Checks that need no database (except through ``parse_document``'s code tables)."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    defaults = mode == "import"

    name, err = clean_person_name(data.name)
    if err:
        _add(errors, "name", err)
    out["name"] = name

    id_type = str(data.id_type or "").strip()
    number = str(data.id_number or "")
    if len(number) > 64:
        _add(errors, "id_number", _("证件号码过长。"))
    elif not id_type:
        _add(errors, "id_type", _("请选择证件类型。"))
    elif not number.strip():
        _add(errors, "id_number", _("请填写证件号码。"))
    else:
        try:
            doc = documents.document_parse(id_type, number)
        except DomainError as exc:
            for key, msgs in (exc.fields or {"id_number": [exc.message]}).items():
                for m in msgs if isinstance(msgs, list | tuple) else [msgs]:
                    _add(errors, key if key in ("id_type", "id_number") else "id_number", m)
        else:
            out["document"] = doc
            out["id_type"] = doc.id_type
            out["id_number"] = doc.normalized

    doc = out.get("document")
    gender = getattr(doc, "gender_code", None) if doc else None
    if not gender or gender == "0":
        gender = str(data.gender or "").strip()
        if doc and gender not in SELECTABLE_GENDERS:
            _add(errors, "gender", _("该证件号码不含性别信息，请选择性别。"))
    out["gender"] = gender

    birth = getattr(doc, "birth_date", None) if doc else None
    if birth is None:
        birth, err = clean_date(data.birth_date, label=_("出生日期"))
        if err:
            _add(errors, "birth_date", err)
        elif birth is None and doc:
            _add(errors, "birth_date", _("该证件号码不含出生日期，请填写出生日期。"))
    if birth is not None:
        if birth > today:
            _add(errors, "birth_date", _("出生日期不能晚于今天。"))
        elif minors.age_on(birth, today) > 120:
            _add(errors, "birth_date", _("出生日期不正确。"))
    out["birth_date"] = birth

    out["region_code"] = str(data.region_code or "").strip()
    if not out["region_code"]:
        _add(errors, "region_code", _("请选择居住地所在的街道/乡镇及社区/村。"))
    elif len(out["region_code"]) != 12 or not out["region_code"].isascii() or not out["region_code"].isdigit():
        _add(errors, "region_code", _("请输入12位区划代码。"))

    if existing_user is None:
        mobile, err = clean_mobile(data.mobile)
        if err:
            _add(errors, "mobile", err)
        out["mobile"] = mobile
        password = data.password or ""
        if not isinstance(password, str) or len(password) > 128:
            _add(errors, "password", _("密码不能超过128个字符。"))
            password = ""
        elif password:
            try:
                password_validation.validate_password(password, User(mobile=mobile, display_name=name))
            except ValidationError as exc:
                for m in exc.messages:
                    _add(errors, "password", m)
        elif mode == "self":
            _add(errors, "password", _("请设置登录密码。"))
        out["password"] = password or None
    else:
        out["mobile"] = existing_user.mobile
        out["password"] = None

    email, err = clean_email(data.email)
    if err:
        _add(errors, "email", err)
    out["email"] = email

    if notice is None:
        _add(errors, "accept_privacy", _("平台尚未发布隐私政策，暂不能注册。"))
    else:
        version = str(data.privacy_version or "").strip()
        if version and version != notice.version:
            _add(errors, "accept_privacy", _("隐私政策已更新，请阅读最新版本后重新确认。"))
        elif not _consented(data.accept_privacy, default=defaults):
            _add(errors, "accept_privacy", _("请阅读并同意《志愿者个人信息保护告知书》。"))
    out["notice"] = notice
    if not _consented(data.accept_oath, default=defaults):
        _add(errors, "accept_oath", _("请确认志愿者誓词。"))

    out["guardian"] = None
    if birth is not None and minors.is_minor_birth(birth, today):
        g_errors: dict[str, list[str]] = {}
        g_name, err = clean_person_name(data.guardian_name, label=_("监护人姓名"))
        if err:
            _add(g_errors, "guardian_name", err)
        relation = str(data.guardian_relation or "").strip()
        if relation not in GuardianConsent.Relation.values:
            _add(g_errors, "guardian_relation", _("请选择监护人与本人的关系。"))
        g_mobile, err = clean_mobile(data.guardian_mobile, label=_("监护人手机号"))
        if err:
            _add(g_errors, "guardian_mobile", err)
        if not _consented(data.guardian_consent, default=defaults):
            _add(g_errors, "guardian_consent", _("未满18周岁须经监护人同意后方可注册，请监护人确认同意。"))
        if g_errors:
            # One plain message first, so a person who did not expect the guardian fields
            # understands why they appeared.
            if minors.is_child_birth(birth, today):
                lead = _("未满14周岁的儿童注册须经监护人同意（《个人信息保护法》第三十一条），请填写监护人信息。")
            else:
                lead = _("未满18周岁的未成年人注册须经监护人同意，请填写监护人信息。")
            _add(errors, "guardian", lead)
            for k, v in g_errors.items():
                errors.setdefault(k, []).extend(v)
        out["guardian"] = {"name": g_name, "relation": relation, "mobile": g_mobile}
    return out, errors


def _check_against_database(rows: list[tuple[dict, dict]]) -> None:
    """Batch checks: region level, duplicates in the database and inside the batch."""
    codes = {c["region_code"] for c, e in rows if c.get("region_code") and "region_code" not in e}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "level"))
    with_children = set(Region.objects.filter(parent_id__in=codes).values_list("parent_id", flat=True).distinct())
    for cleaned, errors in rows:
        code = cleaned.get("region_code")
        if not code or "region_code" in errors:
            continue
        level = regions.get(code)
        if level is None:
            _add(errors, "region_code", _("该区划不存在。"))
        elif level < Level.TOWN:
            _add(errors, "region_code", _("请继续选择，至少选择到街道/乡镇。"))
        elif code in with_children:
            _add(errors, "region_code", _("请继续选择所在的社区/村。"))

    for cleaned, _errors in rows:
        if "id_number" in cleaned:
            cleaned["id_index"] = documents.document_index(cleaned["id_type"], cleaned["id_number"])
            # during a blind-index re-index a stored row may still hold the old key's index
            cleaned["id_indexes"] = documents.document_indexes(cleaned["id_type"], cleaned["id_number"])
    indexes = [i for c, _e in rows for i in c.get("id_indexes", ())]
    taken_any = set(Volunteer.objects.filter(id_number_index__in=indexes).values_list("id_number_index", flat=True))
    taken_idx = {c["id_index"] for c, _e in rows if taken_any.intersection(c.get("id_indexes", ()))}
    mobiles = [c["mobile"] for c, e in rows if c.get("mobile") and "mobile" not in e and not c.get("existing_user")]
    taken_mob = set(User.objects.filter(mobile__in=mobiles).values_list("mobile", flat=True))
    seen_idx: dict[str, int] = {}
    seen_mob: dict[str, int] = {}
    for pos, (cleaned, errors) in enumerate(rows, start=1):
        idx = cleaned.get("id_index")
        if idx:
            if idx in taken_idx:
                _add(errors, "id_number", MSG_DUPLICATE_DOCUMENT)
            elif idx in seen_idx:
                _add(errors, "id_number", _("与本批第%(n)s条的证件号码重复。") % {"n": seen_idx[idx]})
            else:
                seen_idx[idx] = pos
        mob = cleaned.get("mobile")
        if mob and not cleaned.get("existing_user") and "mobile" not in errors:
            if mob in taken_mob:
                _add(errors, "mobile", MSG_DUPLICATE_MOBILE)
            elif mob in seen_mob:
                _add(errors, "mobile", _("与本批第%(n)s条的手机号重复。") % {"n": seen_mob[mob]})
            else:
                seen_mob[mob] = pos


def _validate_rows(
    rows: list[RegistrationInput], *, mode: str, today: dt.date | None, existing_user=None
) -> list[tuple[dict, dict]]:
    if mode not in MODES:
        raise ValueError(f"unknown registration mode {mode!r}")
    today = today or minors.today_shanghai()
    notice = privacy_notice_current()
    checked = []
    # A batch checks every document's address code against one in-memory set of region codes
    # (one query per batch); a single registration keeps the one small EXISTS query.
    with address_codes_cached() if len(rows) > 1 else nullcontext():
        for data in rows:
            if not isinstance(data, RegistrationInput):
                checked.append(({}, {"__all__": [str(_("数据格式错误。"))]}))
                continue
            cleaned, errors = _validate_fields(data, mode=mode, today=today, notice=notice, existing_user=existing_user)
            cleaned["existing_user"] = existing_user
            checked.append((cleaned, errors))
    _check_against_database(checked)
    return checked


def registration_validate(
    *, registration: RegistrationInput, mode: str = "self", today: dt.date | None = None, existing_user=None
) -> dict:
    """Validate one registration and return the cleaned values, or raise ``DomainError``
    (code ``invalid``) whose ``fields`` hold one or more Chinese messages per field.

    Rules: VOL-1 document validity (``idcards.parse_document``; gender and birth date derived
    where the number encodes them); VOL-2 duplicate documents refused through the blind index,
    without saying whose; VOL-5 under 18 needs a guardian's consent (under 14: PIPL 31); VOL-6/7
    the current privacy notice and the oath accepted. Read-only: nothing is written.

    The cleaned dict holds ``name, id_type, id_number`` (normalized, plaintext — keep it in
    memory only), ``id_index, gender, birth_date, region_code, mobile, password, email,
    notice, guardian`` (None or ``{name, relation, mobile}``)."""
    [(cleaned, errors)] = _validate_rows([registration], mode=mode, today=today, existing_user=existing_user)
    if errors:
        raise DomainError("invalid", _("注册信息有误，请按提示修改后重试。"), fields=errors)
    return cleaned


# --- writing ------------------------------------------------------------------------------


def _source_for(mode: str) -> str:
    return {
        "self": ConsentRecord.Source.SELF,
        "assisted": ConsentRecord.Source.ASSISTED,
        "import": ConsentRecord.Source.IMPORT,
    }[mode]


def _insert(cleaned_rows: list[dict], *, actor, mode: str, ip: str | None) -> list[Volunteer]:
    """Insert users (where needed), volunteers, consents, guardian consents and the first
    status entry for already validated rows. Runs inside the caller's transaction."""
    now = timezone.now()
    numbers = allocate_volunteer_numbers(len(cleaned_rows))
    new_users = []
    for c in cleaned_rows:
        if c.get("existing_user") is None:
            u = User(mobile=c["mobile"], display_name=c["name"], email=c["email"] or "", date_joined=now)
            u.set_password(c["password"])  # None -> unusable password (imports)
            new_users.append(u)
    if len(new_users) == 1:
        new_users[0].save(force_insert=True)
    elif new_users:
        User.objects.bulk_create(new_users)
    users = iter(new_users)
    volunteers = []
    for c, number in zip(cleaned_rows, numbers, strict=True):
        user = c["existing_user"] or next(users)
        if c["existing_user"] is not None:
            changed = []
            if not user.display_name:
                user.display_name = c["name"]
                changed.append("display_name")
            if c["email"] and not user.email:
                user.email = c["email"]
                changed.append("email")
            if changed:
                user.save(update_fields=changed)
        sealed, index, masked = documents.document_protect(c["id_type"], c["id_number"])
        volunteers.append(
            Volunteer(
                user=user,
                volunteer_no=number,
                name=c["name"],
                id_type=c["id_type"],
                id_number_sealed=sealed,
                id_number_index=index,
                id_number_masked=masked,
                gender=c["gender"] or "0",
                birth_date=c["birth_date"],
                region_code=c["region_code"],
                registered_at=now,
                updated_at=now,
            )
        )
    if len(volunteers) == 1:
        volunteers[0].save(force_insert=True)
    else:
        Volunteer.objects.bulk_create(volunteers)
    tally_created(volunteers)

    source = _source_for(mode)
    consents, guardian_pairs = [], []
    for c, v in zip(cleaned_rows, volunteers, strict=True):
        notice = c["notice"]
        consents.append(
            ConsentRecord(
                volunteer=v, kind="privacy", notice=notice, version=notice.version, source=source, accepted_at=now, ip=ip
            )
        )
        consents.append(ConsentRecord(volunteer=v, kind="oath", version=OATH_VERSION, source=source, accepted_at=now, ip=ip))
        if c["guardian"]:
            g = ConsentRecord(
                volunteer=v,
                kind="guardian",
                notice=notice,
                version=GUARDIAN_CONSENT_VERSION,
                source=source,
                accepted_at=now,
                ip=ip,
            )
            consents.append(g)
            guardian_pairs.append((v, g, c["guardian"]))
    ConsentRecord.objects.bulk_create(consents)
    GuardianConsent.objects.bulk_create(
        [
            GuardianConsent(
                volunteer=v,
                consent=g,
                guardian_name=gd["name"],
                relation=gd["relation"],
                guardian_mobile=gd["mobile"],
                consented_at=now,
            )
            for v, g, gd in guardian_pairs
        ]
    )
    actor_ref = actor if getattr(actor, "pk", None) else None
    VolunteerStatusChange.objects.bulk_create(
        [
            VolunteerStatusChange(
                volunteer=v, from_status="", to_status=Volunteer.Status.ACTIVE, reason=str(_("注册")), actor=actor_ref, at=now
            )
            for v in volunteers
        ]
    )
    return volunteers


def _integrity_error(cleaned_rows: list[dict]) -> DomainError:
    """A concurrent registration won the race for a document or mobile: same messages as the
    ordinary duplicate check."""
    idx = [i for c in cleaned_rows for i in c.get("id_indexes", [c["id_index"]])]
    if Volunteer.objects.filter(id_number_index__in=idx).exists():
        return DomainError("duplicate", MSG_DUPLICATE_DOCUMENT, fields={"id_number": [MSG_DUPLICATE_DOCUMENT]}, status=409)
    return DomainError("duplicate", MSG_DUPLICATE_MOBILE, fields={"mobile": [MSG_DUPLICATE_MOBILE]}, status=409)


def _mode_for(actor, user) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "self"
    if user is not None and user.pk == actor.pk:
        return "self"
    return "assisted"


def volunteer_register(
    *, actor, registration: RegistrationInput, request=None, user=None, today: dt.date | None = None
) -> Volunteer:
    """Register one volunteer: the login (``User``: mobile + password) and the ``Volunteer``
    in one transaction — nothing is half-saved.

    * ``actor`` None (a visitor) → self-registration; ``user`` set and equal to ``actor`` → a
      signed-in person without a volunteer profile registers themself (no mobile/password).
    * ``actor`` a manager → assisted registration of someone living in the actor's region
      (audited as ``volunteer.register``).

    The document number is sealed (AES-GCM) and blind-indexed, never stored in plaintext
    (VOL-2); the volunteer number comes from the allocator (VOL-3); privacy, oath and (for
    minors) guardian consents are recorded with the notice version and client IP (VOL-5/6/7)."""
    mode = _mode_for(actor, user)
    if user is not None and hasattr(user, "volunteer"):
        raise DomainError("already_registered", _("您已注册为志愿者。"), status=409)
    if mode == "assisted" and (user is not None or not is_volunteer_manager(actor)):
        raise PermissionDenied(_("只有区域管理员或平台管理员可以代为登记志愿者。"))
    cleaned = registration_validate(registration=registration, mode=mode, today=today, existing_user=user)
    if mode == "assisted" and not region_manageable(actor, cleaned["region_code"]):
        raise PermissionDenied(_("只能为本人管辖区域内的居民登记志愿者。"))
    ip = client_ip(request)
    try:
        with transaction.atomic():
            [volunteer] = _insert([cleaned], actor=actor, mode=mode, ip=ip)
            if mode == "assisted":
                audit_record(actor=actor, action="volunteer.register", obj=volunteer, request=request)
    except IntegrityError:
        raise _integrity_error([cleaned]) from None
    return volunteer


def volunteer_register_many(
    *,
    actor,
    rows: list[RegistrationInput],
    request=None,
    ip: str | None = None,
    today: dt.date | None = None,
    mode: str = "import",
    commit: bool = True,
) -> list[RegistrationResult]:
    """Bulk registration (VOL-10 imports): every row is validated with the same rules as
    :func:`volunteer_register` (plus duplicates inside the batch), then all valid rows are
    inserted together with bulk statements in one transaction; invalid rows are reported and
    skipped. Returns one :class:`RegistrationResult` per input row, in order.

    ``actor`` must be a platform admin or a region manager; a row whose residence lies outside
    the actor's region is refused (field ``region_code``). Consents are recorded with source
    ``import`` (signed on paper; the flags default to true). Rows without ``password`` get an
    unusable password. One audit entry ``volunteer.import`` records the count.

    ``commit=False`` only validates (nothing is written; ``cleaned`` holds each valid row's
    values): the check pass of an import. ``ip`` stands in for ``request`` in a background
    task (the uploader's address, for the consents and the audit entry).

    Batches are limited to ``MAX_BATCH`` rows; callers split larger files."""
    require_importer(actor)
    if len(rows) > MAX_BATCH:
        raise DomainError("too_many_rows", _("每批最多导入%(n)s条。") % {"n": MAX_BATCH})
    checked = _validate_rows(rows, mode=mode, today=today)
    results = []
    valid = []
    for i, (cleaned, errors) in enumerate(checked, start=1):
        if not errors and not region_manageable(actor, cleaned["region_code"]):
            _add(errors, "region_code", _("该区划不在您的管辖范围内。"))
        results.append(RegistrationResult(row=i, errors=errors, cleaned=None if errors else cleaned))
        if not errors:
            valid.append((cleaned, results[-1]))
    if not valid or not commit:
        return results
    ip = ip or client_ip(request)
    try:
        with transaction.atomic():
            created = _insert([c for c, _r in valid], actor=actor, mode=mode, ip=ip)
            audit_record(
                actor=actor, action="volunteer.import", object_type="volunteers.volunteer", request=request, ip=ip,
                detail={"created": len(created), "rejected": len(rows) - len(created)},
            )  # fmt: skip
    except IntegrityError:
        raise _integrity_error([c for c, _r in valid]) from None
    for (_c, result), volunteer in zip(valid, created, strict=True):
        result.volunteer = volunteer
    return results
