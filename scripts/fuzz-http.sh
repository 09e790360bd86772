#!/usr/bin/env bash
# Schema-driven HTTP fuzzing: schemathesis reads the demo's own OpenAPI document and
# sends the demo generated requests, valid and invalid, checking every answer:
#   not_a_server_error           no 5xx
#   response_schema_conformance  the body matches the documented schema (the envelope)
#   content_type_conformance     the documented content type
#   apiview_envelope             (ours, below) exactly the simple envelope; an error code
#                                the operation documents; no SysError (a panic) except
#                                where expected; an X-Request-Id
#
# Environment (defaults finish in about 2-3 minutes after the build):
#   FUZZ_HTTP_MAX_TIME=150       seconds for the whole schemathesis run (fuzzing repeats
#                                until they are spent)
#   FUZZ_HTTP_MAX_EXAMPLES=100   test cases per operation in each phase and round
#   FUZZ_HTTP_OPENAPI=3.1        the document's version, 3.1 or 3.0
#   FUZZ_HTTP_WORKERS=1          concurrent schemathesis workers
#   FUZZ_HTTP_SEED=              a seed, to replay a run (printed at the end)
#   FUZZ_HTTP_SYS_ERROR_PATHS=/boom  paths whose SysError answers are expected
# Reports (JSON, NDJSON of every request) go to target/fuzz-http/.
set -euo pipefail
cd "$(dirname "$0")/.."

max_time=${FUZZ_HTTP_MAX_TIME:-150}
max_examples=${FUZZ_HTTP_MAX_EXAMPLES:-100}
openapi=${FUZZ_HTTP_OPENAPI:-3.1}
workers=${FUZZ_HTTP_WORKERS:-1}
seed=${FUZZ_HTTP_SEED:-}
export FUZZ_HTTP_SYS_ERROR_PATHS=${FUZZ_HTTP_SYS_ERROR_PATHS:-/boom}
case "$openapi" in
    3.0 | 3.1) ;;
    *) echo "fuzz-http.sh: FUZZ_HTTP_OPENAPI must be 3.0 or 3.1, not '$openapi'" >&2; exit 2 ;;
esac

pid=""
workdir=$(mktemp -d)
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

script=fuzz-http.sh
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
need python3 python3

# schemathesis in a venv of its own under target/ (its dependencies are many; test.sh's
# venv stays small).
venv=target/venv-fuzz
if [ ! -x "$venv/bin/st" ]; then
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        echo "fuzz-http.sh: installing python3-venv (for python3 -m venv)"
        apt_install python3-venv
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
fi

echo "== building the demo"
cargo build --quiet --example demo
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
demo="$target_dir/debug/examples/demo"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
# Not APIVIEW_*-prefixed variables of our own: the demo reads every APIVIEW_* as a setting.
APIVIEW_SWAGGER__OPENAPI_VERSION="$openapi" RUST_LOG=warn "$demo" --addr "127.0.0.1:$port" \
    >"$workdir/demo.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' \
        "$port" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "fuzz-http.sh: the demo exited early:"; cat "$workdir/demo.log"; exit 1; }
    sleep 0.1
done

cat >"$workdir/apiview_hooks.py" <<'PY'
"""apiview's own check: what the generic OpenAPI checks cannot know."""
import json
import os

import schemathesis

SYS_ERROR = 1001000000
SYS_ERROR_PATHS = set(filter(None, os.environ.get("FUZZ_HTTP_SYS_ERROR_PATHS", "").split(",")))


def documented_codes(case):
    codes = set()
    for response in (case.operation.definition.raw.get("responses") or {}).values():
        for media in (response.get("content") or {}).values():
            values = [example.get("value") for example in (media.get("examples") or {}).values()]
            values.append(media.get("example"))
            for value in values:
                if isinstance(value, dict) and isinstance(value.get("error"), dict):
                    codes.add(value["error"].get("code"))
    return codes


