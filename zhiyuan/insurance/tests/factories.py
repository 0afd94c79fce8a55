"""Test data for the insurance app, built through the real services (STYLE.md)."""

import datetime as dt
import io
import itertools

from openpyxl import Workbook

from zhiyuan.insurance import services
from zhiyuan.volunteers.documents import document_unseal

_n = itertools.count(1)
YEAR_START = dt.date(2026, 1, 1)
YEAR_END = dt.date(2026, 12, 31)
IN_YEAR = dt.date(2026, 6, 1)


def policy_data(**values) -> dict:
    data = {
        "insurer": "中国人民财产保险股份有限公司惠州市分公司",
        "policy_no": f"PHZ2026{next(_n):06d}",
        "kind": "accident",
        "cover": "listed",
        "starts_on": YEAR_START,
        "ends_on": YEAR_END,
        "sum_insured": "500000",
    }
    data.update(values)
    return data


def policy(actor, org=None, **values):
    if org is not None:
        values.setdefault("holder_id", org.pk)
    return services.policy_create(actor=actor, data=policy_data(**values))


def id_number(volunteer) -> str:
    return document_unseal(volunteer.id_number_sealed)


def insured_list(rows, header=("姓名", "证件号码", "手机号码")):
    """An insurer's list as an uploaded file."""
    wb = Workbook()
    ws = wb.active
    ws.title = "被保险人"
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "insured.xlsx"
    buf.size = len(buf.getvalue())
    return buf


def list_of(*volunteers):
    return insured_list([(v.name, id_number(v), "") for v in volunteers])


def listed_policy(actor, org, *volunteers, **values):
    p = policy(actor, org, **values)
    if volunteers:
        report = services.insured_import(actor=actor, policy=p, upload=list_of(*volunteers))
        assert report.ok, report.as_dict()
    p.refresh_from_db()
    return p
