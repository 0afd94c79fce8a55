"""Code tables live once (volunteers.codes) with one cached label lookup per table and language."""

import pytest
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


TABLES = ("gender", "id_type", "political_status", "education", "ethnicity", "skill", "service_category")


@pytest.mark.parametrize("table", TABLES)
def test_each_table_is_built_once_per_language_not_per_lookup(table, monkeypatch):
    """An export looks a label up per cell: the table's choices (gettext over every entry) are
    built once per language, whatever the number of lookups."""
    real = getattr(code_tables, f"{table}_choices")
    builds = []
    monkeypatch.setattr(code_tables, f"{table}_choices", lambda: builds.append(1) or real())
    code_tables._labels.cache_clear()
    try:
        code = real()[0][0]
        for language in ("zh-hans", "en", "zh-hans"):
            with translation.override(language):
                labels = {code_tables.label(table, code) for _ in range(500)}
                assert labels == {dict(real())[code]} and labels != {code}
        assert len(builds) == 2  # one per language
    finally:
        code_tables._labels.cache_clear()  # the counting stand-in must not stay cached


def test_every_table_reads_from_codes():
    from zhiyuan.volunteers import codes, idcards

    assert code_tables.id_type_choices() == [(c, str(lbl)) for c, lbl in codes.IdType.choices]
    assert idcards.IdType is codes.IdType
    assert [c for c, _l in code_tables.gender_selectable_choices()] == ["1", "2", "9"]


def test_id_type_and_category_labels_follow_the_language():
    from zhiyuan.volunteers.documents import id_type_label

    with translation.override("zh-hans"):
        assert id_type_label("414") == "护照"
        assert code_tables.label("service_category", "environment") == "环境保护"
    with translation.override("en"):
        assert id_type_label("414") != "护照"
    assert id_type_label("999") == "999"
