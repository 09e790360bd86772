#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (configuration: deny.toml; SECURITY.md explains
# them): licenses, bans (duplicates warn) and sources (crates.io only) always; the
# RustSec advisories when the advisory database can be fetched from GitHub.
#
#   scripts/deny.sh                        # licenses bans sources, + advisories if GitHub answers
#   scripts/deny.sh --require-advisories   # fail when the advisory database cannot be fetched
#
# Installs cargo-deny (from crates.io, built from source: about 4.5 minutes on two
# cores) when it is missing. A machine that reaches only the package registries
# cannot fetch the advisory database (it is a git repository on GitHub, published on
# no registry): there the advisories check is skipped, and the script says so on a
# line starting with "deny.sh: SKIPPED".
set -euo pipefail
cd "$(dirname "$0")/.."

# The version deny.toml is written for; newer ones have changed the format before.
CARGO_DENY_VERSION=0.20.2
ADVISORY_DB=https://github.com/rustsec/advisory-db

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

if timeout 30 git ls-remote --heads "$ADVISORY_DB" main >/dev/null 2>&1; then
    cargo deny --locked check advisories
elif [ "$require_advisories" -eq 1 ]; then
    echo "deny.sh: cannot fetch the advisory database ($ADVISORY_DB): advisories not checked" >&2
    exit 1
else
    echo "deny.sh: SKIPPED advisories: $ADVISORY_DB is not reachable from this machine;" \
        "run 'scripts/deny.sh --require-advisories' where it is"
fi
