#!/usr/bin/env bash
# The benchmark: the apiview demo next to a hand-written poem baseline
# (examples/baseline.rs, byte-for-byte the same answers), plus the cache endpoints
# on the embedded memory backend and on a private redis-server, plus the safe packer
# on examples/safe (`--serve`, 2048-bit throw-away keys): safe-packed /ping next to
# the same server's simple-packed /plain_ping, POST /decode_echo with a body
# encrypted for the server (the decrypt-request cost: one RSA-OAEP decryption per
# request, on the blocking pool), and /plain_ping measured while a second wrk drives
# that encrypted POST /decode_echo next to it ("mixed": do the RSA decryptions stall
# the async workers?). /decode_echo is `#[decode_encrypted_data]` without the safe
# packer: wrk sends one prepared body over and over, which a safe endpoint would
# refuse after the first copy (its requests are signed, carry a fresh nonce each and
# are accepted once, DESIGN §19), so measuring one would measure refusals.
# A control runs POST /echo on a second, identical baseline: its ratio to the first
# would be 1.00 on a quiet machine, and its spread across rounds is this run's noise.
#
#   scripts/bench.sh                       # defaults: 7 rounds of wrk -t2 -c32 -d5s
#   BENCH_DURATION=3s BENCH_ROUNDS=1 scripts/bench.sh    # a quick look
#
# Environment: BENCH_DURATION (5s), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
# BENCH_ROUNDS (7; each figure is the best round, each ratio also the median of the rounds:
# this machine's speed drifts by 10 % from one run to the next, so many short pairs
# run back to back say more than a few long ones), BENCH_WARMUP (2s per endpoint),
# BENCH_MIXED_CONNECTIONS (4: connections of the background wrk -t1 of the mixed run),
# BENCH_ALLOW_MISMATCH=1 (go on when the baseline's bytes differ from the demo's).
#
# Before the runs, a self-check sends the same requests to the demo and the baseline
# and compares the bodies, content-types and x-request-id formats. Each run reports
# requests/s, p50 and p99 (wrk --latency), the server's peak RSS during the run
# (VmHWM, reset before each run) and "other CPU": what processes outside the
# benchmark took meanwhile (a build next door, steal time), which says how far to
# trust the figures. Ratios are given for the best run of each side and per round.
#
# Installs wrk, redis-server and curl when missing (Debian packages). Everything
# it starts is stopped on exit, even on failure or Ctrl-C. The report is printed
# and written to target/bench/latest.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-5s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-7}
WARMUP=${BENCH_WARMUP:-2s}
MIXED_CONNECTIONS=${BENCH_MIXED_CONNECTIONS:-4}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

# Settings come from the files written below, not from the caller's environment.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^APIVIEW_' || true)

alive() { # alive PID: running (not exited, not a zombie)
    local state
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

pids=()
wrk_pid=""
bg_wrk_pid="" # the background load of a mixed run
workdir=$(mktemp -d "${TMPDIR:-/tmp}/apiview-bench.XXXXXX")
cleanup() {
    local pid
    [ -n "$wrk_pid" ] && kill -TERM "$wrk_pid" 2>/dev/null || true
    [ -n "$bg_wrk_pid" ] && kill -TERM "$bg_wrk_pid" 2>/dev/null || true
    for pid in "${pids[@]:-}"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]:-}"; do
        [ -n "$pid" ] || continue
        for _ in $(seq 1 20); do
            alive "$pid" || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
    echo "bench.sh: $*" >&2
    exit 1
}

# ---------------------------------------------------------------- tools

script=bench.sh
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

command -v cargo >/dev/null 2>&1 || die "cargo is needed (a Rust toolchain)"
need wrk wrk || die "wrk is needed"
need redis-server redis-server || die "redis-server is needed"
need curl curl || die "curl is needed"

# ---------------------------------------------------------------- helpers

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

used_ports=" "
free_port() { # sets REPLY to a loopback port nothing listens on
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        case "$used_ports" in *" $port "*) continue ;; esac
        if ! port_open "$port"; then
            used_ports+="$port "
            REPLY=$port
            return 0
        fi
    done
}

