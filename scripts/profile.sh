#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind, for the demo or the
# baseline over keep-alive requests to one path; the program is `cargo xtask profile`
# (xtask/src/profile.rs), this installs valgrind. Output: target/profile/.
#
#   scripts/profile.sh demo /ping              # 2000 requests (PROFILE_REQUESTS)
#   scripts/profile.sh baseline '/add?a=1&b=2'
#   scripts/profile.sh demo /echo '{"msg":"hello"}'   # a JSON body: POST
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/profile.sh demo|baseline PATH [JSON-BODY]" >&2; exit 2; }
script=profile.sh
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
need valgrind valgrind
exec cargo xtask profile "$@"
