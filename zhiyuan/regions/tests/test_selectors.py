"""REG-2 prefix helpers and the read functions; historical address codes (REG-1)."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyuan.core.errors import NotFound
from zhiyuan.regions import selectors
from zhiyuan.regions.codes import ancestor_codes, code_in_scope, code_level, is_region_code, normalize_code, region_prefix
from zhiyuan.regions.models import Region

from .factories import DONGGUAN, HUICHENG, HUIYANG, HUIZHOU, QIAODONG

SEGMENTS = (2, 2, 2, 3, 3)  # digits added by each level


@st.composite
def region_codes(draw):
    """Any syntactically valid 12-digit region code at levels 1-5 (non-zero segment per level)."""
    level = draw(st.integers(1, 5))
    parts = [str(draw(st.integers(11, 99)))]
    for width in SEGMENTS[1:level]:
        parts.append(str(draw(st.integers(1, 10**width - 1))).zfill(width))
    return "".join(parts).ljust(12, "0"), level


@given(region_codes())
def test_ancestor_prefixes_are_prefixes_of_the_code(case):
    code, level = case
    assert code_level(code) == level
    ancestors = ancestor_codes(code)
    assert len(ancestors) == level - 1
    assert code not in ancestors
    previous = 0
    for ancestor in ancestors:
        prefix = region_prefix(ancestor)
        assert code.startswith(prefix) and code_in_scope(code, prefix)
        assert code_level(ancestor) > previous
        previous = code_level(ancestor)


@given(region_codes())
def test_prefix_round_trip(case):
    code, level = case
    prefix = region_prefix(code)
    assert len(prefix) == (2, 4, 6, 9, 12)[level - 1]
    assert normalize_code(prefix) == code
    assert is_region_code(prefix)


@given(st.text(max_size=20))
def test_normalize_rejects_anything_but_2_4_6_9_12_digits(text):
    stripped = text.strip()
    valid = stripped.isdigit() and stripped.isascii() and len(stripped) in (2, 4, 6, 9, 12)
    try:
        normalize_code(text)
    except ValueError:
        assert not valid
    else:
        assert valid


def test_ancestors_skip_the_repeated_code_of_cities_without_counties():
    assert ancestor_codes("441900003000") == ["440000000000", DONGGUAN]
    assert ancestor_codes("441900003001") == ["440000000000", DONGGUAN, "441900003000"]
    assert not is_region_code("001234") and not is_region_code("abc")


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["4413", "441300", "441300000", "441300000000"])
def test_region_get_accepts_every_prefix_length(code):
    region = selectors.region_get(code)
    assert (region.code, region.name, region.level) == (HUIZHOU, "惠州市", 2)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["", "4", "44130", "4413000000000", "abcd", "<script>", "９９", "9999"])
def test_region_get_refuses_bad_or_unknown_codes(code):
    with pytest.raises(NotFound):
        selectors.region_get(code)
    assert selectors.region_find(code) is None


@pytest.mark.django_db
def test_children_and_levels():
    provinces = selectors.region_children(None)
    assert "440000000000" in {r.code for r in provinces}
    assert {r.level for r in provinces} == {1}
    counties = selectors.region_children("4413")
    assert {HUICHENG, HUIYANG} <= {r.code for r in counties}
    towns = selectors.region_children(HUICHENG)
    assert QIAODONG in {r.code for r in towns} and {r.level for r in towns} == {4}
    assert list(selectors.region_children(QIAODONG)) == []


@pytest.mark.django_db
def test_ancestors_and_full_names():
    assert [r.name for r in selectors.region_ancestors(QIAODONG)] == ["广东省", "惠州市", "惠城区"]
    assert selectors.region_ancestors("44") == []
    assert selectors.region_full_name("441302") == "广东省/惠州市/惠城区"
    assert selectors.region_full_name(QIAODONG) == "广东省/惠州市/惠城区/桥东街道"
    assert selectors.region_full_name("999999") == ""


@pytest.mark.django_db
def test_descendants_by_prefix():
    inside = selectors.region_descendants(HUICHENG)
    codes = set(inside.values_list("code", flat=True))
    assert QIAODONG in codes and HUICHENG not in codes
    assert all(c.startswith("441302") for c in codes)
    assert not any(c.startswith("441303") for c in codes)
    with_self = Region.objects.filter(selectors.region_descendants_q("441302"))
    assert with_self.count() == len(codes) + 1
    # works on any model's code field, e.g. a relation path
    assert Region.objects.filter(selectors.region_descendants_q(HUIZHOU, "parent__code")).filter(code=QIAODONG).exists()


@pytest.mark.django_db
def test_search_by_name_and_code():
    assert HUICHENG in {r.code for r in selectors.region_search("惠城")}
    results = list(selectors.region_search("街道", under=HUICHENG))
    assert results and all(r.code.startswith("441302") for r in results)
    assert selectors.region_search("4413").first().code == HUIZHOU
    assert not selectors.region_search("").exists()
    assert not selectors.region_search("<script>alert(1)</script>").exists()
    assert not selectors.region_search("😀" * 10_000).exists()


@pytest.mark.django_db
def test_address_codes_current_historical_unknown():
    assert selectors.address_code_known("441302")  # 惠城区, current
    assert selectors.address_code_known("441300")  # 惠州市 itself appears in old ID numbers
    assert selectors.address_code_known("442500")  # 惠阳地区, abolished 1988
    assert not selectors.address_code_known("999999")
    assert not selectors.address_code_known("")
    assert not selectors.address_code_known("44130")
    assert not selectors.address_code_known("44130a")
    for special in ("810000", "820000", "830000"):
        assert selectors.address_code_known(special)


@pytest.mark.django_db
def test_historical_code_checked_against_birth_date():
    # 442500 惠阳地区 existed until 1988: someone born in 1980 may carry it, not someone born in 1995
    assert selectors.address_code_known("442500", on_date=datetime.date(1980, 5, 1))
    assert selectors.address_code_known("442500", on_date=datetime.date(1988, 12, 31))
    assert not selectors.address_code_known("442500", on_date=datetime.date(1995, 1, 1))
    # current codes are accepted whatever the date
    assert selectors.address_code_known("441302", on_date=datetime.date(1950, 1, 1))
    # a code from another province not loaded in the test database: known to stdnum's list
    assert selectors.address_code_known("110101")


@pytest.mark.django_db
def test_population_lookup():
    from zhiyuan.regions.models import RegionPopulation

    RegionPopulation.objects.create(region_id=HUICHENG, year=2020, population=1_000)
    RegionPopulation.objects.create(region_id=HUICHENG, year=2022, population=1_200)
    assert selectors.region_population(HUICHENG) == 1_200
    assert selectors.region_population("441302", 2020) == 1_000
    assert selectors.region_population(HUICHENG, 2021) is None
    child = selectors.region_children_with_population(HUIZHOU).get(code=HUICHENG)
    assert (child.latest_population, child.latest_year) == (1_200, 2022)


@pytest.mark.django_db
def test_cached_address_codes_answer_the_same_with_one_query(django_assert_max_num_queries, django_assert_num_queries):
    cases = [
        ("441302", None),
        ("441300", None),
        ("440000", None),
        ("442500", datetime.date(1980, 5, 1)),
        ("442500", datetime.date(1995, 1, 1)),
        ("999999", None),
        ("810000", None),
        ("44130a", None),
        ("110101", None),
    ]
    uncached = [selectors.address_code_known(c, on_date=d) for c, d in cases]
    assert uncached == [True, True, True, True, False, False, True, False, True]
    with django_assert_max_num_queries(1), selectors.address_codes_cached():
        with selectors.address_codes_cached():  # nested: shares the outer set
            cached = [selectors.address_code_known(c, on_date=d) for c, d in cases * 50]
    assert cached == uncached * 50
    with django_assert_num_queries(1):
        assert selectors.address_code_known("441302")  # outside the block: one query per call again