start() { # start NAME PORT COMMAND...: sets REPLY to the pid once the port answers
    local name=$1 port=$2
    shift 2
    # In a session of its own, so that a Ctrl-C reaches this script (whose trap stops
    # the server) rather than the server (which would shut down in the middle of a run).
    if command -v setsid >/dev/null 2>&1; then
        setsid "$@" >"$workdir/$name.log" 2>&1 &
    else
        "$@" >"$workdir/$name.log" 2>&1 &
    fi
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 1 100); do
        if port_open "$port"; then
            REPLY=$pid
            return 0
        fi
        alive "$pid" || { cat "$workdir/$name.log" >&2; die "$name exited early"; }
        sleep 0.1
    done
    die "$name did not listen on port $port"
}

redis_cmd() { # redis_cmd PORT COMMAND: prints the reply's lines (an inline command, then QUIT)
    local line
    exec 4<>"/dev/tcp/127.0.0.1/$1"
    printf '%s\r\nQUIT\r\n' "$2" >&4
    while IFS= read -r -t 2 line <&4; do
        printf '%s\n' "${line%$'\r'}"
    done
    exec 4<&- 4>&-
}

redis_stat() { # redis_stat PORT FIELD: a number of INFO stats
    redis_cmd "$1" "INFO stats" | awk -F: -v field="$2" '$1 == field { print $2 + 0 }'
}

