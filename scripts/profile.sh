#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable whatever else
# the machine is doing, unlike requests/s. Profiles one server (the demo or the
# baseline) over N keep-alive requests to one path, after a warm-up, and prints the
# instructions per request and the functions that cost most.
#
#   scripts/profile.sh demo /ping              # 2000 requests (PROFILE_REQUESTS)
#   scripts/profile.sh baseline /add?a=1&b=2
#   scripts/profile.sh demo /echo '{"msg":"hello"}'   # a JSON body: POST
#
# The callgrind output stays in target/profile/<server>-<path>.out for
# callgrind_annotate or kcachegrind. Installs valgrind when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { echo "usage: scripts/profile.sh demo|baseline PATH [JSON-BODY]" >&2; exit 2; }
server=$1 path=$2 body=${3:-}
requests=${PROFILE_REQUESTS:-2000}
target_dir=${CARGO_TARGET_DIR:-target}

if ! command -v valgrind >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
fi
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^APIVIEW_' || true)

cargo build --release --quiet --example "$server"
mkdir -p target/profile
out="target/profile/$server-$(printf '%s' "$path" | tr -c 'A-Za-z0-9_' '_').out"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$target_dir/release/examples/$server" --addr "127.0.0.1:$port" 2>"$out.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

python3 - "$port" "$path" "$body" "$requests" "$pid" <<'PY'
import http.client, subprocess, sys, time

port, path, body, requests, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
for _ in range(600):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
        connection.connect()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("profile.sh: the server did not start")

def send(count):
    for _ in range(count):
        if body:
            connection.request("POST", path, body, {"Content-Type": "application/json"})
        else:
            connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status

send(200)  # warm-up: caches filled, lazy statics built, the connection pooled
subprocess.run(["callgrind_control", "--instr=on", pid], check=True, capture_output=True)
subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
send(requests)
subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
PY

kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
trap - EXIT
# The dump triggered above is the file with the highest suffix.
dump=$(ls -1v "$out".[0-9]* | tail -1)
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')
echo "$server $path: $((total / requests)) instructions per request ($requests requests; $dump)"
callgrind_annotate --inclusive=no "$dump" 2>/dev/null | sed -n '/file:function/,$p' | head -"${PROFILE_TOP:-25}" || true
