"""The session engine (accounts/sessions.py): Django's database sessions with the per-request read
written out — a live session loads, an expired or unknown one is no session."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from zhiyuan.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_live_session_loads_in_one_query(django_assert_num_queries):
    s = SessionStore()
    s["who"] = "志愿者"
    s.create()
    with django_assert_num_queries(1):
        loaded = SessionStore(s.session_key)
        assert loaded["who"] == "志愿者"
    assert loaded.session_key == s.session_key


def test_an_expired_or_unknown_session_is_none():
    s = SessionStore()
    s["who"] = "志愿者"
    s.create()
    Session.objects.filter(session_key=s.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(s.session_key)
    assert expired.get("who") is None and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


def test_writes_are_djangos(client, plain_user):
    client.force_login(plain_user)
    key = client.cookies["sessionid"].value
    assert SessionStore(key)["_auth_user_id"] == str(plain_user.pk)
    client.logout()
    assert not Session.objects.filter(session_key=key).exists()