# settings FILE CACHE-URL: the repository's apiview.toml with [cache] backends.default = URL
settings() {
    local has_table=0
    grep -Eq '^[[:space:]]*\[cache\.backends\][[:space:]]*(#.*)?$' apiview.toml && has_table=1
    awk -v url="$2" -v has_table="$has_table" '
        function header(line) { sub(/#.*/, "", line); gsub(/[ \t]/, "", line); return line }
        /^[ \t]*\[/ {
            section = header($0); print
            if (!done && ((has_table && section == "[cache.backends]") || (!has_table && section == "[cache]"))) {
                print (has_table ? "default" : "backends.default") " = \"" url "\""
                done = 1
            }
            next
        }
        section == "[cache]" && /^[ \t]*backends[ \t]*\.[ \t]*default[ \t]*=/ { next }
        section == "[cache.backends]" && /^[ \t]*default[ \t]*=/ { next }
        { print }
        END { if (!done) { print ""; print "[cache]"; print "backends.default = \"" url "\"" } }
    ' apiview.toml >"$1"
}

# latency_us TEXT: wrk's "123.45us" / "1.23ms" / "1.02s" as microseconds
latency_us() {
    awk -v t="$1" 'BEGIN {
        n = t + 0
        if (t ~ /us$/) print n; else if (t ~ /ms$/) print n * 1000
        else if (t ~ /m$/) print n * 60000000; else if (t ~ /s$/) print n * 1000000; else print n
    }'
}

# CPU accounting, to tell how much of each run's machine was taken by processes
# outside this benchmark (another build, another VM: steal time).
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
ticks_of() { # utime + stime + cutime + cstime of a process, in clock ticks
    awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# seconds_of DURATION: wrk's "10s" / "2m" / "1h" / "10" as whole seconds
seconds_of() {
    awk -v t="$1" 'BEGIN { n = t + 0; if (t ~ /h$/) n *= 3600; else if (t ~ /m$/) n *= 60; printf "%d", n }'
}

fmt_us() { awk -v u="$1" 'BEGIN { if (u < 1000) printf "%.0fus", u; else printf "%.2fms", u / 1000 }'; }

# ---------------------------------------------------------------- build and start

echo "== building the demo, the baseline and the safe example (release)"
cargo build --release --quiet --example demo --example baseline
# Apart, so that the `client` feature (reqwest) does not change the demo's build.
cargo build --release --quiet --features client --example safe
demo_bin="$TARGET_DIR/release/examples/demo"
baseline_bin="$TARGET_DIR/release/examples/baseline"
safe_bin="$TARGET_DIR/release/examples/safe"
# Where examples/safe keeps its throw-away keys and writes echo-body.json (relative to
# its working directory, the repository, whatever CARGO_TARGET_DIR says).
safe_keys=target/safe-demo-keys

settings "$workdir/memory.toml" "memory://"
free_port
redis_port=$REPLY
settings "$workdir/redis.toml" "redis://127.0.0.1:$redis_port/0"

cat >"$workdir/echo.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"msg":"hello, benchmark"}'
wrk.headers["Content-Type"] = "application/json"
LUA

# POST /body (the whole JSON body, parsed, answered back) with bodies of 1 kB, 64 kB
# and 1 MB: how the cost grows with body size. (/echo refuses a msg over 4096 chars.)
for size in 1024 65536 1048576; do
    cat >"$workdir/body_$size.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"name":"' .. string.rep("x", $((size - 20))) .. '","age":3}'
wrk.headers["Content-Type"] = "application/json"
LUA
done

declare -A port pid
free_port && port[baseline]=$REPLY
start baseline "${port[baseline]}" "$baseline_bin" --addr "127.0.0.1:${port[baseline]}"
pid[baseline]=$REPLY
# The control: a second, identical baseline. Its ratio to the first is 1 but for the
# machine's noise, which it measures in the same run as the others.
free_port && port[baseline_2]=$REPLY
start baseline_2 "${port[baseline_2]}" "$baseline_bin" --addr "127.0.0.1:${port[baseline_2]}"
pid[baseline_2]=$REPLY
free_port && port[demo]=$REPLY
start demo "${port[demo]}" env APIVIEW_SETTINGS="$workdir/memory.toml" APIVIEW_PACKER=simple RUST_LOG=warn \
    "$demo_bin" --addr "127.0.0.1:${port[demo]}"
pid[demo]=$REPLY
start redis "$redis_port" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$workdir" --logfile ""
pid[redis]=$REPLY
# The body-size runs get a demo process of their own: the memory that 1 MB bodies
# take stays with the process, and would otherwise show as the main demo's peak RSS.
free_port && port[body_demo]=$REPLY
start body_demo "${port[body_demo]}" env APIVIEW_SETTINGS="$workdir/memory.toml" APIVIEW_PACKER=simple \
    RUST_LOG=warn "$demo_bin" --addr "127.0.0.1:${port[body_demo]}"
pid[body_demo]=$REPLY
free_port && port[redis_demo]=$REPLY
start redis_demo "${port[redis_demo]}" env APIVIEW_SETTINGS="$workdir/redis.toml" APIVIEW_PACKER=simple \
    RUST_LOG=warn "$demo_bin" --addr "127.0.0.1:${port[redis_demo]}"
pid[redis_demo]=$REPLY
free_port && port[safe_demo]=$REPLY
rm -f "$safe_keys/echo-body.json"
start safe_demo "${port[safe_demo]}" "$safe_bin" --serve "127.0.0.1:${port[safe_demo]}"
pid[safe_demo]=$REPLY
# It listens, then checks that echo-body.json decrypts to the message (not to an
# encrypted error, which the benchmark would otherwise measure), then says so.
for _ in $(seq 1 100); do
    grep -q '^safe server on ' "$workdir/safe_demo.log" && break
    alive "${pid[safe_demo]}" || { cat "$workdir/safe_demo.log" >&2; die "the safe example exited early"; }
    sleep 0.1
done
grep -q '^safe server on ' "$workdir/safe_demo.log" || die "the safe example did not check its echo body"
safe_echo_body=$(cat "$safe_keys/echo-body.json")
case "$safe_echo_body" in
    *']]'* | *$'\n'*) die "$safe_keys/echo-body.json does not fit a Lua long string" ;;
esac
cat >"$workdir/safe_echo.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$safe_echo_body]]
wrk.headers["Content-Type"] = "application/json"
LUA

# ---------------------------------------------------------------- self-check

echo "== self-check: the baseline answers the demo's bytes"
checks=(
    "GET /ping"
    "POST /ping"
    "GET /add?a=1&b=2"
    "POST /add?a=1&b=2"
    "GET /add?a=101&b=2"
    "GET /add?a=x&b=2"
    "GET /add?a=1"
    "GET /add?a=1&a=2&b=3"
    "GET /add?a=1&b=9223372036854775807"
    "PUT /add?a=1&b=2"
    'JSON /add {"a":"3","b":4}'
    'JSON /add {"a":null,"b":4}'
    'JSON /echo {"msg":"hello, benchmark"}'
    'JSON /echo {"msg":"h"}'
    'JSON /echo {"msg":42}'
    'JSON /echo {"msg":["x"]}'
    'JSON /echo {"msg":"a\"b\\c\u00e9\n\/测试"}'
    'JSON /echo {"msg":"hi"}x'
    'JSON /echo {}'
    'FORM /echo msg=hello+world%21'
    'FORM /echo msg=a&msg=b'
    "GET /echo?msg=hello"
    "POST /echo?msg=hello"
)
call() { # call PORT CHECK: the answer's body, then its content-type and whether x-request-id is 32 hex
    local method path data
    read -r method path data <<<"$2"
    local args=(-s -D "$workdir/headers")
    case "$method" in
        JSON) args+=(-H "content-type: application/json" --data-binary "$data") ;;
        FORM) args+=(--data-binary "$data") ;;
        *) args+=(-X "$method") ;;
    esac
    curl "${args[@]}" "http://127.0.0.1:$1$path"
    echo
    tr -d '\r' <"$workdir/headers" | awk -F': ' '
        tolower($1) == "content-type" { print "content-type: " $2 }
        tolower($1) == "x-request-id" { print "x-request-id: " (length($2) == 32 && $2 ~ /^[0-9a-f]+$/ ? "32 hex" : $2) }'
}
mismatches=0
for check in "${checks[@]}"; do
    demo_answer=$(call "${port[demo]}" "$check")
    baseline_answer=$(call "${port[baseline]}" "$check")
    if [ "$demo_answer" != "$baseline_answer" ]; then
        mismatches=$((mismatches + 1))
        echo "  MISMATCH $check"
        diff <(echo "$demo_answer") <(echo "$baseline_answer") | sed 's/^/    /' || true
    fi
