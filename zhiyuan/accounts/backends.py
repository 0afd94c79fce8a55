import functools

from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models import Exists, OuterRef


@functools.cache
def _user_sql(alias: str, vendor: str) -> tuple[str, tuple]:
    """The signed-in user's row and the two-factor hint, compiled once per database: building
    this statement through the ORM on every request cost more than running it."""
    from zhiyuan.accounts.models import RoleAssignment, User
    from zhiyuan.accounts.roles import TWO_FACTOR_ROLES
    from zhiyuan.accounts.scopes import TWO_FACTOR_HINT

    held = RoleAssignment.objects.filter(user=OuterRef("pk"), active=True, role__in=sorted(TWO_FACTOR_ROLES))
    qs = User._default_manager.annotate(**{TWO_FACTOR_HINT: Exists(held)}).filter(pk=-7)
    sql, params = qs.query.get_compiler(using=alias).as_sql()
    if params[-1] != -7 or -7 in params[:-1]:  # the user id is the statement's last parameter
        raise AssertionError("unexpected parameters in the user statement")
    return sql, tuple(params[:-1])


class MobileBackend(ModelBackend):
    """Authenticate by mobile number + password. Lockout is enforced in
    ``accounts.services.login_attempt`` before this backend is reached."""

    def user_can_authenticate(self, user):
        return getattr(user, "is_active", False)

    def get_user(self, user_id):
        """The signed-in user of a request, with — in the same statement — whether they hold an
        active two-factor role assignment (``scopes.TWO_FACTOR_HINT``): the two-factor test of
        every request then needs no query of its own for the users who hold none."""
        from zhiyuan.accounts.models import User
        from zhiyuan.accounts.scopes import TWO_FACTOR_HINT

        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:
            return None
        alias = router.db_for_read(User)
        sql, params = _user_sql(alias, connections[alias].vendor)
        user = next(iter(User._default_manager.db_manager(alias).raw(sql, [*params, pk])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        setattr(user, TWO_FACTOR_HINT, bool(getattr(user, TWO_FACTOR_HINT)))  # SQLite answers 0 / 1
        return user
