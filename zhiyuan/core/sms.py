"""The SMS channel (SPEC ACT-7: SMS as a pluggable channel; account recovery by SMS code).

Callers name a *template* and its parameters, never free text: Chinese SMS providers only send
pre-approved templates (短信模板) under a registered signature (短信签名). The backend is chosen by
``ZHIYUAN_SMS_BACKEND``:

* ``console`` (the default, and the demo's): writes the message to the server's log, so a
  developer can read the code. Never use it in production: the log would hold codes.
* ``locmem``: keeps messages in ``outbox`` (tests).
* ``aliyun``: Alibaba Cloud SMS (dysmsapi ``SendSms``), the provider most Chinese government
  platforms use. Settings: ``ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_ID``,
  ``ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_SECRET`` (or ``…_FILE``), ``ZHIYUAN_SMS_ALIYUN_SIGN_NAME`` and
  ``ZHIYUAN_SMS_ALIYUN_TEMPLATES`` (``name=TemplateCode`` pairs, comma separated).

A failed send raises ``SmsError``; callers decide whether the user may learn of it.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import secrets
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from zhiyuan.core.crypto import mask_mobile

logger = logging.getLogger("zhiyuan.sms")

# Local renderings of the templates, for the console backend and the outbox (the provider holds
# its own approved copy of each).
TEMPLATES = {
    "recovery_code": "您正在重置志愿服务信息系统的登录密码，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。",
    # notices (core.notifications topics): one parameter, the notice's title (≤ 30 characters)
    "notice_shift_reminder": "上岗提醒：{title}。请准时到岗，详情请登录志愿服务信息系统查看。",
    "notice_enrollment": "报名结果：{title}。详情请登录志愿服务信息系统查看。",
    "notice_training_renewal": "证书续期提醒：{title}。请及时参加复训，详情请登录志愿服务信息系统查看。",
}


class SmsError(Exception):
    """The message could not be handed to the provider."""


@dataclass(frozen=True)
class SmsMessage:
    mobile: str
    template: str
    params: dict

    @property
    def text(self) -> str:
        return TEMPLATES[self.template].format(**self.params)


class SmsBackend:
    def send(self, message: SmsMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(SmsBackend):
    def send(self, message: SmsMessage) -> None:
        logger.warning("SMS (console backend, not sent) to %s: %s", mask_mobile(message.mobile), message.text)


outbox: list[SmsMessage] = []


class LocmemBackend(SmsBackend):
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def _aliyun_quote(value: str) -> str:
    # Alibaba Cloud's RPC signature encodes like RFC 3986 (space as %20, "~" kept).
    return urllib.parse.quote(value, safe="~")


def aliyun_signed_query(params: dict, secret: str) -> str:
    """The query string of an Alibaba Cloud RPC request signed with signature version 1.0
    (HMAC-SHA1 over ``GET&%2F&`` + the encoded, sorted canonical query)."""
    canonical = "&".join(f"{_aliyun_quote(k)}={_aliyun_quote(str(v))}" for k, v in sorted(params.items()))
    to_sign = "GET&%2F&" + _aliyun_quote(canonical)
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return canonical + "&Signature=" + _aliyun_quote(base64.b64encode(digest).decode())


class AliyunBackend(SmsBackend):
    endpoint = "https://dysmsapi.aliyuncs.com/"
    timeout = 10

    def __init__(self):
        self.key_id = settings.ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_ID
        self.secret = settings.ZHIYUAN_SMS_ALIYUN_ACCESS_KEY_SECRET
        self.sign_name = settings.ZHIYUAN_SMS_ALIYUN_SIGN_NAME
        self.templates = dict(settings.ZHIYUAN_SMS_ALIYUN_TEMPLATES)
        if not (self.key_id and self.secret and self.sign_name):
            raise SmsError("Alibaba Cloud SMS is not configured (access key, secret, sign name)")

    def send(self, message: SmsMessage) -> None:
        template_code = self.templates.get(message.template)
        if not template_code:
            raise SmsError(f"no Alibaba Cloud template code for {message.template!r}")
        params = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": message.mobile,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16),
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps({k: str(v) for k, v in message.params.items()}, ensure_ascii=False),
            "Timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        url = self.endpoint + "?" + aliyun_signed_query(params, self.secret)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 - fixed https endpoint
                body = json.loads(response.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise SmsError(f"Alibaba Cloud SMS request failed: {exc.__class__.__name__}") from exc
        if body.get("Code") != "OK":
            raise SmsError(f"Alibaba Cloud SMS refused: {body.get('Code')} {body.get('Message')}")


BACKENDS = {
    "console": "zhiyuan.core.sms.ConsoleBackend",
    "locmem": "zhiyuan.core.sms.LocmemBackend",
    "aliyun": "zhiyuan.core.sms.AliyunBackend",
}


def sms_backend() -> SmsBackend:
    name = settings.ZHIYUAN_SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()


def sms_send(*, mobile: str, template: str, params: dict) -> None:
    """Send one templated SMS through the configured backend (raises ``SmsError``)."""
    if template not in TEMPLATES:
        raise SmsError(f"unknown SMS template {template!r}")
    sms_backend().send(SmsMessage(mobile=mobile, template=template, params=dict(params)))
