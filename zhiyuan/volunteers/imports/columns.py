"""The import template's columns, labels and modes: what every other part of the import reads."""

from django.conf import settings
from django.utils.translation import gettext_lazy

HEADER_ROW = 1
SHEET_TITLE = "志愿者"
PREVIEW_ROWS = 20

DRY_RUN = "dry_run"
ALL_OR_NOTHING = "all_or_nothing"
VALID_ONLY = "valid_only"
MODES = (DRY_RUN, ALL_OR_NOTHING, VALID_ONLY)
CHECKING = "checking"
IMPORTING = "importing"


def max_rows() -> int:
    """Data rows per uploaded file (``ZHIYUAN_IMPORT_MAX_ROWS``)."""
    return settings.ZHIYUAN_IMPORT_MAX_ROWS


def mode_of(*, dry_run: bool, valid_only: bool) -> str:
    return DRY_RUN if dry_run else VALID_ONLY if valid_only else ALL_OR_NOTHING


# (key, header in the template, required)
COLUMNS = [
    ("name", gettext_lazy("姓名"), True),
    ("id_type", gettext_lazy("证件类型"), True),
    ("id_number", gettext_lazy("证件号码"), True),
    ("gender", gettext_lazy("性别"), False),
    ("birth_date", gettext_lazy("出生日期"), False),
    ("region_code", gettext_lazy("居住地区划代码"), True),
    ("mobile", gettext_lazy("手机号码"), True),
    ("email", gettext_lazy("电子邮箱"), False),
    ("guardian_name", gettext_lazy("监护人姓名"), False),
    ("guardian_relation", gettext_lazy("监护人关系"), False),
    ("guardian_mobile", gettext_lazy("监护人手机号"), False),
]
FIELD_LABELS = {
    **{k: h for k, h, _r in COLUMNS},
    "guardian": gettext_lazy("监护人"),
    "guardian_consent": gettext_lazy("监护人同意"),
    "accept_privacy": gettext_lazy("隐私政策"),
    "accept_oath": gettext_lazy("志愿者誓词"),
    "password": gettext_lazy("密码"),
    "__all__": gettext_lazy("整行"),
    "file": gettext_lazy("文件"),
}


_MORE_LABELS: dict = {}  # the columns of other import kinds (import_kinds.register_import_kind)


def register_field_labels(labels: dict) -> None:
    for key, label in labels.items():
        if key not in FIELD_LABELS:
            _MORE_LABELS[key] = label


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key) or _MORE_LABELS.get(key, key))
