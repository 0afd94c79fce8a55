"""Test data for the regions app. Regions themselves are the real shipped rows of 广东省
(loaded once per test database by the root conftest); these helpers build upload files."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

HUIZHOU = "441300000000"
HUICHENG = "441302000000"
HUIYANG = "441303000000"
QIAODONG = "441302001000"  # 桥东街道, a town of 惠城区
DONGGUAN = "441900000000"


def population_csv(rows, header=("区划代码", "年份", "常住人口"), *, name="population.csv", encoding="utf-8"):
    buf = io.StringIO()
    writer = csv.writer(buf)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buf.getvalue().encode(encoding), content_type="text/csv")


def population_xlsx(rows, header=("区划代码", "年份", "常住人口"), *, name="population.xlsx"):
    wb = Workbook()
    ws = wb.active
    if header:
        ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(
        name, buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
