"""Download all my data (SPEC VOL-6; PIPL 45 access, copy and portability) as JSON and Excel.

Only the signed-in person's own rows are read (through ``volunteer_for``); the document number
appears unmasked because it is the person's own. Each download is audited
(``volunteer.data_export``) without any of the data in the entry."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from zhiyuan.core.audit import audit_record
from zhiyuan.core.lists import excel_safe
from zhiyuan.volunteers import availability, code_tables, documents
from zhiyuan.volunteers.data_export import data_export_providers
from zhiyuan.volunteers.selectors import region_full_name, volunteer_for


def _iso(value):
    return value.isoformat() if value else None


def my_data(*, actor, request=None) -> dict:
    """Everything the platform holds about the person, as plain JSON-able data."""
    v = volunteer_for(actor)
    gender = code_tables.label("gender", v.gender)
    data = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "volunteer_no": v.volunteer_no,
            "name": v.name,
            "id_type": v.id_type,
            "id_type_label": documents.id_type_label(v.id_type),
            "id_number": documents.document_unseal(v.id_number_sealed),
            "gender": v.gender,
            "gender_label": str(gender),
            "birth_date": _iso(v.birth_date),
            "mobile": actor.mobile,
            "email": actor.email,
            "region_code": v.region_code,
            "region_name": region_full_name(v.region_code),
            "political_status": v.political_status,
            "political_status_label": code_tables.label("political_status", v.political_status),
            "education": v.education,
            "education_label": code_tables.label("education", v.education),
            "ethnicity": v.ethnicity,
            "ethnicity_label": code_tables.label("ethnicity", v.ethnicity),
            "home_lat": str(v.home_lat) if v.home_lat is not None else None,
            "home_lng": str(v.home_lng) if v.home_lng is not None else None,
            "availability": availability.keys_from_mask(v.availability),
            "availability_label": availability.describe(v.availability),
            "status": v.status,
            "status_label": str(v.get_status_display()),
            "registered_at": _iso(v.registered_at),
            "restricted_at": _iso(v.restricted_at),
            "has_photo": bool(v.photo),
        },
        "skills": [{"code": s.code, "label": code_tables.label("skill", s.code), "detail": s.detail} for s in v.skills.all()],
        "service_categories": [
            {"code": c.code, "label": code_tables.label("service_category", c.code)} for c in v.service_categories.all()
        ],
        "consents": [
            {
                "kind": c.kind,
                "kind_label": str(c.get_kind_display()),
                "version": c.version,
                "source": c.source,
                "accepted_at": _iso(c.accepted_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "ip": c.ip,
            }
            for c in v.consents.order_by("accepted_at", "id")
        ],
        "guardian_consents": [
            {
                "guardian_name": g.guardian_name,
                "relation": g.relation,
                "relation_label": str(g.get_relation_display()),
                "guardian_mobile": g.guardian_mobile,
                "consented_at": _iso(g.consented_at),
            }
            for g in v.guardian_consents.order_by("consented_at", "id")
        ],
        "status_history": [
            {
                "from": s.from_status,
                "to": s.to_status,
                "reason": s.reason,
                "at": _iso(s.at),
            }
            for s in v.status_changes.order_by("at", "id")
        ],
        "correction_requests": [
            {
                "field": r.field,
                "field_label": str(r.get_field_display()),
                "requested": r.requested_masked,
                "reason": r.reason,
                "status": r.status,
                "status_label": str(r.get_status_display()),
                "created_at": _iso(r.created_at),
                "handled_at": _iso(r.handled_at),
                "response": r.response,
            }
            for r in v.correction_requests.order_by("created_at", "id")
        ],
    }
    for provider in data_export_providers():  # sections of higher apps (organization memberships, ...)
        data[provider.key] = provider.rows(volunteer=v)
    audit_record(actor=actor, action="volunteer.data_export", obj=v, request=request)
    return data


SHEETS = [
    ("consents", gettext_lazy("同意记录")),
    ("guardian_consents", gettext_lazy("监护人同意")),
    ("status_history", gettext_lazy("状态变更")),
    ("correction_requests", gettext_lazy("更正申请")),
    ("skills", gettext_lazy("技能特长")),
    ("service_categories", gettext_lazy("服务意向")),
]


def my_data_xlsx(*, actor, request=None) -> bytes:
    """The same data as :func:`my_data`, one sheet per section."""
    from openpyxl import Workbook

    data = my_data(actor=actor, request=request)
    wb = Workbook()
    ws = wb.active
    ws.title = _("个人资料")
    ws.append([pgettext("profile field", "项目"), _("内容")])
    for key, value in data["profile"].items():
        if isinstance(value, list):
            value = _("、").join(value)
        ws.append([key, excel_safe(value)])
    for key, title in [*SHEETS, *((p.key, p.title) for p in data_export_providers())]:
        sheet = wb.create_sheet(str(title))
        rows = data[key]
        if not rows:
            sheet.append([_("（无）")])
            continue
        headers = list(rows[0].keys())
        sheet.append(headers)
        for row in rows:
            sheet.append([excel_safe(row[h]) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
