#!/usr/bin/env bash
# The one test command: installs what the tests need, runs every test, and runs the
# example binaries against real HTTP. The binaries and the private redis-servers and
# PostgreSQL servers are started by the Rust tools (`cargo xtask check-*`,
# xtask/src/checks.rs) and the tests themselves, which stop them when they end, pass
# or fail, or are interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

script=test.sh
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

need redis-server redis-server   # the cache tests and the redis_cache check start private servers
need chromium chromium           # the Swagger UI checks
need_postgres                    # the tests start private PostgreSQL servers (tests/common/postgres.rs)

# Python tools in a venv under target/: the OpenAPI validator, `cryptography` for
# the test that implements the safe wire format independently, and
# openapi-python-client for the test that generates a client from the document.
venv=target/venv
python_venv "$venv" openapi-spec-validator jsonschema cryptography openapi-python-client
# Not APIVIEW_*: apiview reads every APIVIEW_* variable as a setting and refuses unknown ones.
export CRYPTO_TEST_PYTHON="$PWD/$venv/bin/python"
export OPENAPI_CLIENT_VENV="$PWD/$venv"

echo "== cargo test (unit, integration over HTTP, doc and compile-fail tests)"
# tests/cluster writes the figures RELIABILITY.md reports (several instances on a Redis
# Cluster and on Sentinel); shown after the run.
figures=target/tmp/cluster-figures.txt
rm -f "$figures"
cargo test --workspace --all-targets --all-features
cargo test --workspace --doc --all-features
echo "== several instances on a real Redis Cluster and Sentinel (tests/cluster): the figures"
cat "$figures"

echo "== the demo binary, once per packer"
cargo xtask check-demo

echo "== the safe example: a client and a server over the safe packer"
cargo run --quiet --example safe --features client

echo "== the redis_cache example against a private redis-server"
cargo xtask check-redis-cache

echo "== the demo as three processes on a private Redis Cluster: a miss storm, a master killed under load"
cargo xtask check-cluster

echo "== the OpenAPI documents, checked by a standard validator (openapi-spec-validator)"
docs=target/openapi
rm -rf "$docs"
cargo xtask check-openapi "$docs"
# The snippets example's document (printing it opens no database).
cargo run --quiet --example snippets -- --print-openapi >"$docs/snippets.json"
# The documents the integration tests build: bad doc comments, models, every packer.
OPENAPI_DUMP_DIR="$PWD/$docs/tests" cargo test --quiet --all-features --test openapi
"$venv/bin/openapi-spec-validator" "$docs"/*.json "$docs"/tests/*.json

echo "== schema-driven HTTP fuzzing of the demo with schemathesis (short; scripts/fuzz-http.sh runs longer)"
FUZZ_HTTP_MAX_TIME=45 FUZZ_HTTP_MAX_EXAMPLES=20 scripts/fuzz-http.sh
echo "== the same against the snippets application, on a fresh SQLite file"
FUZZ_HTTP_EXAMPLE=snippets FUZZ_HTTP_MAX_TIME=30 FUZZ_HTTP_MAX_EXAMPLES=20 scripts/fuzz-http.sh

echo "== the Swagger UI in headless Chromium, at the address the demo logs"
cargo xtask check-swagger-ui

echo "== the snippets example's Swagger UI used in headless Chromium: log in, create a snippet, list it"
cargo xtask check-snippets-ui

echo "== all tests passed"