done
if [ "$mismatches" -gt 0 ]; then
    echo "  $mismatches of ${#checks[@]} checks differ (< demo, > baseline)"
    [ "${BENCH_ALLOW_MISMATCH:-0}" = 1 ] || die "the baseline no longer answers the demo's bytes; fix examples/baseline.rs (or BENCH_ALLOW_MISMATCH=1)"
else
    echo "  ${#checks[@]} requests: same bodies, content-type and x-request-id format"
fi

# ---------------------------------------------------------------- the runs

# name|server|path|wrk script[|background path|background script]: interleaved so
# that each pair runs back to back; every other round runs the list backwards, so
# neither side of a pair always goes first. A run with a background path is measured
# while a second wrk (-t1 -c$MIXED_CONNECTIONS) drives that path on the same server.
runs=(
    "baseline /ping|baseline|/ping|"
    "demo /ping|demo|/ping|"
    "demo /cached_add (memory hit)|demo|/cached_add?a=1&b=2|"
    "baseline /add|baseline|/add?a=1&b=2|"
    "demo /add|demo|/add?a=1&b=2|"
    "baseline POST /echo|baseline|/echo|$workdir/echo.lua"
    "demo POST /echo|demo|/echo|$workdir/echo.lua"
    "baseline-2 POST /echo (control)|baseline_2|/echo|$workdir/echo.lua"
    "demo POST /body 1kB|body_demo|/body|$workdir/body_1024.lua"
    "demo POST /body 64kB|body_demo|/body|$workdir/body_65536.lua"
    "demo POST /body 1MB|body_demo|/body|$workdir/body_1048576.lua"
    "redis-demo /ping|redis_demo|/ping|"
    "redis-demo /cached_add (redis hit)|redis_demo|/cached_add?a=1&b=2|"
    "safe-demo /plain_ping|safe_demo|/plain_ping|"
    "safe-demo /ping (safe packer)|safe_demo|/ping?clientId=demo|"
    "safe-demo POST /decode_echo (encrypted)|safe_demo|/decode_echo|$workdir/safe_echo.lua"
    "safe-demo /plain_ping + /decode_echo load|safe_demo|/plain_ping||/decode_echo|$workdir/safe_echo.lua"
)

