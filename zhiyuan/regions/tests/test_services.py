"""REG-3: resident population import — validation, all-or-nothing, scope, audit."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiyuan.core.errors import PermissionDenied
from zhiyuan.core.models import AuditEntry
from zhiyuan.regions.models import RegionPopulation
from zhiyuan.regions.services import PopulationImportError, region_population_import

from .factories import HUICHENG, HUIYANG, HUIZHOU, QIAODONG, population_csv, population_xlsx


def _errors(exc) -> set[tuple[int, str]]:
    return {(e.row, e.field) for e in exc.value.errors}


@pytest.mark.django_db
def test_platform_admin_imports_csv_and_is_audited(platform_admin):
    file = population_csv([["4413", 2020, 6_042_852], [HUICHENG, 2020, "1,205,034"], ["441303", "2020", 1_000_000.0]])
    result = region_population_import(actor=platform_admin, file=file, source="七普")
    assert (result.rows, result.created, result.updated, result.years) == (3, 3, 0, [2020])
    assert RegionPopulation.objects.get(region_id=HUIZHOU, year=2020).population == 6_042_852
    assert RegionPopulation.objects.get(region_id=HUICHENG, year=2020).population == 1_205_034
    assert RegionPopulation.objects.get(region_id=HUIYANG, year=2020).source == "七普"
    entry = AuditEntry.objects.filter(action="regions.population_import").get()
    assert entry.actor == platform_admin and entry.detail["rows"] == 3


@pytest.mark.django_db
def test_xlsx_with_english_headers_and_reimport_replaces(city_manager):
    file = population_xlsx([[HUICHENG, 2021, 100], [QIAODONG, 2021, 50]], header=("code", "Year", "population", "source"))
    assert region_population_import(actor=city_manager, file=file).created == 2
    again = population_xlsx([[HUICHENG, 2021, 120, "统计年鉴"]], header=("区划代码", "年份", "常住人口", "来源"))
    result = region_population_import(actor=city_manager, file=again)
    assert (result.created, result.updated) == (0, 1)
    row = RegionPopulation.objects.get(region_id=HUICHENG, year=2021)
    assert (row.population, row.source) == (120, "统计年鉴")
    assert RegionPopulation.objects.filter(year=2021).count() == 2


@pytest.mark.django_db
def test_year_argument_fills_a_missing_year_column(city_manager):
    file = population_csv([[HUICHENG, 10]], header=("区划代码", "常住人口"))
    region_population_import(actor=city_manager, file=file, year=2019)
    assert RegionPopulation.objects.get(region_id=HUICHENG).year == 2019
    with pytest.raises(PopulationImportError) as exc:
        region_population_import(actor=city_manager, file=population_csv([[HUICHENG, 10]], header=("code", "population")))
    assert _errors(exc) == {(1, "year")}


@pytest.mark.django_db
def test_gbk_csv_from_excel_is_read(city_manager):
    file = population_csv([[HUICHENG, 2020, 7]], encoding="gb18030")
    assert region_population_import(actor=city_manager, file=file).rows == 1


@pytest.mark.django_db
def test_every_bad_row_reported_and_nothing_saved(platform_admin):
    rows = [
        [HUICHENG, 2020, 100],  # row 2: fine
        ["999999", 2020, 5],  # row 3: unknown code
        ["44130", 2020, 5],  # row 4: malformed code
        [HUIYANG, 2020, -1],  # row 5: negative
        [HUIYANG, 2021, "很多"],  # row 6: not a number
        [HUIYANG, 1800, 5],  # row 7: bad year
        [HUIYANG, "", 5],  # row 8: empty year, no default
        [HUICHENG, 2020, 200],  # row 9: duplicate of row 2
        [HUIZHOU, 2020, 12.5],  # row 10: not an integer
        [HUIZHOU, 2021, ""],  # row 11: empty population
        ["<script>alert(1)</script>", 2020, 1],  # row 12
        ["😀" * 10_000, 2020, 1],  # row 13
        [HUIZHOU, 2022, 10**12],  # row 14: absurd
    ]
    with pytest.raises(PopulationImportError) as exc:
        region_population_import(actor=platform_admin, file=population_csv(rows))
    assert _errors(exc) == {
        (3, "code"),
        (4, "code"),
        (5, "population"),
        (6, "population"),
        (7, "year"),
        (8, "year"),
        (9, "code"),
        (10, "population"),
        (11, "population"),
        (12, "code"),
        (13, "code"),
        (14, "population"),
    }
    reasons = {(e.row, e.field): e.reason for e in exc.value.errors}
    assert "不存在" in reasons[(3, "code")]
    assert "负数" in reasons[(5, "population")]
    assert "第2行" in reasons[(9, "code")]
    assert "<script>" not in str(exc.value.message)
    assert RegionPopulation.objects.count() == 0
    assert not AuditEntry.objects.filter(action="regions.population_import").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content,name",
    [
        (b"", "empty.csv"),
        ("区划代码,年份,常住人口\n".encode(), "header-only.csv"),
        (b"PK\x03\x04 not really a workbook", "broken.xlsx"),
        ("名称,人口\n惠城,1\n".encode(), "wrong-columns.csv"),
    ],
)
def test_unusable_files_are_refused(platform_admin, content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(PopulationImportError) as exc:
        region_population_import(actor=platform_admin, file=SimpleUploadedFile(name, content))
    assert exc.value.errors and exc.value.errors[0].row in (0, 1)
    assert RegionPopulation.objects.count() == 0


@pytest.mark.django_db
def test_county_manager_cannot_import_for_the_neighbouring_county(county_manager):
    file = population_csv([[HUICHENG, 2020, 100], [QIAODONG, 2020, 10], [HUIYANG, 2020, 200]])
    with pytest.raises(PopulationImportError) as exc:
        region_population_import(actor=county_manager, file=file)
    assert _errors(exc) == {(4, "code")}
    assert "管辖范围" in exc.value.errors[0].reason
    assert RegionPopulation.objects.count() == 0
    # the parent city is outside a county manager's scope as well
    with pytest.raises(PopulationImportError):
        region_population_import(actor=county_manager, file=population_csv([[HUIZHOU, 2020, 1]]))
    # their own county and its towns are fine
    ok = population_csv([[HUICHENG, 2020, 100], [QIAODONG, 2020, 10]])
    assert region_population_import(actor=county_manager, file=ok).rows == 2


@pytest.mark.django_db
def test_city_manager_imports_for_both_counties(city_manager):
    file = population_csv([[HUICHENG, 2020, 100], [HUIYANG, 2020, 200], [HUIZHOU, 2020, 300]])
    assert region_population_import(actor=city_manager, file=file).rows == 3
    with pytest.raises(PopulationImportError) as exc:
        region_population_import(actor=city_manager, file=population_csv([["440100", 2020, 1]]))  # 广州
    assert _errors(exc) == {(2, "code")}


@pytest.mark.django_db
def test_plain_user_may_not_import(plain_user):
    with pytest.raises(PermissionDenied):
        region_population_import(actor=plain_user, file=population_csv([[HUICHENG, 2020, 1]]))
    assert RegionPopulation.objects.count() == 0


@pytest.mark.django_db
def test_population_command(tmp_path, platform_admin, county_manager, capsys):
    path = tmp_path / "pop.csv"
    path.write_text(f"code,year,population\n{HUICHENG},2020,5\n{HUIYANG},2020,6\n", encoding="utf-8")
    call_command("regions_import_population", str(path))
    assert "2 rows" in capsys.readouterr().out
    entry = AuditEntry.objects.filter(action="regions.population_import").get()
    assert entry.actor is None and entry.detail["via"]
    with pytest.raises(CommandError):
        call_command("regions_import_population", str(path), "--actor", county_manager.mobile)
    assert "管辖范围" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("regions_import_population", str(path), "--actor", "13000000000")


@pytest.mark.django_db
def test_source_text_is_stored_as_plain_text_and_truncated(city_manager):
    file = population_csv(
        [[HUICHENG, 2020, 1, "<script>alert(1)</script>😀"], [HUIYANG, 2020, 2, "长" * 10_000]],
        header=("区划代码", "年份", "常住人口", "来源"),
    )
    region_population_import(actor=city_manager, file=file)
    assert RegionPopulation.objects.get(region_id=HUICHENG).source == "<script>alert(1)</script>😀"
    assert len(RegionPopulation.objects.get(region_id=HUIYANG).source) == 200
