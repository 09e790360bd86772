#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (configuration: deny.toml; SECURITY.md explains
# them): licenses, bans (duplicates warn), sources (crates.io only), and the RustSec
# advisories.
#
#   scripts/deny.sh                        # every check; advisories from the snapshot or GitHub
#   scripts/deny.sh --require-advisories   # fail when no advisory database can be had
#
# The advisory database is a git repository on GitHub, published on no registry.
# Offline, it is read from a snapshot of it (a plain tree, by default
# ../shared/advisory-db beside the repository, or $ADVISORY_DB_SNAPSHOT): the script
# makes a git repository of it under target/ and has cargo-deny fetch from that,
# so nothing leaves the machine. Without a snapshot, GitHub is tried; without either,
# the advisories check is skipped and the script says so on a line starting with
# "deny.sh: SKIPPED".
#
# Installs cargo-deny (from crates.io, built from source: about 4.5 minutes on two
# cores) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The version deny.toml is written for; newer ones have changed the format before.
CARGO_DENY_VERSION=0.20.2
ADVISORY_DB=https://github.com/RustSec/advisory-db

require_advisories=0
for arg in "$@"; do
    case "$arg" in
        --require-advisories) require_advisories=1 ;;
        *)
            echo "deny.sh: unknown argument '$arg' (expected: --require-advisories)" >&2
            exit 2
            ;;
    esac
done

if ! cargo deny --version >/dev/null 2>&1; then
    echo "deny.sh: installing cargo-deny $CARGO_DENY_VERSION (cargo install --locked)"
    started=$(date +%s)
    cargo install cargo-deny --locked --version "$CARGO_DENY_VERSION"
    echo "deny.sh: cargo-deny installed in $(($(date +%s) - started)) s"
fi
echo "deny.sh: $(cargo deny --version)"

cargo deny --locked check licenses bans sources

snapshot=${ADVISORY_DB_SNAPSHOT:-../shared/advisory-db}
if [ -d "$snapshot/crates" ]; then
    # A git repository made from the snapshot, and a configuration that names it: cargo
    # deny "fetches" from a file:// URL, which needs no network.
    repo="$PWD/target/advisory-db-snapshot"
    stamp=$(cat "$snapshot/SNAPSHOT.txt" 2>/dev/null | head -c 400 | sha256sum | cut -c1-16)
    if [ ! -f "$repo/.snapshot-$stamp" ]; then
        rm -rf "$repo"
        mkdir -p "$repo"
        cp -R "$snapshot"/. "$repo"/
        git -C "$repo" init --quiet --initial-branch=main
        git -C "$repo" add --all
        GIT_AUTHOR_NAME=deny.sh GIT_AUTHOR_EMAIL=deny.sh@localhost \
            GIT_COMMITTER_NAME=deny.sh GIT_COMMITTER_EMAIL=deny.sh@localhost \
            git -C "$repo" commit --quiet --message "advisory-db snapshot: $(head -c 200 "$snapshot/SNAPSHOT.txt" 2>/dev/null | tr '\n' ' ')"
        touch "$repo/.snapshot-$stamp"
    fi
    # deny.toml as it is, the database kept under target/; git, which cargo-deny fetches
    # with, is told that the database's GitHub URL is that repository.
    config="$PWD/target/deny-offline.toml"
    sed "s|^\[advisories\]$|[advisories]\ndb-path = \"$PWD/target/advisory-dbs\"|" deny.toml >"$config"
    echo "deny.sh: advisories from the snapshot $snapshot ($(head -c 160 "$snapshot/SNAPSHOT.txt" 2>/dev/null | tr '\n' ' ')...)"
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.file://$repo.insteadOf" GIT_CONFIG_VALUE_0="$ADVISORY_DB" \
        cargo deny --locked --config "$config" check advisories
elif timeout 30 git ls-remote --heads "$ADVISORY_DB" main >/dev/null 2>&1; then
    cargo deny --locked check advisories
elif [ "$require_advisories" -eq 1 ]; then
    echo "deny.sh: no advisory database: no snapshot at $snapshot, and $ADVISORY_DB is not reachable" >&2
    exit 1
else
    echo "deny.sh: SKIPPED advisories: no snapshot at $snapshot and $ADVISORY_DB is not reachable;" \
        "set ADVISORY_DB_SNAPSHOT or run 'scripts/deny.sh --require-advisories' where GitHub is"
fi
