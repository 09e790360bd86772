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

apt_updated=0
need() { # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "test.sh: installing $2 (for $1)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ "$apt_updated" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
}

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

echo "== cargo test (unit, integration over HTTP, doc and compile-fail tests)"
cargo test --workspace --all-targets --all-features
cargo test --workspace --doc --all-features

echo "== the demo binary, once per packer"
cargo build --example demo
for packer in simple deetr dmrs; do
    settings="$workdir/$packer.toml"
    sed "s/^packer = .*/packer = \"$packer\"/" apiview.toml >"$settings"
    port=$(free_port)
    APIVIEW_SETTINGS="$settings" RUST_LOG=warn ./target/debug/examples/demo --addr "127.0.0.1:$port" &
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
    RUST_LOG=warn ./target/debug/examples/redis_cache --addr "127.0.0.1:$port" &
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

echo "== all tests passed"
