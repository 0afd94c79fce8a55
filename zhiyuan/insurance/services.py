"""Writes of the insurance app (FUN-4): policies, their documents and their insured lists.
Keyword-only ``<entity>_<verb>(*, actor, ...)``, atomic, ``DomainError``; audited."""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.accounts.scopes import MANAGE, can, get_for, region_in_scope
from zhiyuan.core import filecrypt
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError, NotFound, PermissionDenied
from zhiyuan.core.text import has_control_chars, text_error
from zhiyuan.insurance import imports
from zhiyuan.insurance.models import DOCUMENT_PURPOSE, Cover, InsurancePolicy, InsuredPerson, Kind, Status
from zhiyuan.regions.codes import is_region_code, normalize_code

INVALID = gettext_lazy("提交的数据有误，请检查后重试。")
DOCUMENT_TYPES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _invalid(fields: dict) -> DomainError:
    return DomainError("invalid", INVALID, fields=fields, status=422)


def _date(value, name: str, errors: dict):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        errors[name] = [_("请填写日期（YYYY-MM-DD）。")]
        return None


def _clean(*, actor, data: dict) -> dict:
    errors: dict[str, list] = {}
    out: dict = {}
    for name, label, limit in (("insurer", _("保险公司"), 100), ("policy_no", _("保单号"), 60), ("note", "", 200)):
        text = " ".join(str(data.get(name) or "").split())
        problem = text_error(text, limit=limit)
        if not text and label:
            errors[name] = [_("请填写%(label)s。") % {"label": label}]
        elif problem:
            errors[name] = [problem]
        out[name] = text
    kind = data.get("kind") or Kind.ACCIDENT
    if kind not in Kind.values:
        errors["kind"] = [_("请选择险种。")]
    cover = data.get("cover") or ""
    if cover not in Cover.values:
        errors["cover"] = [_("请选择保障范围。")]
    out["kind"], out["cover"] = kind, cover
    out["starts_on"] = _date(data.get("starts_on"), "starts_on", errors)
    out["ends_on"] = _date(data.get("ends_on"), "ends_on", errors)
    if out["starts_on"] and out["ends_on"] and out["ends_on"] < out["starts_on"]:
        errors["ends_on"] = [_("终止日期不能早于起保日期。")]
    try:
        amount = Decimal(str(data.get("sum_insured") if data.get("sum_insured") is not None else ""))
        if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
            raise InvalidOperation
        out["sum_insured"] = amount.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["sum_insured"] = [_("保险金额须为大于0的金额（元）。")]
    holder_id = data.get("holder_id")
    out["holder"] = None
    if holder_id:
        from zhiyuan.organizations.models import Organization

        try:
            org = get_for(actor, Organization, holder_id, MANAGE)
        except (NotFound, PermissionDenied):
            errors["holder_id"] = [_("组织不存在或无权为其登记保单。")]
        else:
            if not org.is_active:
                errors["holder_id"] = [_("只能为正常状态的组织登记保单。")]
            out["holder"] = org
            out["region_code"] = org.region_code
    else:
        code = str(data.get("region_code") or "")
        try:
            code = normalize_code(code)
        except ValueError:
            code = ""
        if not code or not is_region_code(code):
            errors["region_code"] = [_("平台统保保单须选择所覆盖的区划。")]
        elif not region_in_scope(actor, code):
            errors["region_code"] = [_("只能为您管辖范围内的区划登记统保保单。")]
        out["region_code"] = code  # a platform blanket policy covers everyone living there
    if errors:
        raise _invalid(errors)
    return out


