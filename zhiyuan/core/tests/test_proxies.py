"""Issue #11 item 6: behind a reverse proxy — the client address a proxy vouches for, and the
HTTPS settings ``check --deploy`` asks for, switched on by environment variables."""

import json
import subprocess
import sys

import pytest

from zhiyuan.testing_sites import ROOT

API = "/api/v1/volunteers/register"


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_registration_limit(client, settings):
    """One host, 21 attempts, each with an invented leftmost address: the 21st is refused."""
    from zhiyuan.volunteers.api import REGISTER_RATE
    from zhiyuan.volunteers.tests.factories import registration_data

    settings.ZHIYUAN_TRUSTED_PROXIES = 1
    body = registration_data()  # the same person: one 201, then duplicates (400), then the limit
    codes = []
    for n in range(REGISTER_RATE + 1):
        r = client.post(
            API, data=json.dumps(body), content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.9.{n}.1, 203.0.113.7", REMOTE_ADDR="127.0.0.1",
        )  # fmt: skip
        codes.append(r.status_code)
    assert 429 not in codes[:REGISTER_RATE] and codes[-1] == 429


def deploy_warnings(**env) -> str:
    base = {"ZHIYUAN_SECURE_COOKIES": "1", "ZHIYUAN_ALLOWED_HOSTS": "zy.example.gov.cn"}
    import os

    full = {**os.environ, **base, **env, "ZHIYUAN_DEBUG": "0"}
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"],
        cwd=ROOT, env=full, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout + out.stderr


def test_https_settings_are_environment_options():
    default = deploy_warnings()
    assert "security.W004" in default and "security.W008" in default
    production = deploy_warnings(
        ZHIYUAN_SSL_REDIRECT="1", ZHIYUAN_HSTS_SECONDS="31536000", ZHIYUAN_HSTS_INCLUDE_SUBDOMAINS="1",
        ZHIYUAN_PROXY_TLS_HEADER="1",
    )  # fmt: skip
    assert "security.W004" not in production and "security.W008" not in production


@pytest.mark.django_db
def test_the_proxy_tls_header_makes_a_request_secure(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/", HTTP_X_FORWARDED_PROTO="https").status_code != 301
    assert client.get("/").status_code == 301
