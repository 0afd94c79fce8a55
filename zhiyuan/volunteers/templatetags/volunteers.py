"""``{% load volunteers %}``: how a volunteer number is shown on every page.

``{{ v.volunteer_no|volunteer_no }}`` groups the 11 characters for reading (``0000 012 345 6``,
as on the card) and keeps the groups on one line. Every place that takes a number back (manager
search, organization invitations) accepts it with or without the spaces
(``numbers.normalize_volunteer_no``), so a copied number works either way."""

from django import template
from django.utils.html import format_html

from zhiyuan.volunteers.numbers import format_volunteer_no

register = template.Library()


@register.filter
def volunteer_no(value) -> str:
    if not value:
        return ""
    return format_html('<span class="vno">{}</span>', format_volunteer_no(str(value)))
