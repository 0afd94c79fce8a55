"""Forms of the regions app, and the reusable region picker for other apps' forms.

``RegionCascadeField`` — choose a region down to a level with cascading ``<select>``s
=====================================================================================

Usage in another app's form::

    from zhiyuan.regions.forms import RegionCascadeField
    from zhiyuan.regions.models import Level

    class VolunteerForm(forms.Form):
        region_code = RegionCascadeField(
            label=_("所在社区"),
            min_level=Level.TOWN,      # must choose at least a 街道/乡镇 (4) — Level.VILLAGE for 社区/村
            max_level=Level.VILLAGE,   # deepest level offered (default: town, or village if imported)
            root=None,                 # optional code: offer only regions inside it, e.g. "441302"
        )

    # cleaned_data["region_code"] is the 12-digit code (a str), e.g. "441302001000".
    # Initial value: form = VolunteerForm(initial={"region_code": "441302001000"})
    # Per-request root: form.fields["region_code"].set_root(actor_region_code)

The template needs nothing special: ``{{ form.region_code }}`` (or ``{{ form }}``) renders the
``<select>``s. How it works:

* The widget renders one ``<select name="<name>__<depth>">`` per step of the chosen path
  (province, city, county, town, …) plus one for the next level down. Its container carries
  ``hx-get`` to ``/regions/cascade/``: on every change htmx re-renders the whole picker with the
  new choice, so deeper selects always match their parents (no client-side state).
* Without JavaScript a ``<noscript>`` text input named ``<name>`` accepts a 2/4/6/9/12-digit
  code directly; the selects also still work by submitting the form (it comes back with the
  next level filled in and a "choose further" message).
* Validation (server side, always): the code exists, is at ``min_level``…``max_level`` and
  inside ``root``. 东莞/中山/儋州 have towns directly under the city; the field accepts them.

``/regions/options/?parent=CODE`` returns just the ``<option>``s of a region's children for
simple single-``<select>`` uses (``hx-get`` + ``hx-target`` on the next select).
"""

import json

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhiyuan.regions.codes import normalize_code, region_prefix
from zhiyuan.regions.models import Level, Region

LEVEL_PROMPTS = {
    Level.PROVINCE: _("省份"),
    Level.CITY: _("城市"),
    Level.COUNTY: _("区县"),
    Level.TOWN: _("街道/乡镇"),
    Level.VILLAGE: _("社区/村"),
}


def _clean_code(value) -> str | None:
    try:
        return normalize_code(str(value or "").strip())
    except ValueError:
        return None


class RegionCascadeWidget(forms.Widget):
    template_name = "regions/widgets/region_cascade.html"

    def __init__(
        self, *, min_level=Level.PROVINCE, max_level=Level.TOWN, root: str | None = None, start_at_home=False, attrs=None
    ):
        super().__init__(attrs)
        self.min_level = int(min_level)
        self.max_level = int(max_level)
        self.root = _clean_code(root) if root else None
        # Public forms (registration, profile, applications) open at the deployment's home
        # province or city (ZHIYUAN_HOME_REGION) instead of the 34 provinces; still changeable.
        self.start_at_home = start_at_home

    # --- reading the submitted value ---

    def value_from_datadict(self, data, files, name):
        typed = (data.get(name) or "").strip()
        if typed:
            return typed  # the no-JS text input (or an API-like post of the code itself)
        return self.chain_from_selects(data, name)

    def chain_from_selects(self, data, name) -> str:
        """The deepest selected code whose path from the root is consistent (a deeper select
        left over from a previous choice of its parent is ignored)."""
        picked = []
        for depth in range(6):
            code = _clean_code(data.get(f"{name}__{depth}"))
            if code is None:
                break
            picked.append(code)
        if not picked:
            return ""
        parents = dict(Region.objects.filter(code__in=picked).values_list("code", "parent_id"))
        current = self.root
        for code in picked:
            if code not in parents or parents[code] != current:
                break
            current = code
        return "" if current == self.root else current

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__0" not in data

    # --- rendering ---

    def format_value(self, value):
        return _clean_code(value) or ""

    def home_code(self) -> str:
        """Where an empty picker opens: the home region when this picker starts there."""
        if not self.start_at_home or self.root:
            return ""
        return _clean_code(getattr(settings, "ZHIYUAN_HOME_REGION", "")) or ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        code = self.format_value(value)
        started = not code and bool(self.home_code())
        cascade = self.cascade_context(name, code or self.home_code(), context["widget"]["attrs"])
        if started:  # opened at home, not chosen by the person: nothing is "selected" yet
            cascade.update(code="", full_name="")
        context["widget"].update(cascade)
        return context

    def cascade_context(self, name: str, code: str, attrs: dict | None = None) -> dict:
        """Selects for the path to ``code`` and for the next level below it."""
        attrs = attrs or {}
        base_id = attrs.get("id") or f"id_{name}"
        path: list[Region] = []
        region = Region.objects.filter(code=code).first() if code else None
        if region is not None and (
            not self.root or (region.code.startswith(region_prefix(self.root)) and region.code != self.root)
        ):
            from zhiyuan.regions.selectors import region_ancestors

            path = [r for r in region_ancestors(region.code) if self._below_root(r)] + [region]
        parents = [self.root, *[r.code for r in path]]
        selects = []
        for depth, parent in enumerate(parents):
            if depth > 0 and path[depth - 1].level >= self.max_level:
                break
            qs = Region.objects.filter(parent__isnull=True) if parent is None else Region.objects.filter(parent_id=parent)
            options = list(qs.filter(level__lte=self.max_level).order_by("code").values_list("code", "name", "level"))
            if not options:
                break
            selected = path[depth].code if depth < len(path) else ""
            level = options[0][2]
            selects.append(
                {
                    "name": f"{name}__{depth}",
                    "id": base_id if depth == 0 else f"{base_id}__{depth}",
                    "options": options,
                    "selected": selected,
                    "prompt": LEVEL_PROMPTS.get(level, _("请选择")),
                }
            )
        return {
            "code": code if path else "",
            "full_name": path[-1].full_name if path else "",
            "selects": selects,
            "base_id": base_id,
            "hx_vals": json.dumps(
                {
                    "rc_name": name,
                    "rc_min": self.min_level,
                    "rc_max": self.max_level,
                    "rc_root": self.root or "",
                    "rc_id": base_id,
                }
            ),
        }

    def _below_root(self, region: Region) -> bool:
        if not self.root:
            return True
        return region.code != self.root and region.code.startswith(region_prefix(self.root))

    def id_for_label(self, id_):
        return id_


