import datetime

from ninja import Schema

from zhiyuan.core.api import InSchema, IsoDateTime


class RoleOut(Schema):
    role: str
    role_label: str
    region_prefix: str | None = None
    region_code: str | None = None
    region_name: str = ""
    object_id: int | None = None


class TokenScopeOut(Schema):
    id: int
    can_write: bool
    region_prefix: str = ""


class MeOut(Schema):
    id: int
    mobile: str
    display_name: str
    email: str
    totp_enabled: bool
    roles: list[RoleOut]
    token: TokenScopeOut | None = None


class TokenOut(Schema):
    id: int
    name: str
    key_prefix: str
    can_write: bool
    region_prefix: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None
    last_used_at: datetime.datetime | None = None
    active: bool


class TokenCreateIn(InSchema):
    name: str
    can_write: bool = False
    region_prefix: str = ""
    expires_at: IsoDateTime | None = None


class TokenCreatedOut(TokenOut):
    secret: str


class RoleAssignmentOut(Schema):
    id: int
    user_id: int
    user_name: str
    user_mobile_masked: str
    role: str
    role_label: str
    region_code: str
    region_name: str = ""
    object_id: int | None = None
    active: bool
    granted_at: datetime.datetime
    granted_by: str = ""
    revoked_at: datetime.datetime | None = None


class RoleGrantIn(InSchema):
    mobile: str
    role: str
    region_code: str = ""
    object_id: int | None = None


class AuditEntryOut(Schema):
    id: int
    at: datetime.datetime
    actor_id: int | None = None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    result: str
    ip: str | None = None
    detail: dict
    region_code: str = ""  # the region of the object acted on ("" when none): scopes who may read it
    hash: str
