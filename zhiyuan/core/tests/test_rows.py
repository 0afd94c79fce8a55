"""``core.rows.row_insert``: the hot paths' INSERT compiled once per model writes what
``objects.create`` writes — defaults, conversions, the new id — and a broken constraint is an
IntegrityError as with the ORM. (The check-in tests cover JSON, decimals and datetimes.)"""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhiyuan.core.models import Notification
from zhiyuan.core.rows import row_insert

pytestmark = pytest.mark.django_db


def test_the_row_is_what_create_writes(plain_user, django_assert_num_queries):
    read = timezone.now() - dt.timedelta(hours=1)
    with django_assert_num_queries(1):
        mine = row_insert(Notification(user=plain_user, kind="x", title="标题", read_at=read, unread=False, dedupe_key="k1"))
    theirs = Notification.objects.create(user=plain_user, kind="x", title="标题", read_at=read, unread=False, dedupe_key="k2")
    assert mine.pk and not mine._state.adding
    stored = Notification.objects.get(pk=mine.pk)
    other = Notification.objects.get(pk=theirs.pk)
    for f in ("user_id", "kind", "title", "body", "url", "read_at", "unread"):
        assert getattr(stored, f) == getattr(other, f), f
    assert stored.unread is False and abs(stored.created_at - other.created_at) < dt.timedelta(minutes=1)


def test_a_broken_constraint_is_an_integrity_error(plain_user):
    row_insert(Notification(user=plain_user, kind="x", title="一", dedupe_key="same"))
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(Notification(user=plain_user, kind="x", title="二", dedupe_key="same"))
    assert Notification.objects.filter(user=plain_user).count() == 1