class RegionCascadeField(forms.CharField):
    """A 12-digit region code chosen with ``RegionCascadeWidget`` (see the module docstring)."""

    widget = RegionCascadeWidget
    default_error_messages = {
        "invalid": _("请输入有效的区划代码（2、4、6、9或12位数字）。"),
        "unknown": _("该区划不存在。"),
        "too_high": _("请继续选择，至少选择到%(level)s区划。"),
        "too_low": _("不能选择%(level)s以下的区划。"),
        "outside": _("所选区划不在允许的范围内。"),
    }

    def __init__(
        self, *, min_level=Level.PROVINCE, max_level=Level.TOWN, root: str | None = None, start_at_home=False, **kwargs
    ):
        self.min_level = int(min_level)
        self.max_level = int(max_level)
        if self.min_level > self.max_level:
            raise ValueError("min_level must not exceed max_level")
        self.root = _clean_code(root) if root else None
        kwargs.setdefault(
            "widget",
            RegionCascadeWidget(min_level=min_level, max_level=max_level, root=self.root, start_at_home=start_at_home),
        )
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.max_length = None  # typed input may be shorter; the normalized value is 12 digits
        self.validators = []

    def set_root(self, root: str | None) -> None:
        """Limit the choice to regions inside ``root`` (e.g. the acting manager's region)."""
        self.root = _clean_code(root) if root else None
        self.widget.root = self.root

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        code = _clean_code(value)
        if code is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return code

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        region = Region.objects.filter(code=value).only("code", "level").first()
        if region is None:
            raise ValidationError(self.error_messages["unknown"], code="unknown")
        if self.root and not (value.startswith(region_prefix(self.root))):
            raise ValidationError(self.error_messages["outside"], code="outside")
        if region.level < self.min_level:
            raise ValidationError(self.error_messages["too_high"], code="too_high", params={"level": Level(self.min_level).label})
        if region.level > self.max_level:
            raise ValidationError(self.error_messages["too_low"], code="too_low", params={"level": Level(self.max_level).label})


def region_picker_root(actor) -> str | None:
    """Root of a region picker for a manager: the parent of a single-region manager's region, so
    a county manager can pick the county itself and what lies below it (None: the whole
    country, for platform admins and managers of several regions). The services still refuse
    regions outside the actor's scope."""
    from zhiyuan.regions.codes import ancestor_codes
    from zhiyuan.regions.permissions import actor_region_scope

    prefixes = actor_region_scope(actor)
    if prefixes is None or len(prefixes) != 1:
        return None
    ancestors = ancestor_codes(prefixes[0].ljust(12, "0"))
    return ancestors[-1] if ancestors else None


class RegionJumpForm(forms.Form):
    """「快速定位」on the region browser: the picker at any level."""

    region = RegionCascadeField(label=_("快速定位"), min_level=Level.PROVINCE, max_level=Level.VILLAGE)


class PopulationUploadForm(forms.Form):
    file = forms.FileField(
        label=_("人口数据文件"),
        help_text=_("Excel（.xlsx）或 CSV 文件，列：区划代码、年份、常住人口（可选：来源）。不超过 10 MB。"),
        error_messages={"required": _("请选择要上传的文件。")},
    )
    year = forms.IntegerField(
        label=_("年份（可选）"),
        required=False,
        min_value=1949,
        max_value=2100,
        help_text=_("文件中没有“年份”列时，所有行使用此年份。"),
        error_messages={"invalid": _("请输入整数年份。")},
    )
    source = forms.CharField(
        label=_("数据来源（可选）"),
        required=False,
        max_length=200,
        help_text=_("例如：第七次全国人口普查、统计年鉴。"),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = (f.name or "").lower()
        if not (name.endswith(".xlsx") or name.endswith(".csv")):
            raise ValidationError(_("只支持 .xlsx 或 .csv 文件。"))
        if f.size > 10 * 1024 * 1024:
            raise ValidationError(_("文件过大（上限 10 MB）。"))
        return f
