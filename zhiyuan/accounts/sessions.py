"""The database session engine with its one read per request written out (SESSION_ENGINE).

Django's ``db`` engine builds ``Session.objects.get(session_key=…, expire_date__gt=now)`` through
the ORM on every signed-in request; compiling it cost more than running it (a tenth of a
sign-up, docs/benchmarks.md §15). Same table, same rule (an expired row is no session),
everything else — writes, cycling the key, clearing — is Django's."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        q = connection.ops.quote_name
        data, key, expires = (model._meta.get_field(f).column for f in ("session_data", "session_key", "expire_date"))
        sql = f"SELECT {q(data)} FROM {q(model._meta.db_table)} WHERE {q(key)} = %s AND {q(expires)} > %s"  # noqa: S608
        with connection.cursor() as cur:
            cur.execute(sql, [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cur.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
