#!/usr/bin/env bash
# Schema-driven HTTP fuzzing: schemathesis reads the demo's own OpenAPI document and
# sends the demo generated requests, valid and invalid, checking every answer:
#   not_a_server_error           no 5xx
#   response_schema_conformance  the body matches the documented schema (the envelope)
#   content_type_conformance     the documented content type
#   apiview_envelope             (ours, scripts/fuzz_http_hooks.py) exactly the simple
#                                envelope; an error code the operation documents; no
#                                SysError (a panic) except where expected; an X-Request-Id
# This installs schemathesis; `cargo xtask fuzz-http` (xtask/src/fuzz_http.rs) starts
# the demo, runs schemathesis against it and sums up its reports.
#
# Environment (defaults finish in about 2-3 minutes after the build):
#   FUZZ_HTTP_MAX_TIME=150       seconds for the whole schemathesis run (fuzzing repeats
#                                until they are spent)
#   FUZZ_HTTP_MAX_EXAMPLES=100   test cases per operation in each phase and round
#   FUZZ_HTTP_OPENAPI=3.1        the document's version, 3.1 or 3.0
#   FUZZ_HTTP_WORKERS=1          concurrent schemathesis workers
#   FUZZ_HTTP_SEED=              a seed, to replay a run (printed at the end)
#   FUZZ_HTTP_EXAMPLE=demo       the server: demo, or snippets (the whole application,
#                                on a fresh SQLite file; reports in target/fuzz-http-snippets/)
#   FUZZ_HTTP_SYS_ERROR_PATHS=/boom  paths whose SysError answers are expected (the
#                                demo's /boom; none for the snippets)
# Reports (JSON, NDJSON of every request) go to target/fuzz-http/.
set -euo pipefail
cd "$(dirname "$0")/.."

script=fuzz-http.sh
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# schemathesis in a venv of its own under target/ (its dependencies are many; test.sh's
# venv stays small).
python_venv target/venv-fuzz schemathesis
exec cargo xtask fuzz-http