def policy_create(*, actor, data: dict, request=None) -> InsurancePolicy:
    """Register a policy: an organization's admins for their organization, region managers for
    organizations (or a platform policy) in their region, platform admins anywhere."""
    values = _clean(actor=actor, data=data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                policy = InsurancePolicy.objects.create(created_by=actor, **values)
        except IntegrityError:
            raise _invalid({"policy_no": [_("该保险公司的此保单号已登记。")]}) from None
        audit_record(actor=actor, action="insurance.policy.create", obj=policy, request=request, detail=_detail(policy))
    return policy


def _detail(policy: InsurancePolicy) -> dict:
    return {
        "insurer": policy.insurer,
        "policy_no": policy.policy_no,
        "holder_id": policy.holder_id,
        "kind": policy.kind,
        "cover": policy.cover,
        "starts_on": policy.starts_on.isoformat(),
        "ends_on": policy.ends_on.isoformat(),
        "sum_insured": str(policy.sum_insured),
    }


def _require_manage(actor, policy: InsurancePolicy) -> None:
    if not can(actor, policy, MANAGE):
        raise PermissionDenied(_("只有投保组织的管理员和所属区域的管理员可以修改保单。"))


def policy_cancel(*, actor, policy: InsurancePolicy, on: dt.date, reason: str = "", request=None) -> InsurancePolicy:
    """退保: the policy covers up to the day before ``on``."""
    _require_manage(actor, policy)
    if policy.status == Status.CANCELLED:
        raise DomainError("conflict", _("该保单已退保。"), status=409)
    if on < policy.starts_on:
        raise _invalid({"on": [_("退保日期不能早于起保日期。")]})
    reason = " ".join(str(reason or "").split())
    problem = text_error(reason, limit=200)
    if problem:
        raise _invalid({"reason": [problem]})
    with transaction.atomic():
        InsurancePolicy.objects.filter(pk=policy.pk).update(status=Status.CANCELLED, cancelled_on=on)
        policy.status, policy.cancelled_on = Status.CANCELLED, on
        audit_record(
            actor=actor,
            action="insurance.policy.cancel",
            obj=policy,
            request=request,
            detail={"policy_no": policy.policy_no, "on": on.isoformat(), "reason": reason[:200]},
        )
    return policy


# --- the policy document --------------------------------------------------------------------------


def document_dir() -> Path:
    path = Path(settings.ZHIYUAN_PRIVATE_DIR) / "insurance"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def policy_document_upload(*, actor, policy: InsurancePolicy, upload, request=None) -> InsurancePolicy:
    """Store the policy document (PDF, PNG or JPEG, at most ``ZHIYUAN_INSURANCE_DOCUMENT_MAX_MB``)
    encrypted under ``var/private/insurance/``; replaces (and deletes) the previous one."""
    _require_manage(actor, policy)
    limit = settings.ZHIYUAN_INSURANCE_DOCUMENT_MAX_MB << 20
    if upload is None or not getattr(upload, "size", 0):
        raise _invalid({"file": [_("请选择保单文件。")]})
    if upload.size > limit:
        raise DomainError(
            "too_large", _("保单文件不能超过%(n)sMB。") % {"n": settings.ZHIYUAN_INSURANCE_DOCUMENT_MAX_MB}, status=413
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    content_type = next((t for magic, t in DOCUMENT_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        raise _invalid({"file": [_("保单文件须为PDF、PNG或JPEG格式。")]})
    name = Path(str(getattr(upload, "name", "") or "policy")).name[-100:]
    if has_control_chars(name):
        name = "policy"
    path = document_dir() / f"{uuid.uuid4().hex}.bin"
    key = filecrypt.encrypt_file(upload, path, purpose=DOCUMENT_PURPOSE, max_bytes=limit)
    old = policy.document_path
    try:
        with transaction.atomic():
            InsurancePolicy.objects.filter(pk=policy.pk).update(
                document_path=path.name, document_key_sealed=key, document_name=name, document_type=content_type
            )
            audit_record(
                actor=actor,
                action="insurance.policy.document_upload",
                obj=policy,
                request=request,
                detail={"policy_no": policy.policy_no, "bytes": upload.size, "type": content_type},
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if old:
        transaction.on_commit(lambda: (document_dir() / old).unlink(missing_ok=True))
    policy.document_path, policy.document_key_sealed = path.name, key
    policy.document_name, policy.document_type = name, content_type
    return policy


def policy_document_read(*, actor, policy: InsurancePolicy, request=None) -> bytes:
    """The decrypted document for a user who may see the policy (the caller fetched it with
    ``selectors.policy_get``); audited. NotFound when there is none."""
    import io

    if not policy.document_path:
        raise NotFound(_("该保单尚未上传保单文件。"))
    buf = io.BytesIO()
    filecrypt.decrypt_file(
        document_dir() / Path(policy.document_path).name, buf, sealed_key=policy.document_key_sealed, purpose=DOCUMENT_PURPOSE
    )
    audit_record(
        actor=actor,
        action="insurance.policy.document_download",
        obj=policy,
        request=request,
        detail={"policy_no": policy.policy_no},
    )
    return buf.getvalue()


# --- the insured list -------------------------------------------------------------------------------


@dataclass
class InsuredImportReport:
    rows: int = 0
    matched: int = 0
    added: int = 0
    already: int = 0  # on the list before
    errors: list = field(default_factory=list)  # RowError (row, field, message): no cell values
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "matched": self.matched,
            "added": self.added,
            "already": self.already,
            "ok": self.ok,
            "file_errors": list(self.file_errors),
            "errors": [
                {"row": e.row, "field": e.field, "field_label": imports.field_label(e.field), "message": e.message}
                for e in self.errors
            ],
        }


def _match(rows: list) -> tuple[dict[int, object], list]:
    """Match each row to a registered volunteer by the blind index of its document number
    (every index key in the ring). Returns ({row number: volunteer}, RowErrors). Queries: one
    per 1,000 rows."""
    from zhiyuan.volunteers.documents import document_indexes, document_parse
    from zhiyuan.volunteers.models import Volunteer
    from zhiyuan.volunteers.names import person_name_clean

    errors = []
    wanted: dict[int, tuple[list[str], str]] = {}
    seen: dict[str, int] = {}
    for r in rows:
        for fld, msg in r.errors:
            errors.append(imports.RowError(r.row, fld, msg))
        if r.errors:
            continue
        name, problem = person_name_clean(r.name, label=_("姓名"))
        if problem:
            errors.append(imports.RowError(r.row, "name", problem))
            continue
        try:
            parsed = document_parse(r.id_type, r.id_number)
        except DomainError as exc:
            msgs = next(iter(exc.fields.values()), [exc.message])
            errors.append(imports.RowError(r.row, "id_number" if "id_number" in exc.fields else "id_type", str(msgs[0])))
            continue
        key = f"{parsed.id_type}:{parsed.normalized}"
        if key in seen:
            errors.append(imports.RowError(r.row, "id_number", _("与第%(n)s行的证件号码重复。") % {"n": seen[key]}))
            continue
        seen[key] = r.row
        wanted[r.row] = (document_indexes(parsed.id_type, parsed.normalized), name)
    by_index: dict[str, object] = {}
    all_indexes = [i for idx, _n in wanted.values() for i in idx]
    for start in range(0, len(all_indexes), 1000):
        for v in Volunteer.objects.filter(id_number_index__in=all_indexes[start : start + 1000]).only(
            "id", "name", "id_number_index", "region_code", "restricted_at", "status"
        ):
            by_index[v.id_number_index] = v
    matched = {}
    for row, (indexes, name) in wanted.items():
        v = next((by_index[i] for i in indexes if i in by_index), None)
        if v is None:
            errors.append(imports.RowError(row, "id_number", _("未找到使用该证件号码注册的志愿者。")))
        elif v.name != name:
            errors.append(imports.RowError(row, "name", _("姓名与该证件号码登记的志愿者姓名不一致。")))
        elif v.is_restricted:
            errors.append(imports.RowError(row, "id_number", _("该志愿者已撤回个人信息处理同意，不能加入名单。")))
        else:
            matched[row] = v
    errors.sort(key=lambda e: e.row)
    return matched, errors


def insured_import(*, actor, policy: InsurancePolicy, upload, dry_run: bool = False, request=None) -> InsuredImportReport:
    """Import an insurer's list into ``policy`` (a ``listed`` or ``activity`` policy): every row
    must name a registered volunteer by document number (and the same name); all or nothing —
    one bad row and nothing is saved. People already on the list are counted, not added twice.
    Audited (counts only)."""
    _require_manage(actor, policy)
    if policy.cover == Cover.MEMBERS:
        raise DomainError("invalid", _("组织成员统保保单不需要被保险人名单。"), status=409)
    if policy.status != Status.ACTIVE:
        raise DomainError("conflict", _("已退保的保单不能导入名单。"), status=409)
    report = InsuredImportReport()
    limit = settings.ZHIYUAN_INSURANCE_IMPORT_MAX_MB << 20
    if upload is None or getattr(upload, "size", 0) > limit:
        report.file_errors.append(_("文件不能超过%(n)sMB。") % {"n": settings.ZHIYUAN_INSURANCE_IMPORT_MAX_MB})
    else:
        try:
            rows = imports.read_list(upload)
        except imports.FileRefused as exc:
            report.file_errors.append(exc.message)
        else:
            report.rows = len(rows)
            matched, report.errors = _match(rows)
            report.matched = len(matched)
            if report.ok and not dry_run:
                _insured_add(actor=actor, policy=policy, matched=matched, report=report)
    audit_record(
        actor=actor,
        action="insurance.insured.import",
        obj=policy,
        request=request,
        result="ok" if report.ok else "failed",
        detail={
            "policy_no": policy.policy_no,
            "dry_run": dry_run,
            "rows": report.rows,
            "matched": report.matched,
            "added": report.added,
            "already": report.already,
            "invalid_rows": len({e.row for e in report.errors}),
            "file_errors": len(report.file_errors),
        },
    )
    return report


def _insured_add(*, actor, policy: InsurancePolicy, matched: dict, report: InsuredImportReport) -> None:
    with transaction.atomic():
        InsurancePolicy.objects.select_for_update().filter(pk=policy.pk).values_list("pk").first()
        ids = [v.pk for v in matched.values()]
        present = set(InsuredPerson.objects.filter(policy=policy, volunteer_id__in=ids).values_list("volunteer_id", flat=True))
        new = [
            InsuredPerson(policy=policy, volunteer=v, id_number_index=v.id_number_index, name=v.name, added_by=actor)
            for v in matched.values()
            if v.pk not in present
        ]
        InsuredPerson.objects.bulk_create(new, batch_size=1000)
        InsurancePolicy.objects.filter(pk=policy.pk).update(insured_count=F("insured_count") + len(new))
    report.added, report.already = len(new), len(present)
    policy.insured_count += len(new)


def insured_remove(*, actor, policy: InsurancePolicy, person_id: int, request=None) -> None:
    _require_manage(actor, policy)
    with transaction.atomic():
        person = InsuredPerson.objects.filter(policy=policy, pk=person_id).first()
        if person is None:
            raise NotFound()
        person.delete()
        InsurancePolicy.objects.filter(pk=policy.pk).update(insured_count=F("insured_count") - 1)
        audit_record(
            actor=actor,
            action="insurance.insured.remove",
            obj=policy,
            request=request,
            detail={"policy_no": policy.policy_no, "volunteer_id": person.volunteer_id},
        )


# --- expiry alerts (FUN-4) as notices -------------------------------------------------------------


def policy_alert_recipients(policy: InsurancePolicy) -> list:
    """Who is told that ``policy`` ends soon: the active admins of its holder organization (and of
    the holder's parent, which also manages it); for a platform policy, the region managers whose
    region contains the region it covers."""
    from zhiyuan.accounts.models import RoleAssignment, User
    from zhiyuan.accounts.roles import Role
    from zhiyuan.regions.codes import ancestor_codes

    if policy.holder_id:
        orgs = [i for i in (policy.holder_id, policy.holder.parent_id) if i]
        q = RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id__in=orgs, active=True)
    else:
        codes = [policy.region_code, *ancestor_codes(policy.region_code)]
        q = RoleAssignment.objects.filter(role=Role.REGION_MANAGER, region_code__in=codes, active=True)
    return list(User.objects.filter(pk__in=q.values("user_id"), is_active=True).order_by("pk"))


def policy_expiry_notify(*, policies) -> int:
    """Tell each policy's managers (``policy_alert_recipients``) that it ends soon: one notice per
    person, policy and end date (``dedupe_key``), so the daily ``insurance_expiry_alerts`` run
    repeats nothing and a renewed period (a new end date) is told again. Returns the notices
    written."""
    from django.urls import reverse
    from django.utils import translation

    from zhiyuan.core.notifications import notify

    written = 0
    with transaction.atomic():
        for p in policies:
            for user in policy_alert_recipients(p):
                with translation.override(user.language or settings.LANGUAGE_CODE):
                    title = _("保单 %(no)s 将于%(date)s到期") % {"no": p.policy_no, "date": p.ends_on.isoformat()}
                    body = _("%(holder)s在%(insurer)s投保的保单 %(no)s（被保险人 %(n)d 人）将于%(date)s到期，请及时续保。") % {
                        "holder": p.holder_name, "insurer": p.insurer, "no": p.policy_no, "n": p.insured_count,
                        "date": p.ends_on.isoformat(),
                    }  # fmt: skip
                    notice = notify(
                        user=user,
                        kind="insurance.policy.expiry",
                        title=title,
                        body=body,
                        url=reverse("insurance:detail", args=[p.pk]),
                        dedupe_key=f"insurance.expiry:{p.pk}:{p.ends_on.isoformat()}",
                    )
                written += notice is not None
    return written


def policy_expiry_alerts_run(now) -> int:
    """The periodic notice ``insurance.expiry`` (``manage.py notifications_remind``): policies in
    force ending within ``ZHIYUAN_INSURANCE_EXPIRY_ALERT_DAYS``; returns the notices written."""
    from django.utils import timezone

    from zhiyuan.insurance.selectors import policies_expiring

    return policy_expiry_notify(policies=list(policies_expiring(on=timezone.localdate(now))))
