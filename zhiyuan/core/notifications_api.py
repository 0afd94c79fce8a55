"""The notification centre over the API (SPEC ACT-7; ``core/notifications.py``): my notices
(keyset list, unread first), the unread count, marking read, and my channel preferences. A
notice is its user's alone: another user's id is a 404, whatever the caller's role."""

import datetime as dt

from ninja import Field, Router, Schema

from zhiyuan.core.api import ERRORS, InSchema
from zhiyuan.core.lists import list_operation
from zhiyuan.core.notification_lists import NOTIFICATIONS, notification_row
from zhiyuan.core.notifications import (
    BADGE_CAP,
    notice_topics,
    notification_mark_read,
    notification_preferences_set,
    notifications_mark_all_read,
    preferences_of,
    unread_count,
)

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str  # e.g. activities.enrollment.accepted
    topic: str  # the preference topic the kind belongs to (see /notifications/preferences)
    title: str
    body: str
    url: str  # a path on this site ("" = none)
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool


class UnreadCountOut(Schema):
    unread: int = Field(..., description=f"unread notices, counted up to {BADGE_CAP + 1}")
    capped: bool = Field(..., description=f"true when there are more than {BADGE_CAP} (show {BADGE_CAP}+)")


class MarkedOut(Schema):
    marked: int


class TopicPreferenceOut(Schema):
    topic: str
    label: str
    email: bool
    sms: bool
    sms_available: bool  # false: this topic never goes by SMS


class PreferencesOut(Schema):
    items: list[TopicPreferenceOut]


class ChannelChoiceIn(InSchema):
    email: bool | None = None
    sms: bool | None = None


class PreferencesIn(InSchema):
    topics: dict[str, ChannelChoiceIn] = Field(..., description="topic key → channels to change; topics not named keep theirs")


def _prefs_out(prefs: dict) -> dict:
    return {
        "items": [
            {"topic": t.key, "label": str(t.label), "email": prefs[t.key]["email"], "sms": prefs[t.key]["sms"],
             "sms_available": bool(t.sms_template)}
            for t in notice_topics()
        ]
    }  # fmt: skip


list_operation(router, "", NOTIFICATIONS, row=NotificationOut, operation_id="list_notifications",
               to_row=notification_row, errors=ERRORS)  # fmt: skip


@router.get("/unread-count", response={200: UnreadCountOut, **ERRORS}, operation_id="count_unread_notifications")
def count_unread_notifications(request):
    """My unread notices (the badge): one bounded query."""
    n = unread_count(request.user)
    return {"unread": min(n, BADGE_CAP + 1), "capped": n > BADGE_CAP}


@router.post("/read-all", response={200: MarkedOut, **ERRORS}, operation_id="mark_all_notifications_read")
def mark_all_notifications_read(request):
    """Mark all my unread notices read."""
    return {"marked": notifications_mark_all_read(actor=request.user)}


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERRORS}, operation_id="mark_notification_read")
def mark_notification_read(request, notification_id: int):
    """Mark one of my notices read (again: no change). Someone else's: 404."""
    return notification_row(notification_mark_read(actor=request.user, id=notification_id))


@router.get("/preferences", response={200: PreferencesOut, **ERRORS}, operation_id="get_notification_preferences")
def get_notification_preferences(request):
    """Which topics reach me by e-mail and by SMS (the in-app centre always)."""
    return _prefs_out(preferences_of(request.user))


@router.put("/preferences", response={200: PreferencesOut, **ERRORS}, operation_id="set_notification_preferences")
def set_notification_preferences(request, payload: PreferencesIn):
    """Change my channels per topic; an unknown topic, or SMS for a topic without SMS, is a 422
    and nothing is saved."""
    choices = {k: v.model_dump(exclude_none=True) for k, v in payload.topics.items()}
    return _prefs_out(notification_preferences_set(actor=request.user, choices=choices))
