#!/usr/bin/env bash
# Installs dtma on a droplet (or any systemd host with Docker): the binary, a system user in the
# docker group, /etc/dtma/dtma.env (0600), the hardened unit; then enables and starts the service.
# Idempotent: running it again updates the binary and the unit and keeps the env file.
#
#   install.sh --binary dist/dtma                         a local binary
#   install.sh --binary-url https://…/dtma --sha256 HEX   download, verified by SHA-256
#   install.sh --uninstall [--purge]                      stop and remove (--purge also /etc/dtma)
#
# Settings for a new env file come from the environment: BACKEND_TO_DTMA_API_KEY (generated when
# absent), DTMA_BEARER_TOKEN, AGENTOPIA_API_BASE_URL, DTMA_PORT.
# --root DIR installs into DIR and skips users and systemctl (for tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

binary= binary_url= sha256= uninstall= purge= root=
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --binary-url) binary_url=$2; shift 2 ;;
        --sha256) sha256=$2; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        --purge) purge=1; shift ;;
        --root) root=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
die() { echo "install.sh: $*" >&2; exit 1; }
[ -n "$root" ] || [ "$(id -u)" -eq 0 ] || die "run as root"
system() { [ -n "$root" ] || "$@"; }

bin_path=$root/usr/local/bin/dtma
unit_path=$root/etc/systemd/system/dtma.service
env_dir=$root/etc/dtma
env_path=$env_dir/dtma.env

if [ -n "$uninstall" ]; then
    system systemctl disable --now dtma.service 2>/dev/null || true
    rm -f "$unit_path" "$bin_path"
    [ -z "$purge" ] || rm -rf "$env_dir"
    system systemctl daemon-reload
    echo "dtma removed${purge:+ with its settings}"
    exit 0
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if [ -n "$binary_url" ]; then
    [[ "$binary_url" == https://* ]] || die "--binary-url must be https://"
    [[ "$sha256" =~ ^[0-9a-f]{64}$ ]] || die "--sha256 must be the binary's 64-hex-digit SHA-256"
    curl --fail --silent --show-error --location --proto '=https' --retry 5 -o "$tmp" "$binary_url"
elif [ -n "$binary" ]; then
    cp "$binary" "$tmp"
else
    die "give --binary PATH or --binary-url URL --sha256 HEX"
fi
if [ -n "$sha256" ]; then
    echo "$sha256  $tmp" | sha256sum --check --status || die "SHA-256 mismatch: refusing to install"
fi
"$tmp" version >/dev/null 2>&1 || chmod +x "$tmp"
"$tmp" version >/dev/null || die "the binary does not run here"

if [ -z "$root" ]; then
    getent group docker >/dev/null || groupadd --system docker
    id dtma >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/dtma --shell /usr/sbin/nologin dtma
    usermod --append --groups docker dtma
fi
install -D -m 0755 "$tmp" "$bin_path"
install -D -m 0644 "$here/../systemd/dtma.service" "$unit_path"
install -d -m 0700 "$env_dir"
if [ ! -f "$env_path" ]; then
    key=${BACKEND_TO_DTMA_API_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
    (umask 077
     {
         echo "BACKEND_TO_DTMA_API_KEY=$key"
         [ -z "${DTMA_BEARER_TOKEN:-}" ] || echo "DTMA_BEARER_TOKEN=$DTMA_BEARER_TOKEN"
         [ -z "${AGENTOPIA_API_BASE_URL:-}" ] || echo "AGENTOPIA_API_BASE_URL=$AGENTOPIA_API_BASE_URL"
         [ -z "${DTMA_PORT:-}" ] || echo "DTMA_PORT=$DTMA_PORT"
     } >"$env_path")
    [ -n "${BACKEND_TO_DTMA_API_KEY:-}" ] || echo "generated an inbound API key in $env_path"
fi
chmod 0600 "$env_path"
system systemctl daemon-reload
system systemctl enable dtma.service
system systemctl restart dtma.service
echo "dtma $("$bin_path" version | awk '{print $2}') installed${root:+ under $root}"
