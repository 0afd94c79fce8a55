"""Code tables live once (volunteers.codes) with one cached label lookup per table and language."""

from django.utils import translation

from zhiyuan.volunteers import code_tables


def test_gender_labels_follow_the_active_language():
    with translation.override("zh-hans"):
        assert [code_tables.label("gender", c) for c in ("1", "2", "9", "0")] == ["男", "女", "未说明", "未知"]
    with translation.override("en"):
        assert code_tables.label("gender", "1") == "Male"
    with translation.override("zh-hans"):
        assert code_tables.label("gender", "1") == "男"  # the English lookup did not stick in the cache


def test_unknown_and_empty_codes():
    assert code_tables.label("gender", "") == ""
    assert code_tables.label("gender", "7") == "7"
    assert code_tables.label("no_such_table", "1") == "1"
    assert code_tables.label("education", "20") in ("大学本科", "Bachelor's degree")
