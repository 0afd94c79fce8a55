"""The object picker (core.picker): which options it lists, and what the form gets back."""

import pytest
from django import forms
from django.test import RequestFactory

from zhiyuan.core.picker import SEARCHED, ObjectPickerField, PickerOption, picker_options, picker_results

NAMES = [
    "桥东志愿服务队",
    "桥西志愿服务队",
    "江北志愿服务队",
    "水口志愿服务队",
    "河南岸志愿服务队",
    "小金口志愿服务队",
    "龙丰志愿服务队",
]
ITEMS = [PickerOption(i, name, "惠城区") for i, name in enumerate(NAMES, start=1)]


def find(*, q="", id=None, limit):
    """A stand-in for organization_options: ids 1–7 are visible, id 99 is not."""
    if id is not None:
        return [o for o in ITEMS if o.id == id][:limit]
    return [o for o in ITEMS if q in o.name][:limit]


def ids(options) -> list[int]:
    return [o.id for o in options]


def test_first_results_then_more():
    r = picker_options(find, q="", selected=None, current=None, limit=6)
    assert ids(r["found"]) == [1, 2, 3, 4, 5, 6] and r["more"] and r["kept"] == []
    r = picker_options(find, q="桥", selected=None, current=None, limit=6)
    assert ids(r["found"]) == [1, 2] and not r["more"]


def test_the_chosen_option_stays_and_the_current_one_is_not_listed_twice():
    r = picker_options(find, q="江北", selected=2, current=1, limit=6)
    assert ids(r["kept"]) == [2] and ids(r["found"]) == [3]
    r = picker_options(find, q="桥", selected=1, current=1, limit=6)  # the current choice is shown above the list
    assert r["kept"] == [] and ids(r["found"]) == [2]
    r = picker_options(find, q="", selected=99, current=None, limit=6)  # not visible: not shown
    assert r["kept"] == [] and len(r["found"]) == 6


class Form(forms.Form):
    org = ObjectPickerField(label="组织", url_name="accounts:role_objects", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].bind(find)


@pytest.mark.parametrize(
    ("data", "value", "error"),
    [
        ({"org": "3"}, 3, None),
        ({"org": "3", "org__q": "江"}, 3, None),  # chosen, the search text stays in the box
        ({"org__id": "5", "org": "3"}, 5, None),  # the no-JS id box wins
        ({"org": ""}, None, None),
        ({"org__q": "江北"}, None, "请从搜索结果中选择一项。"),  # Enter without JS, or typed and not chosen
        ({"org": "abc"}, None, "请输入整数编号。"),
    ],
)
def test_form_value(data, value, error):
    form = Form(data)
    assert form.is_valid() is (error is None)
    if error:
        assert form.errors["org"] == [error]
    else:
        assert form.cleaned_data["org"] == value


@pytest.mark.django_db
def test_rendering_shows_current_choice_results_and_a_no_js_box():
    html = str(Form(initial={"org": 2})["org"])
    assert 'data-picker-current="2"' in html and 'value="2" checked' in html and "桥西志愿服务队" in html
    assert 'data-picker-option="2"' not in html and 'data-picker-option="1"' in html
    assert 'name="org__q"' in html and 'name="org__id"' in html and "<noscript>" in html
    assert 'hx-get="/accounts/roles/grant/objects/"' in html
    # A bound search without a choice lists the matches of the typed text.
    html = str(Form({"org__q": "江北"})["org"])
    assert 'value="江北"' in html and 'data-picker-option="3"' in html and 'data-picker-option="1"' not in html
    assert Form({"org__q": "x"})["org"].value() == SEARCHED


@pytest.mark.django_db
def test_results_view_checks_names_and_keeps_the_choice():
    rf = RequestFactory()
    assert picker_results(rf.get("/", {"picker": "bad name"}), find).status_code == 400
    assert picker_results(rf.get("/", {"picker": "org", "picker_id": 'x"><script>'}), find).status_code == 400
    html = picker_results(rf.get("/", {"picker": "org", "org__q": "江北", "org": "2"}), find).content.decode()
    assert html.index('data-picker-option="2"') < html.index('data-picker-option="3"')
    assert 'value="2" checked' in html and 'value="3">' in html
    html = picker_results(rf.get("/", {"picker": "org", "org__q": "<b>无</b>"}), find).content.decode()
    assert "没有名称或区划包含“&lt;b&gt;无&lt;/b&gt;”的可选项。" in html