@schemathesis.check
def apiview_envelope(ctx, response, case):
    """Exactly the simple envelope, a documented error code, no unexpected SysError."""
    if response.status_code >= 500:
        return None  # not_a_server_error's concern
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"the body is not JSON: {response.content[:200]!r}")
    if not isinstance(body, dict) or "success" not in body:
        raise AssertionError(f"not the simple packer's envelope (run the demo with packer = simple): {body!r}")
    if not response.headers.get("x-request-id", [""])[0]:
        raise AssertionError("no X-Request-Id header")
    if body["success"] is True:
        if set(body) != {"success", "result"}:
            raise AssertionError(f"a success envelope has exactly `success` and `result`: {body!r}")
        return None
    if set(body) != {"success", "error"} or body["success"] is not False:
        raise AssertionError(f"an error envelope has exactly `success: false` and `error`: {body!r}")
    error = body["error"]
    if not (isinstance(error, dict) and set(error) == {"code", "message"} and isinstance(error["code"], int)
            and isinstance(error["message"], str) and error["message"]):
        raise AssertionError(f"`error` is {{code: integer, message: text}}: {error!r}")
    if error["code"] == SYS_ERROR and case.operation.path not in SYS_ERROR_PATHS:
        raise AssertionError(f"SysError (a panic or an internal failure; see the demo's log): {body!r}")
    codes = documented_codes(case)
    if error["code"] not in codes:
        raise AssertionError(f"error code {error['code']} is not among the operation's documented ones "
                             f"{sorted(codes)}: {body!r}")
    return None
PY

# No crash cache (schemathesis keeps one in ./.schemathesis/ by default): every run is
# fresh, and replayed by its seed.
printf '[cache]\nenabled = false\n' >"$workdir/schemathesis.toml"

reports="target/fuzz-http"
rm -rf "$reports"
mkdir -p "$reports"
echo "== schemathesis against the demo's OpenAPI $openapi document ($base/apiview/openapi.json)"
echo "   at most ${max_time}s, ${max_examples} test cases per operation and phase, $workers worker(s)"
st_args=(
    --config-file "$workdir/schemathesis.toml"
    run "$base/apiview/openapi.json" --url "$base"
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,apiview_envelope
    --max-time "$max_time" --max-examples "$max_examples" --workers "$workers"
    --request-timeout 30 --generation-database none --no-color
    --report json,ndjson --report-dir "$reports"
    --report-json-path "$reports/report.json" --report-ndjson-path "$reports/events.ndjson"
)
[ -z "$seed" ] || st_args+=(--seed "$seed")
status=0
SCHEMATHESIS_HOOKS="$workdir/apiview_hooks.py" timeout $((max_time + 300)) "$venv/bin/st" "${st_args[@]}" \
    >"$reports/schemathesis.txt" 2>&1 || status=$?
kill -0 "$pid" 2>/dev/null || { echo "fuzz-http.sh: the demo died during the run:"; tail -50 "$workdir/demo.log"; status=1; }
if [ "$status" -ne 0 ]; then
    tail -n 80 "$reports/schemathesis.txt"
    echo "--- the demo's log (last 30 lines):"
    tail -n 30 "$workdir/demo.log"
fi

python3 - "$reports" "$status" "$openapi" <<'PY'
import collections, json, sys

reports, status, openapi = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(f"{reports}/report.json") as file:
        report = json.load(file)
except (OSError, ValueError) as err:
    print(f"fuzz-http.sh: no schemathesis report ({err}); its output is in {reports}/schemathesis.txt")
    sys.exit(1)
statuses = collections.Counter()
with open(f"{reports}/events.ndjson") as file:
    for line in file:
        event = json.loads(line)
        recorder = event.get("ScenarioFinished", {}).get("recorder", {})
        for interaction in recorder.get("interactions", {}).values():
            response = interaction.get("response")
            statuses[response["status_code"] if response else "no answer"] += 1
operations, cases = report["operations"], report["test_cases"]
server_errors = sum(count for code, count in statuses.items() if isinstance(code, int) and code >= 500)
print(f"fuzz-http summary (OpenAPI {openapi} document):")
print(f"  operations tested  {operations['tested']} of {operations['total']}")
print(f"  requests sent      {sum(statuses.values())}  (by status: {dict(sorted(statuses.items(), key=str))})")
print(f"  test cases         {cases['generated']}")
print(f"  failures           {cases['with_failures']} test cases, {cases['unique_failures']} unique; "
      f"{len(report['errors'])} errors")
print(f"  5xx answers        {server_errors}")
print(f"  time               {report['running_time']:.0f}s, seed {report['seed']}")
print(f"  reports            {reports}/ (report.json, events.ndjson, schemathesis.txt)")
sys.exit(1 if status or cases["with_failures"] or report["errors"] or server_errors else 0)
PY
