"""Who may do what with a volunteer (fetch-and-authorize: 404 for invisible, 403 for
visible-but-not-allowed).

* Seeing a volunteer: ``Volunteer.objects.visible_to(actor)`` — region managers by residence
  region prefix, platform admins everywhere, plus what higher apps add through scope providers
  (organization admins see their members). Restricted people (consent withdrawn) are excluded.
* Managing a volunteer (reveal the document number, change status, resolve corrections,
  register on someone's behalf): platform admins, and region managers whose region contains
  the volunteer's residence. An organization admin can see its members but not manage them.
"""

from django.utils.translation import gettext_lazy as _

from zhiyuan.accounts.scopes import MANAGE, VIEW, actor_is_platform_admin, actor_region_prefixes, can, get_for, region_in_scope
from zhiyuan.core.errors import PermissionDenied
from zhiyuan.volunteers.models import Volunteer

MANAGE_DENIED = _("只有志愿者所在区域的管理员或平台管理员可以执行此操作。")


def region_manageable(actor, region_code: str) -> bool:
    """May the actor register or place a volunteer in ``region_code`` (VolunteerQuerySet.region_actions)?"""
    return region_in_scope(actor, region_code)


def is_volunteer_manager(actor) -> bool:
    """Holds any role that manages volunteers (platform admin or region manager)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor_is_platform_admin(actor) or bool(actor_region_prefixes(actor))


def require_importer(actor) -> None:
    """403 unless the actor may bulk-import volunteers (VOL-10: a volunteer manager)."""
    if not is_volunteer_manager(actor):
        raise PermissionDenied(_("只有区域管理员或平台管理员可以批量导入志愿者。"))


def can_manage_volunteer(actor, volunteer: Volunteer) -> bool:
    return can(actor, volunteer, MANAGE)


def volunteer_get_visible(actor, volunteer_id: int, *, include_restricted: bool = False) -> Volunteer:
    """404 unless the actor may see the volunteer."""
    return get_for(actor, Volunteer, volunteer_id, VIEW, include_restricted=include_restricted)


def volunteer_get_for_manage(actor, volunteer_id: int, *, for_update: bool = False, include_restricted=False) -> Volunteer:
    """404 if invisible, 403 if visible but not manageable by the actor."""
    qs = Volunteer.objects.select_for_update() if for_update else Volunteer.objects.all()
    return get_for(actor, qs, volunteer_id, MANAGE, message=MANAGE_DENIED, include_restricted=include_restricted)
