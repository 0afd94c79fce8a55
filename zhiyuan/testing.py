"""The fixed cast of test users and the region codes the scope tests compare (STYLE.md).

Importable from any test package (``from zhiyuan.testing import PASSWORD, make_user``); the root
``conftest.py`` turns these into fixtures. Not used by production code.
"""

from zhiyuan.accounts.roles import Role

PASSWORD = "Zhiyuan#2026"

HUIZHOU = "441300000000"
HUICHENG = "441302000000"
HUIYANG = "441303000000"


def make_user(mobile: str, name: str, *, role: str | None = None, region_code: str = "", object_id=None, totp=True):
    from zhiyuan.accounts.models import RoleAssignment, User

    user = User.objects.create_user(mobile, PASSWORD, display_name=name)
    if role:
        RoleAssignment.objects.create(user=user, role=role, region_code=region_code, object_id=object_id)
    if totp and role in (Role.REGION_MANAGER, Role.PLATFORM_ADMIN):
        enable_totp(user)
    return user


def enable_totp(user) -> str:
    """Set up TOTP through the real services, as a manager does on the set-up page."""
    import pyotp

    from zhiyuan.accounts.services import totp_begin, totp_confirm

    secret = totp_begin(user=user)
    totp_confirm(user=user, code=pyotp.TOTP(secret).now())
    return secret


def totp_code(user) -> str:
    import pyotp

    from zhiyuan.accounts.services import totp_secret

    return pyotp.TOTP(totp_secret(user=user)).now()


# --- VOL-10 import files -------------------------------------------------------------------------

IMPORT_HEADER = ["姓名*", "证件类型*", "证件号码*", "性别", "出生日期", "居住地区划代码*", "手机号码*", "电子邮箱"]


def import_workbook(rows, header=IMPORT_HEADER):
    """An import file as a manager fills in the template: sheet 「志愿者」, the header, the rows.
    Returns a named BytesIO, ready for an upload (``.getvalue()`` for the bytes)."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "志愿者"
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "volunteers.xlsx"
    return buf