wrk_run() { # wrk_run SERVER PATH SCRIPT DURATION OUTPUT
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$4" --latency)
    [ -n "$3" ] && args+=(-s "$3")
    # In the background and waited for, so that a Ctrl-C (which wrk catches to print
    # its figures and exit 0) interrupts the wait and runs this script's trap.
    wrk "${args[@]}" "http://127.0.0.1:${port[$1]}$2" >"$5" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || {
        cat "$5" >&2
        die "wrk failed against $1 $2"
    }
    wrk_pid=""
}

bg_start() { # bg_start SERVER PATH SCRIPT OUTPUT: a load that outlasts the next wrk_run, until bg_stop
    local args=(-t1 -c"$MIXED_CONNECTIONS" -d"$(($(seconds_of "$DURATION") + 5))s" --latency)
    [ -n "$3" ] && args+=(-s "$3")
    wrk "${args[@]}" "http://127.0.0.1:${port[$1]}$2" >"$4" 2>&1 &
    bg_wrk_pid=$!
    sleep 1 # so that the load is in full swing when the measured run starts
    alive "$bg_wrk_pid" || {
        cat "$4" >&2
        die "the background wrk against $1 $2 exited early"
    }
}

bg_stop() { # bg_stop OUTPUT: stops the background load (SIGINT: wrk prints its figures and exits)
    kill -INT "$bg_wrk_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
        alive "$bg_wrk_pid" || break
        sleep 0.1
    done
    kill -KILL "$bg_wrk_pid" 2>/dev/null || true
    wait "$bg_wrk_pid" 2>/dev/null || true
    bg_wrk_pid=""
    grep -q '^Requests/sec:' "$1" || {
        cat "$1" >&2
        die "the background wrk printed no figures"
    }
}

check_answer() { # check_answer NAME SERVER PATH SCRIPT: the answer is a success (encrypted for clientId=)
    local method=GET data="" answer expected='{"success":true,'
    case "$4" in
        "") ;;
        */safe_echo.lua) method=JSON data=$safe_echo_body ;;
        *) method=JSON data='{"msg":"hello, benchmark"}' ;;
    esac
    # A safe-packed answer, error or not, is encrypted. (/decode_echo answers plain:
    # its answer to the encrypted body is checked to be a success.)
    case "$3" in *clientId=*) expected='{"encryptedPassword":"' ;; esac
    answer=$(call "${port[$2]}" "$method $3 $data")
    answer=${answer%%$'\n'*}
    case "$answer" in
        "$expected"*) ;;
        *) die "$1 answers $answer" ;;
    esac
}

echo "== warm-up: $WARMUP of load per endpoint"
for run in "${runs[@]}"; do
    IFS='|' read -r name server path script bg_path bg_script <<<"$run"
    check_answer "$name" "$server" "$path" "$script"
    [ -n "$bg_path" ] && check_answer "$name (background)" "$server" "$bg_path" "$bg_script"
    wrk_run "$server" "$path" "$script" "$WARMUP" "$workdir/warmup.txt"
done
redis_keys=$(redis_cmd "$redis_port" DBSIZE | awk -F: '/^:/ { print $2 }')
[ "${redis_keys:-0}" -gt 0 ] || die "redis holds no keys after the warm-up: the redis demo does not cache in Redis"

