#!/usr/bin/env bash
# The one test command: installs what the tests need, runs every test, and runs the
# demo binary once per packer against real HTTP. Everything started here is stopped
# on exit, even when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

pids=()
workdir=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

script=test.sh
# Where cargo builds (CARGO_TARGET_DIR, as cargo reads it); tools and reports stay in target/.
target_dir=${CARGO_TARGET_DIR:-target}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # wait_for_port PORT PID
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
        kill -0 "$2" 2>/dev/null || { echo "test.sh: the demo exited early"; return 1; }
        sleep 0.1
    done
    echo "test.sh: the demo did not start listening on port $1"
    return 1
}

need curl curl
need python3 python3
need redis-server redis-server   # the cache tests start their own private servers

# Python tools in a venv under target/: the OpenAPI validator, and `cryptography`
# for the test that implements the safe wire format independently.
venv=target/venv
if [ ! -x "$venv/bin/openapi-spec-validator" ] || ! "$venv/bin/python" -c 'import cryptography' 2>/dev/null; then
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        echo "test.sh: installing python3-venv (for python3 -m venv)"
        apt_install python3-venv
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator cryptography
fi
# Not APIVIEW_*: apiview reads every APIVIEW_* variable as a setting and refuses unknown ones.
export CRYPTO_TEST_PYTHON="$PWD/$venv/bin/python"

echo "== cargo test (unit, integration over HTTP, doc and compile-fail tests)"
cargo test --workspace --all-targets --all-features
cargo test --workspace --doc --all-features

echo "== the demo binary, once per packer"
cargo build --example demo
for packer in simple deetr dmrs; do
    settings="$workdir/$packer.toml"
    sed "s/^packer = .*/packer = \"$packer\"/" apiview.toml >"$settings"
    port=$(free_port)
    # RUST_BACKTRACE=1: a caught panic must still be logged once, without a backtrace.
    APIVIEW_SETTINGS="$settings" RUST_LOG=warn RUST_BACKTRACE=1 "$target_dir"/debug/examples/demo --addr "127.0.0.1:$port" \
        >"$workdir/demo-$packer.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_for_port "$port" "$pid"
    python3 - "$packer" "$port" <<'PY'
import json, sys, urllib.request

packer, port = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"

def call(path, data=None, headers=None):
    request = urllib.request.Request(base + path, data=data, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return json.load(response), response.headers

def unpack(body):
    if packer == "simple":
        return (body["result"], None) if body["success"] else (None, body["error"]["code"])
    if packer == "deetr":
        assert set(body) == {"data", "errcode", "errmsg", "time", "reqid"}, body
        return (body["data"], None) if body["errcode"] == 0 else (None, body["errcode"])
    assert set(body) == {"data", "message", "returnCode", "successSign"}, body
    return (body["data"], None) if body["successSign"] else (None, body["returnCode"])

checks = [
    (call("/ping"), ("pong", None)),
    (call("/add?a=1&b=2"), (3, None)),
    (call("/add?a=101&b=2"), (None, 1001060002)),
    (call("/echo", json.dumps({"msg": "hello"}).encode(), {"Content-Type": "application/json"}), ("hello", None)),
    (call("/pick?op=mul"), (None, 1001060002)),
    (call("/secure", headers={"aclkey": "test-aclkey"}), ("ok", None)),
    (call("/secure", headers={"aclkey": "wrong"}), (None, 1001040004)),
    (call("/boom"), (None, 1001000000)),
    (call("/ping"), ("pong", None)),
]
for (body, headers), expected in checks:
    assert unpack(body) == expected, (packer, body, expected)
    assert len(headers["X-Request-Id"]) == 32, headers
print(f"demo with the {packer} packer: {len(checks)} answers as expected")
PY
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    python3 - "$workdir/demo-$packer.log" <<'PY'
import sys
log = open(sys.argv[1], encoding="utf-8", errors="replace").read()
panics = [line for line in log.splitlines() if "endpoint panicked" in line]
assert len(panics) == 1, f"one logged panic for one /boom, not {len(panics)}:\n{log[-3000:]}"
assert "location" in panics[0] and "endpoints.rs" in panics[0], panics[0]
assert "stack backtrace" not in log and len(log) < 4096, f"{len(log)} bytes of log:\n{log[:3000]}"
print(f"the caught panic was logged in {len(panics[0])} bytes, without a backtrace")
PY
done

echo "== the safe example: a client and a server over the safe packer"
cargo run --quiet --example safe --features client

echo "== the redis_cache example against a private redis-server"
cargo build --example redis_cache
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$workdir/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 50); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$redis_port" 2>/dev/null && break
    sleep 0.1
done
port=$(free_port)
APIVIEW_SETTINGS=examples/redis_cache/apiview.toml APIVIEW_CACHE__BACKENDS__DEFAULT="redis://127.0.0.1:$redis_port/0" \
    RUST_LOG=warn "$target_dir"/debug/examples/redis_cache --addr "127.0.0.1:$port" &
