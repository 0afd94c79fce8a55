#!/usr/bin/env bash
# API contract fuzzing (issue #8): schemathesis over the whole OpenAPI document against a live
# server, once with a region manager's write token and once anonymous. Fails on any 5xx, any
# status the document does not list for the operation, and any undocumented content type.
#
# Self-contained: a throw-away SQLite database and var/ directory with the demo data
# (广东省 regions only), gunicorn on 127.0.0.1:$ZHIYUAN_FUZZ_PORT, both removed at the end.
# Bounded: a fixed number of examples per operation and a fixed seed, and a time limit per run.
#   ZHIYUAN_FUZZ_EXAMPLES (default 8)  ZHIYUAN_FUZZ_SECONDS (default 75 per run)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${ZHIYUAN_VENV:-.venv}"
PY="$VENV/bin/python"
BIN="$VENV/bin"
PORT="${ZHIYUAN_FUZZ_PORT:-8765}"
EXAMPLES="${ZHIYUAN_FUZZ_EXAMPLES:-8}"
SECONDS_PER_RUN="${ZHIYUAN_FUZZ_SECONDS:-75}"
WORK="$(mktemp -d -t zhiyuan-fuzz-XXXXXX)"
SERVER=""

cleanup() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export ZHIYUAN_VAR_DIR="$WORK" ZHIYUAN_PRIVATE_DIR="$WORK/private" ZHIYUAN_DEMO=1
export DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3"
export ZHIYUAN_API_TOKEN_RATE=1000000  # the fuzzer's token must not spend its run on 429s
export ZHIYUAN_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend"
export ZHIYUAN_STATIC_ROOT="$WORK/static"  # error pages need the static manifest
unset ZHIYUAN_DEBUG || true

"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py createcachetable
"$PY" manage.py collectstatic --noinput -v 0
"$PY" manage.py demo_seed --quiet --province 44
# A write token of the demo city manager (惠州市): the fuzzer reads and writes inside a scope.
TOKEN="$("$PY" manage.py shell -c "
from zhiyuan.accounts.models import User
from zhiyuan.accounts.services import api_token_create
from zhiyuan.demo.data import DEMO_LOGINS
user = User.objects.get(mobile=DEMO_LOGINS['city_manager']['mobile'])
print('TOKEN=' + api_token_create(actor=user, name='schemathesis', can_write=True)[1])
" | sed -n 's/^TOKEN=//p')"

"$BIN/gunicorn" zhiyuan.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
  --error-logfile "$WORK/gunicorn.log" &
SERVER=$!
for _ in $(seq 1 50); do
  "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/api/v1/ping', timeout=1)" 2>/dev/null && break
  sleep 0.2
done

SCHEMA="http://127.0.0.1:$PORT/api/v1/openapi.json"
fuzz() {
  # A run that goes over its time is a failure too (exit 124): lower EXAMPLES, don't drop the step.
  timeout --kill-after=10 "$SECONDS_PER_RUN" "$BIN/schemathesis" run "$SCHEMA" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance \
    --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" --seed 8 --no-shrink \
    --workers 1 --request-timeout 20 --suppress-health-check all --warnings off \
    --output-truncate true "$@"
}

status=0
echo "--- as a region manager (write token)"
# (not revoke_token: revoking its own token would turn the rest of the run into 401s)
fuzz -H "Authorization: Bearer $TOKEN" --exclude-operation-id revoke_token || status=$?
echo "--- anonymous"
fuzz || status=$((status ? status : $?))
if [ "$status" -ne 0 ] && [ -s "$WORK/gunicorn.log" ]; then
  echo "--- server log"
  tail -n 80 "$WORK/gunicorn.log"
fi
exit "$status"