declare -A rps p50 p99 rss errors redis_per_request other round_rps cpu_per_request bg_rps bg_p50 bg_p99
echo "== $ROUNDS round(s) of wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
for round in $(seq 1 "$ROUNDS"); do
    order=("${runs[@]}")
    if [ $((round % 2)) -eq 0 ]; then
        order=()
        for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[i]}"); done
    fi
    for run in "${order[@]}"; do
        IFS='|' read -r name server path script bg_path bg_script <<<"$run"
        server_pid=${pid[$server]}
        # Reset the peak RSS (VmHWM) to the current RSS, so that it is this run's peak.
        echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true
        hits_before=0
        [ "$server" = redis_demo ] && hits_before=$(redis_stat "$redis_port" keyspace_hits)
        out="$workdir/run.txt"
        bg_out="$workdir/background.txt"
        [ -n "$bg_path" ] && bg_start "$server" "$bg_path" "$bg_script" "$bg_out"
        busy0=$(cpu_busy)
        server0=$(ticks_of "$server_pid")
        # The background wrk is still running (not yet reaped into this shell's cutime).
        ours0=$((server0 + $(ticks_of "${pid[redis]}") + $(ticks_of $$) + $(ticks_of "${bg_wrk_pid:-0}")))
        t0=$(date +%s%N)
        wrk_run "$server" "$path" "$script" "$DURATION" "$out"
        t1=$(date +%s%N)
        busy1=$(cpu_busy)
        server1=$(ticks_of "$server_pid")
        ours1=$((server1 + $(ticks_of "${pid[redis]}") + $(ticks_of $$) + $(ticks_of "${bg_wrk_pid:-0}")))
        [ -n "$bg_path" ] && bg_stop "$bg_out"
        foreign=$(awk -v b=$((busy1 - busy0)) -v o=$((ours1 - ours0)) -v t=$((t1 - t0)) -v hz="$clk_tck" \
            'BEGIN { x = (b - o) / (t / 1e9 * hz) * 100; printf "%.0f", (x < 0 ? 0 : x) }')
        alive "$server_pid" || {
            tail -n 20 "$workdir/$server.log" >&2
            die "$server exited during $name"
        }
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
        r=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
        l50=$(latency_us "$(awk '$1 == "50%" { print $2 }' "$out")")
        l99=$(latency_us "$(awk '$1 == "99%" { print $2 }' "$out")")
        bad=$(awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$out")
        total=$(awk '/requests in/ { print $1 }' "$out")
        # The server's CPU time per answer, in microseconds (with a background load,
        # its requests' share is in it too).
        cpu_us=$(awk -v d=$((server1 - server0)) -v n="${total:-0}" -v hz="$clk_tck" \
            'BEGIN { printf "%.1f", (n > 0 ? d / hz * 1e6 / n : 0) }')
        round_rps["$round|$name"]=$r
        printf '  round %d  %-36s %7.0f req/s  p50 %-7s p99 %-8s other CPU %s%%\n' "$round" "$name" "$r" \
            "$(fmt_us "$l50")" "$(fmt_us "$l99")" "$foreign"
        if [ -n "$bg_path" ]; then
            b_r=$(awk '/^Requests\/sec:/ { print $2 }' "$bg_out")
            b_l50=$(latency_us "$(awk '$1 == "50%" { print $2 }' "$bg_out")")
            b_l99=$(latency_us "$(awk '$1 == "99%" { print $2 }' "$bg_out")")
            bad+=$(awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); printf "background: %s; ", $0 }' "$bg_out")
            printf '           %-36s %7.0f req/s  p50 %-7s p99 %s\n' "  + background wrk -c$MIXED_CONNECTIONS ${bg_path%%\?*}" "$b_r" \
                "$(fmt_us "$b_l50")" "$(fmt_us "$b_l99")"
        fi
        if [ "$server" = redis_demo ] && [ "${total:-0}" -gt 0 ]; then
            hits=$(($(redis_stat "$redis_port" keyspace_hits) - hits_before))
            per_request=$(awk -v h="$hits" -v t="$total" 'BEGIN { printf "%.2f", h / t }')
        else
            per_request=""
        fi
        if [ -z "${rps[$name]:-}" ] || awk -v a="$r" -v b="${rps[$name]}" 'BEGIN { exit !(a > b) }'; then
            rps[$name]=$r
            p50[$name]=$l50
            p99[$name]=$l99
            errors[$name]=$bad
            redis_per_request[$name]=$per_request
            other[$name]=$foreign
            cpu_per_request[$name]=$cpu_us
            if [ -n "$bg_path" ]; then
                bg_rps[$name]=$b_r
                bg_p50[$name]=$b_l50
                bg_p99[$name]=$b_l99
            fi
        fi
        if [ -z "${rss[$name]:-}" ] || [ "$hwm" -gt "${rss[$name]}" ]; then rss[$name]=$hwm; fi
    done