pid=$!
pids+=("$pid")
wait_for_port "$port" "$pid"
python3 - "$port" "$redis_port" <<'PY'
import json, socket, sys, time, urllib.request

port, redis_port = sys.argv[1], int(sys.argv[2])
def get(path, method="GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    started = time.monotonic()
    with urllib.request.urlopen(request) as response:
        return json.load(response), time.monotonic() - started

def redis(*command):
    with socket.create_connection(("127.0.0.1", redis_port)) as connection:
        request = f"*{len(command)}\r\n" + "".join(f"${len(part)}\r\n{part}\r\n" for part in command)
        connection.sendall(request.encode())
        return connection.recv(4096).decode()

first, slow = get("/square?n=12")
second, fast = get("/square?n=12")
assert first == second == {"success": True, "result": 144}, (first, second)
assert slow >= 0.2 > fast, (slow, fast)
assert redis("EXISTS", "square:12").strip() == ":1", "the result is not in Redis"
ttl = int(redis("TTL", "square:12").strip()[1:])
assert 0 < ttl <= 60, ttl
forgotten, _ = get("/forget?n=12", "POST")
assert forgotten == {"success": True, "result": 1}, forgotten
assert redis("EXISTS", "square:12").strip() == ":0"
print("redis_cache example: computed, served from Redis, TTL set, invalidated")
PY
kill "$pid"
wait "$pid" 2>/dev/null || true

echo "== the OpenAPI documents, checked by a standard validator (openapi-spec-validator)"
docs="$workdir/openapi"
mkdir -p "$docs"
cargo build --example demo
"$target_dir"/debug/examples/demo --print-openapi >"$docs/demo-3.1.json"
APIVIEW_SWAGGER__OPENAPI_VERSION=3.0 "$target_dir"/debug/examples/demo --print-openapi >"$docs/demo-3.0.json"
python3 - "$docs" <<'PY'
import json, sys
docs = sys.argv[1]
for name, version in [("demo-3.1", "3.1.0"), ("demo-3.0", "3.0.3")]:
    with open(f"{docs}/{name}.json") as file:
        document = json.load(file)
    assert document["openapi"] == version, (name, document["openapi"])
    contract = {"/ping", "/echo", "/add", "/pick", "/secure", "/only_get", "/boom", "/whoami", "/body",
                "/cached_add", "/note_get", "/note_set"}
    assert contract <= set(document["paths"]), sorted(contract - set(document["paths"]))
PY
# The documents the integration tests build: bad doc comments, models, every packer.
OPENAPI_DUMP_DIR="$docs/tests" cargo test --quiet --all-features --test openapi
"$venv/bin/openapi-spec-validator" "$docs"/*.json "$docs"/tests/*.json

echo "== schema-driven HTTP fuzzing of the demo with schemathesis (short; scripts/fuzz-http.sh runs longer)"
FUZZ_HTTP_MAX_TIME=45 FUZZ_HTTP_MAX_EXAMPLES=20 scripts/fuzz-http.sh

echo "== the Swagger UI in headless Chromium"
need chromium chromium
port=$(free_port)
RUST_LOG=warn "$target_dir"/debug/examples/demo --addr "127.0.0.1:$port" &
pid=$!
pids+=("$pid")
wait_for_port "$port" "$pid"
ui="http://127.0.0.1:$port/apiview/swagger-ui.html"
chromium_run() { # chromium_run ARGS...: headless, offline-friendly, a fresh profile
    timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$workdir/chromium.XXXXXX")" --virtual-time-budget=15000 "$@" \
        2>>"$workdir/chromium.log"
}
chromium_run --dump-dom "$ui" >"$workdir/swagger-ui.dom.html"
python3 - "$docs/demo-3.1.json" "$workdir/swagger-ui.dom.html" <<'PY'
import html, json, re, sys
with open(sys.argv[1]) as file:
    document = json.load(file)
with open(sys.argv[2]) as file:
    dom = file.read()
operations = [op for item in document["paths"].values() for op in item.values()]
shown = [html.unescape(text) for text in re.findall(r'class="opblock-summary-description"[^>]*>([^<]*)<', dom)]
missing = sorted({op["summary"] for op in operations} - set(shown))
assert not missing, f"summaries not rendered by Swagger UI: {missing}"
assert len(shown) == len(operations), (len(shown), len(operations))
print(f"Swagger UI rendered all {len(operations)} operations of the demo")
PY
chromium_run --hide-scrollbars --window-size=1280,4000 --screenshot="$PWD/target/swagger-ui.png" "$ui" >/dev/null
test -s target/swagger-ui.png
echo "screenshot: target/swagger-ui.png"
kill "$pid"
wait "$pid" 2>/dev/null || true

echo "== all tests passed"
