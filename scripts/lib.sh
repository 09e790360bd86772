# Shared by the scripts: install a Debian package when a command is missing. Sourced,
# not run; the sourcing script names itself in `script` for its messages.
#
#   script=test.sh
#   source "$(dirname "$0")/lib.sh"
#   need redis-server redis-server      # COMMAND DEBIAN-PACKAGE
#   apt_install python3-venv            # a package without a command to look for

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