done

# ---------------------------------------------------------------- the report

mkdir -p "$TARGET_DIR/bench"
report="$TARGET_DIR/bench/latest.txt"
{
    echo "apiview benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
    echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM"
    echo "load: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }') -t$THREADS -c$CONNECTIONS -d$DURATION --latency on loopback, best of $ROUNDS round(s), interleaved"
    echo "servers: demo (simple packer, RUST_LOG=warn), examples/baseline.rs, redis-demo (the demo caching in redis-server $(redis-server --version | awk '{ print $3 }' | tr -d 'v=') on loopback), safe-demo (examples/safe --serve: safe packer, 2048-bit RSA keys, client \`demo\`; /plain_ping simple-packed on the same server)"
    echo "mixed run: /plain_ping measured as above while a second wrk -t1 -c$MIXED_CONNECTIONS drives POST /decode_echo with the encrypted body (started 1s before)"
    echo
    printf '%-36s %9s %8s %8s %9s %10s\n' "run" "req/s" "p50" "p99" "peak RSS" "other CPU"
    max_other=0
    for run in "${runs[@]}"; do
        IFS='|' read -r name _ <<<"$run"
        printf '%-36s %9.0f %8s %8s %7.1fMB %9s%%\n' "$name" "${rps[$name]}" "$(fmt_us "${p50[$name]}")" \
            "$(fmt_us "${p99[$name]}")" "$(awk -v k="${rss[$name]}" 'BEGIN { print k / 1024 }')" "${other[$name]}"
        [ "${other[$name]}" -gt "$max_other" ] && max_other=${other[$name]}
    done
    echo "(other CPU: what processes outside the benchmark, steal time included, took during the run, in % of one core)"
    echo
    printf '%-32s %6s %6s %6s  %-20s %s\n' "ratios" "best" "median" "p99" "req/s per round" "targets"
    ratio() { # ratio LABEL NAME OVER TARGET-NOTE
        local per="" i
        for i in $(seq 1 "$ROUNDS"); do
            per+=$(awk -v a="${round_rps["$i|$2"]}" -v b="${round_rps["$i|$3"]}" 'BEGIN { printf "%.2f ", a / b }')
        done
        # best: the best run of each side; median: of the ratios of the runs made back
        # to back in each round, the steadier figure on a noisy machine.
        local median
        median=$(tr ' ' '\n' <<<"$per" | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        awk -v label="$1" -v a="${rps[$2]}" -v b="${rps[$3]}" -v pa="${p99[$2]}" -v pb="${p99[$3]}" -v per="$per" \
            -v m="$median" -v note="$4" \
            'BEGIN { printf "%-32s %6.3f %6.3f %6.2f  %-20s %s\n", label, a / b, m, pa / pb, per, note }'
    }
    ratio "ping  demo / baseline" "demo /ping" "baseline /ping" "req/s >= 0.95 (§10), p99 <= 1.2"
    ratio "add   demo / baseline" "demo /add" "baseline /add" "req/s >= 0.95 (§10), p99 <= 1.2"
    ratio "echo  demo / baseline" "demo POST /echo" "baseline POST /echo" "req/s >= 0.95 (§10), p99 <= 1.2"
    ratio "control: baseline-2 / baseline" "baseline-2 POST /echo (control)" "baseline POST /echo" \
        "1 but for noise: the spread to expect"
    ratio "body 64kB / body 1kB" "demo POST /body 64kB" "demo POST /body 1kB" "growth with body size"
    ratio "body 1MB / body 1kB" "demo POST /body 1MB" "demo POST /body 1kB" "growth with body size"
    ratio "memory-cache hit / demo /ping" "demo /cached_add (memory hit)" "demo /ping" "req/s >= 0.95"
    ratio "redis hit / redis-demo /ping" "redis-demo /cached_add (redis hit)" "redis-demo /ping" "one round trip"
    ratio "safe /ping / plain_ping" "safe-demo /ping (safe packer)" "safe-demo /plain_ping" "req/s >= 0.5 (same server)"
    ratio "encrypted /echo / plain_ping" "safe-demo POST /decode_echo (encrypted)" "safe-demo /plain_ping" \
        "the decrypt-request cost"
    ratio "plain_ping mixed / alone" "safe-demo /plain_ping + /decode_echo load" "safe-demo /plain_ping" "p99 <= 2.0"
    awk -v a="${p50["redis-demo /cached_add (redis hit)"]}" -v b="${p50["redis-demo /ping"]}" \
        -v per="${redis_per_request["redis-demo /cached_add (redis hit)"]}" \
        'BEGIN { printf "redis hit: p50 %+.0fus over /ping, %s Redis hits per request\n", a - b, per }'
    peak=0
    for name in "demo /ping" "demo /cached_add (memory hit)" "demo /add" "demo POST /echo"; do
        [ "${rss[$name]}" -gt "$peak" ] && peak=${rss[$name]}
    done
    awk -v k="$peak" 'BEGIN { printf "demo peak RSS under load: %.1f MB (target: < 50 MB)\n", k / 1024 }'
    awk -v k="${rss["demo POST /body 1MB"]}" -v c="$CONNECTIONS" \
        'BEGIN { printf "demo peak RSS with %d concurrent 1 MB bodies answered back: %.1f MB\n", c, k / 1024 }'
    name="safe-demo POST /decode_echo (encrypted)"
    printf 'decrypt-request cost: POST /decode_echo with an encrypted body %.0f req/s, p50 %s, p99 %s; server CPU %.0fus per request (/ping safe-packed %.0fus, /plain_ping %.0fus)\n' \
        "${rps[$name]}" "$(fmt_us "${p50[$name]}")" "$(fmt_us "${p99[$name]}")" "${cpu_per_request[$name]}" \
        "${cpu_per_request["safe-demo /ping (safe packer)"]}" "${cpu_per_request["safe-demo /plain_ping"]}"
    name="safe-demo /plain_ping + /decode_echo load"
    awk -v a="${p99[$name]}" -v b="${p99["safe-demo /plain_ping"]}" -v sa="$(fmt_us "${p99[$name]}")" \
        -v sb="$(fmt_us "${p99["safe-demo /plain_ping"]}")" -v br="${bg_rps[$name]}" \
        -v bp50="$(fmt_us "${bg_p50[$name]}")" -v bp99="$(fmt_us "${bg_p99[$name]}")" -v c="$MIXED_CONNECTIONS" \
        'BEGIN { printf "mixed: /plain_ping p99 %s next to encrypted POST /decode_echo (-c%d: %.0f req/s, p50 %s, p99 %s), %s alone: %.2fx (target: <= 2x)\n", sa, c, br, bp50, bp99, sb, a / b }'
    for run in "${runs[@]}"; do
        IFS='|' read -r name _ <<<"$run"
        [ -n "${errors[$name]}" ] && echo "errors in $name: ${errors[$name]}"
    done
    [ "$max_other" -gt 10 ] &&
        echo "WARNING: other processes took up to ${max_other}% of a core during the reported runs: the figures are noisy"
    [ "$mismatches" -gt 0 ] && echo "WARNING: $mismatches self-check request(s) answered differently by the demo and the baseline"
    true
} >"$report.partial"
mv "$report.partial" "$report"
echo
cat "$report"
echo
echo "(written to $report)"
