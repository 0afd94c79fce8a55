"""A search-as-you-type picker for one object (an organization, a service point) in a form.

``ObjectPickerField`` — an integer id chosen from search results
=================================================================

Usage (the form binds what to search, with the actor's scope, per request)::

    operator = ObjectPickerField(label=_("运营组织"), url_name="stations:operator_options", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].bind(partial(organization_options, actor=actor))

    # cleaned_data["operator"] is an int or None. The service still checks it (exists, active,
    # in scope): the picker only offers, it does not authorize.

``find(q="", *, id=None, limit)`` returns ``PickerOption``s: with ``id``, that one object if the
actor may see it (any status, so a stored choice shows with its status); otherwise up to ``limit``
active objects whose name contains ``q``, best first. It must start from ``visible_to(actor)``.

How it renders: a search box, the current choice (a radio, kept while searching), and a results
list of radios of the same name. Typing asks ``url_name`` (a view calling ``picker_results``) for
new results with htmx; the chosen radio is sent along so it stays on top. Without JavaScript the
first results show, pressing Enter submits the form and it comes back with the results for the
typed text (the field asks to choose one), and a ``<noscript>`` box takes an id directly.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

PICKER_LIMIT = 6
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
SEARCHED = "?"  # the widget's value when a search was typed but nothing chosen


@dataclass(frozen=True)
class PickerOption:
    id: int
    name: str
    detail: str = ""  # shown after the name: the region, a status that is not the normal one


def _int(value) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 < n <= 2**62 else None


def picker_name_q(q: str) -> Q:
    """The usual match of a ``find`` for the typed text ``q`` (trimmed, non-empty): a name that
    contains it, or, when ``q`` is a number, the object with that id."""
    match = Q(name__icontains=q)
    if q.isdigit() and len(q) < 19:
        match |= Q(pk=int(q))
    return match


def picker_options(find: Callable, *, q: str, selected: int | None, current: int | None, limit: int = PICKER_LIMIT) -> dict:
    """The results list: ``kept``, the radio chosen during this search (it must not vanish when
    the results change); ``found``, the matches without it and without the current choice (shown
    above the list); ``more``, whether matches were left out."""
    kept = find(id=selected, limit=1) if selected and selected != current else []
    skip = {o.id for o in kept} | ({current} if current else set())
    found = [o for o in find(q=q, limit=limit + len(skip) + 1) if o.id not in skip]
    room = limit - len(kept)
    return {"kept": kept, "found": found[:room], "more": len(found) > room}


class ObjectPickerWidget(forms.Widget):
    template_name = "core/widgets/object_picker.html"

    def __init__(self, *, url_name: str, allow_empty: bool = False, empty_label=None, placeholder=None, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name
        self.extra_vals: dict = {}  # more GET parameters for the results view, e.g. {"role": "org_admin"}
        self.allow_empty = allow_empty
        self.empty_label = empty_label or _("（无）")
        self.placeholder = placeholder or _("输入名称或区划搜索")
        self.find: Callable | None = None
        self.query = ""

    def value_from_datadict(self, data, files, name):
        self.query = str(data.get(f"{name}__q") or "").strip()[:50]
        typed = str(data.get(f"{name}__id") or "").strip()
        if typed:
            return typed  # the no-JS id box
        chosen = str(data.get(name) or "").strip()
        if not chosen and self.query:
            return SEARCHED
        return chosen

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__id" not in data and f"{name}__q" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        current_id = _int(value)
        current = None
        if current_id and self.find is not None:
            found = self.find(id=current_id, limit=1)
            current = found[0] if found else PickerOption(current_id, _("编号 %(id)s") % {"id": current_id})
        results = {"kept": [], "found": [], "more": False}
        if self.find is not None:
            results = picker_options(self.find, q=self.query, selected=None, current=current_id)
        context["widget"].update(
            {
                "base_id": base_id,
                "url": reverse(self.url_name),
                "current": current,
                "results": results,
                "query": self.query,
                "allow_empty": self.allow_empty,
                "empty_label": self.empty_label,
                "nothing_chosen": current is None,
                "placeholder": self.placeholder,
                "hx_vals": json.dumps({**self.extra_vals, "picker": name, "picker_id": base_id, "current": current_id or ""}),
            }
        )
        return context

    def id_for_label(self, id_):
        return id_  # the search box


class ObjectPickerField(forms.IntegerField):
    """An object id chosen with ``ObjectPickerWidget`` (see the module docstring)."""

    default_error_messages = {
        "invalid": _("请输入整数编号。"),
        "searched": _("请从搜索结果中选择一项。"),
    }

    def __init__(self, *, url_name: str, allow_empty: bool = False, empty_label=None, placeholder=None, **kwargs):
        widget = ObjectPickerWidget(url_name=url_name, allow_empty=allow_empty, empty_label=empty_label, placeholder=placeholder)
        kwargs.setdefault("widget", widget)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**62)
        super().__init__(**kwargs)

    def bind(self, find: Callable) -> None:
        """What to search, with the actor's scope bound (``functools.partial``)."""
        self.widget.find = find

    def to_python(self, value):
        if value == SEARCHED:
            raise forms.ValidationError(self.error_messages["searched"], code="searched")
        return super().to_python(value)


def picker_results(request, find: Callable):
    """The results list for an htmx request of ``ObjectPickerWidget`` (GET ``picker``, ``picker_id``,
    ``<name>__q``, the chosen ``<name>`` and the ``current`` choice shown above the list)."""
    name = request.GET.get("picker", "")
    base_id = request.GET.get("picker_id", "") or f"id_{name}"
    if not NAME_RE.match(name) or not NAME_RE.match(base_id):
        return HttpResponseBadRequest("bad picker name")
    q = str(request.GET.get(f"{name}__q") or "").strip()[:50]
    selected = _int(request.GET.get(name))
    results = picker_options(find, q=q, selected=selected, current=_int(request.GET.get("current")))
    context = {"name": name, "results": results, "query": q, "selected": selected}
    return render(request, "core/widgets/_picker_results.html", context)
