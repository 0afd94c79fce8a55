"""A column compared with a whole list of values bound as ONE query parameter.

``Model.objects.filter(one_of("volunteer_id", ids))`` means ``volunteer_id IN ids``, but where
Django's ``__in`` makes a placeholder, a parameter and a conversion per value — for an enrolment
list of 1,000 volunteers that client-side work costs several times the query itself (issue 9:
the batch eligibility check) — this binds the list once:

* PostgreSQL: ``volunteer_id = ANY(%s)`` with the list as one array (an index scan, like IN);
* SQLite: ``volunteer_id IN (SELECT value FROM json_each(%s))`` with the list as one JSON text
  (SQLite probes the column's index once per value, like IN).

Values are ints or strings; an empty list matches nothing.
"""

import json

from django.db.models import F, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs, rhs):
        super().__init__(lhs, [v if isinstance(v, int | str) else str(v) for v in rhs])

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(list(self.rhs))]  # noqa: S608


def one_of(field: str, values) -> AnyOf:
    """``field`` is one of ``values``: a filter expression (``qs.filter(one_of(...))``, or inside
    ``Q(...)``)."""
    return AnyOf(F(field), list(values))
