"""The notification centre's pages (SPEC ACT-7): the list (phone-first cards, unread first),
opening a notice (marks it read, then follows its link), marking one or all read. Thin: the
services are in ``core/notifications.py``; another user's notice is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhiyuan.core.errors import NotFound
from zhiyuan.core.lists import list_page
from zhiyuan.core.notification_lists import NOTIFICATIONS
from zhiyuan.core.notifications import notification_mark_read, notifications_mark_all_read


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@never_cache
@require_GET
def notification_list(request):
    return list_page(request, NOTIFICATIONS, "core/notification_list.html")


@login_required
@require_GET
def notification_open(request, notice_id: int):
    """Follow a notice's link, marking it read (a notice without a link: back to the centre)."""
    try:
        notice = notification_mark_read(actor=request.user, id=notice_id)
    except NotFound:
        raise Http404 from None
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read(request, notice_id: int):
    try:
        notification_mark_read(actor=request.user, id=notice_id)
    except NotFound:
        raise Http404 from None
    return _back(request)


@login_required
@require_POST
def notification_read_all(request):
    n = notifications_mark_all_read(actor=request.user)
    if n:
        messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": n})
    return _back(request)
