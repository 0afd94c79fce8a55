"""core.text: the invisible-character rule every app's text fields share."""

import pytest

from zhiyuan.core.text import has_control_chars

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"


@pytest.mark.parametrize(
    "value",
    [
        "爱心志愿服务中心",
        "Love & Care <b>",
        "爱心😀志愿服务队",
        f"家庭{FAMILY}队",
        "东湖\u3000社区",
        "Zoë Ångström",
        "1️⃣号",
        "爱\ue000心",
    ],
)
def test_visible_text_passes(value):
    assert not has_control_chars(value)


@pytest.mark.parametrize(
    "value",
    [
        "爱心\u202e中心",  # right-to-left override
        "爱心\u2066中心",  # left-to-right isolate
        "爱\u200b心",  # zero-width space
        "爱\u200d心",  # a zero-width joiner between letters, not emoji
        "\ufeff爱心",  # byte-order mark
        "爱\u00ad心",  # soft hyphen
        "爱\x00心",
        "爱\x1b心",
        "爱\u2028心",  # line separator
    ],
)
def test_invisible_characters_are_refused(value):
    assert has_control_chars(value)
    assert has_control_chars(value, multiline=True)


def test_tabs_and_line_breaks_only_in_multiline_text():
    for value in ("第一行\n第二行", "a\r\nb", "a\tb"):
        assert has_control_chars(value)
        assert not has_control_chars(value, multiline=True)
