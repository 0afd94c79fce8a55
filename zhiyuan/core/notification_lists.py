"""The notification centre's list, declared once (docs/architecture.md "How to add a list"):
the page ``/notifications/`` and ``GET /api/v1/notifications``. A notice is its user's alone:
the source is the actor's own notices, whatever their roles (platform admins included)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.lists import CodeFilter, Col, ListSpec, Sort
from zhiyuan.core.models import Notification
from zhiyuan.core.notifications import topic_for


class NotificationFilter(django_filters.FilterSet):
    status = CodeFilter(
        label=_("状态"), choices=[("unread", _("未读")), ("read", _("已读"))], method="by_status", empty_label=_("全部")
    )

    class Meta:
        model = Notification
        fields: list[str] = []

    def by_status(self, qs, name, value):
        return qs.filter(unread=(value == "unread")) if value else qs


def notifications_decorate(rows: list) -> list:
    for n in rows:
        n.topic_label = topic_for(n.kind).label
    return rows


def notification_row(n: Notification) -> dict:
    """The API's item (``NotificationOut``)."""
    return {
        "id": n.pk,
        "kind": n.kind,
        "topic": topic_for(n.kind).key,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "unread": n.unread,
    }


NOTIFICATIONS = ListSpec(
    name="core.notification",
    model=Notification,
    object_type="core.notification",
    source=lambda actor: Notification.objects.filter(user=actor),
    filters=NotificationFilter,
    sorts={
        # both on the (user, unread, id) index
        "unread": Sort(_("未读优先"), ("-unread", "-id")),
        "newest": Sort(_("最新优先"), ("-id",)),
    },
    default_sort="unread",
    can_list=lambda actor: actor is not None and actor.is_authenticated,
    decorate=notifications_decorate,
    columns=[
        Col("title", _("标题"), role="key"),
        Col("topic", _("类别"), value=lambda n: n.topic_label),
        Col("created_at", _("时间")),
        Col("unread", _("状态"), role="status", value=lambda n: _("未读") if n.unread else _("已读")),
    ],
)
