"""Personal names (VOL-1, issue #8): every character a real Chinese name can have is accepted,
every middle-dot form is stored as U+00B7, only invisible characters are refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiyuan.volunteers.names import MIDDLE_DOT
from zhiyuan.volunteers.validation import clean_person_name


def ok(value) -> str:
    name, err = clean_person_name(value)
    assert err is None, (value, err)
    return name


def refused(value) -> str:
    name, err = clean_person_name(value)
    assert err is not None and name == "", value
    return str(err)


@pytest.mark.parametrize(
    "value",
    [
        "王〇",  # U+3007, a real given name
        "李〇〇",
        "佐々木",  # iteration mark
        "张\u4e09\U000e0100",  # an ideographic variation sequence
        "葛\U000e0101亮",
        "王\U00031350",  # CJK Extension H
        "陈\U0002ebf0",  # CJK Extension I
        "𠮷野",  # Extension B
        "林\ue000",  # a rare character in a public-security private-use font
        "石\U000f0001",
        "Zoë Ångström",
        "Nguyễn Văn",
        "O'Brien-Smith",
    ],
)
def test_real_names_are_accepted_as_typed(value):
    assert ok(value) == value


@pytest.mark.parametrize("dot", ["·", "•", "・", "･", "‧", "∙", "⋅", "·", "ᐧ", "⸱", "ꞏ", ".", "．"])
def test_every_middle_dot_form_is_stored_as_one(dot):
    assert ok(f"阿卜杜{dot}热合曼") == f"阿卜杜{MIDDLE_DOT}热合曼"
    assert ok(f"阿卜杜 {dot} 热合曼") == f"阿卜杜 {MIDDLE_DOT} 热合曼"


def test_a_full_stop_in_a_latin_name_stays_a_full_stop():
    assert ok("John A. Smith") == "John A. Smith"
    assert ok("O’Neil") == "O'Neil"


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("张\u200b三", "不可见"),  # zero-width space
        ("张\u202e三", "不可见"),  # bidi override
        ("张\x00三", "不可见"),
        ("\U000e0100张三", "只能包含"),  # a variation selector that follows no ideograph
        ("Ab\ufe0f", "只能包含"),
        ("张三😀", "只能包含"),
        ("张三3", "只能包含"),
        ("··", "只能包含"),
        ("\u0301张三", "只能包含"),  # a combining accent on nothing Latin
        ("张", "至少2个字符"),
        ("", "请填写"),
        ("张" * 51, "不能超过"),
    ],
)
def test_invisible_and_foreign_characters_are_refused_with_a_message(value, needle):
    assert needle in refused(value)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.text(alphabet=st.characters(min_codepoint=0x2000, max_codepoint=0x3FFFF), max_size=12),
        st.lists(
            st.sampled_from(["张", "〇", "\U000e0100", "\ufe0f", "·", "‧", ".", " ", "\u0301", "a", "\ue000"]), max_size=8
        ).map("".join),
    )
)
def test_any_input_gives_a_name_or_a_field_error(value):
    name, err = clean_person_name(value)
    if err is None:
        assert 2 <= len(name) <= 50 and name == " ".join(name.split())
        assert not any(c in name for c in "‧•・･．")  # dots folded
    else:
        assert name == "" and str(err)
