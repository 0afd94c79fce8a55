"""Template context every page gets from core."""

from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class UnreadBadge:
    n: int

    @property
    def label(self) -> str:
        from zhiyuan.core.notifications import BADGE_CAP

        return f"{BADGE_CAP}+" if self.n > BADGE_CAP else str(self.n)


def notifications(request):
    """``notice_unread``: the signed-in user's unread notices for the badge in the top bar
    (``core.notifications.unread_count``: one bounded query on the (user, unread, id) index, run
    only when a page shows it). Anonymous visitors get no badge and no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notice_unread": UnreadBadge(0)}

    def badge():
        from zhiyuan.core.notifications import unread_count

        return UnreadBadge(unread_count(user))

    return {"notice_unread": SimpleLazyObject(badge)}
