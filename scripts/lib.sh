# Shared by the scripts: install what a tool needs (Debian packages, Python tools in a
# virtual environment). Sourced, not run; the sourcing script names itself in `script`
# for its messages. Starting servers, ports and stopping them are the Rust tools' part
# (xtask/src/process.rs), not the scripts'.
#
#   script=test.sh
#   source "$(dirname "$0")/lib.sh"
#   need redis-server redis-server      # COMMAND DEBIAN-PACKAGE
#   need_postgres                       # PostgreSQL's server programs, in PG_BIN
#   apt_install python3-venv            # a package without a command to look for
#   python_venv target/venv cryptography   # DIR PIP-PACKAGE...

apt_updated=0
apt_install() { # apt_install DEBIAN-PACKAGE: non-interactive, `apt-get update` once
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ "$apt_updated" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >/dev/null
}

need() { # need COMMAND DEBIAN-PACKAGE: installs the package when the command is missing
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "${script:-scripts}: installing $2 (for $1)"
    apt_install "$2"
    command -v "$1" >/dev/null 2>&1 || {
        echo "${script:-scripts}: installing $2 did not provide $1" >&2
        return 1
    }
}

pg_bin() { # pg_bin: the directory of PostgreSQL's initdb and postgres, or nothing
    # Debian keeps them off the PATH, in /usr/lib/postgresql/VERSION/bin: the highest.
    local initdb
    initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
    [ -x "$initdb" ] || initdb=$(command -v initdb) || return 0
    dirname "$(readlink -f "$initdb")"
}

need_postgres() { # need_postgres: installs Debian's postgresql when initdb is missing; exports PG_BIN
    if [ -n "${PG_BIN:-}" ]; then
        [ -x "$PG_BIN/initdb" ] && export PG_BIN && return 0
        echo "${script:-scripts}: PG_BIN is $PG_BIN, which has no initdb" >&2
        return 1
    fi
    local dir
    dir=$(pg_bin)
    if [ -z "$dir" ]; then
        echo "${script:-scripts}: installing postgresql (for initdb and postgres)"
        # The tests start private servers: the package need not create a cluster of
        # its own and start it on port 5432. Read by postgresql-common's postinst;
        # ucf keeps this file when the package brings its own (UCF_FORCE_CONFFOLD).
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        local conf=/etc/postgresql-common/createcluster.conf
        if ! grep -qs '^[[:space:]]*create_main_cluster' "$conf"; then
            $sudo mkdir -p "$(dirname "$conf")"
            echo 'create_main_cluster = false' | $sudo tee -a "$conf" >/dev/null
        fi
        UCF_FORCE_CONFFOLD=1 apt_install postgresql
        dir=$(pg_bin)
        [ -n "$dir" ] || {
            echo "${script:-scripts}: installing postgresql did not provide initdb" >&2
            return 1
        }
    fi
    export PG_BIN=$dir
}

python_venv() { # python_venv DIR PACKAGE...: a virtual environment at DIR with these pip packages
    local dir=$1
    shift
    # `pip show` succeeds when any one of several packages is there: ask for each.
    local package missing=0
    for package in "$@"; do
        [ -x "$dir/bin/pip" ] && "$dir/bin/pip" show -q "$package" >/dev/null 2>&1 || missing=1
    done
    [ "$missing" -eq 0 ] && return 0
    need python3 python3
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        echo "${script:-scripts}: installing python3-venv (for python3 -m venv)"
        apt_install python3-venv
    fi
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
}
