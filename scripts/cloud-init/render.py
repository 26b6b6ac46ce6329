#!/usr/bin/env python3
"""Renders the #cloud-config user-data that turns a fresh Ubuntu 22.04/24.04 droplet into a dtma host:
Docker from the distribution, the dtma binary fetched over HTTPS and checked against its SHA-256,
/etc/dtma/dtma.env (0600), the hardened systemd unit, and dtma started.

    render.py --api-key KEY --bearer-token TOKEN --control-plane-url https://… \\
              --binary-url https://…/dtma --binary-sha256 HEX [--ca-file ca.pem] [--port 30000] > user-data

Exits 2 with a clear message on a bad parameter. The output stays under DigitalOcean's 64 KiB limit.
"""
import argparse
import pathlib
import re
import sys

USER_DATA_LIMIT = 64 * 1024
HERE = pathlib.Path(__file__).resolve().parent
UNIT = HERE.parent.parent / "systemd" / "dtma.service"

INSTALLER = r"""#!/bin/sh
# Written by cloud-init: fetch dtma, verify it, install it, start it. Idempotent.
set -eu
url="$1"; sum="$2"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --retry 5 --retry-connrefused -o "$tmp" "$url"
echo "$sum  $tmp" | sha256sum --check --status || { echo "dtma: SHA-256 mismatch for $url" >&2; exit 1; }
getent group docker >/dev/null || groupadd --system docker
id dtma >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/dtma --shell /usr/sbin/nologin dtma
usermod --append --groups docker dtma
install -m 0755 "$tmp" /usr/local/bin/dtma
systemctl daemon-reload
systemctl enable --now docker.service
systemctl enable dtma.service
systemctl restart dtma.service
"""


def fail(message):
    print(f"render.py: {message}", file=sys.stderr)
    sys.exit(2)


def env_value(name, value):
    if not value or any(c in value for c in "\n\r\0\"'\\ $`"):
        fail(f"{name} must be non-empty and free of whitespace, quotes, backslashes and $")
    return value


def https_url(name, value):
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s'\"]*)?", value or ""):
        fail(f"{name} must be an https:// URL (got {value!r})")
    return value


def yaml_block(text, indent):
    pad = " " * indent
    return "\n".join(pad + line if line else "" for line in text.rstrip("\n").split("\n"))


def render(args):
    env = [
        f"BACKEND_TO_DTMA_API_KEY={env_value('--api-key', args.api_key)}",
        f"DTMA_BEARER_TOKEN={env_value('--bearer-token', args.bearer_token)}",
        f"AGENTOPIA_API_BASE_URL={https_url('--control-plane-url', args.control_plane_url)}",
        f"DTMA_PORT={args.port}",
    ]
    if len(args.api_key) < 32:
        fail("--api-key must be at least 32 characters")
    if not re.fullmatch(r"[0-9a-f]{64}", args.binary_sha256 or ""):
        fail("--binary-sha256 must be 64 lower-case hex digits")
    https_url("--binary-url", args.binary_url)
    if not 1 <= args.port <= 65535:
        fail("--port must be between 1 and 65535")
    files = []
    if args.ca_file:
        ca = pathlib.Path(args.ca_file).read_text()
        if "BEGIN CERTIFICATE" not in ca:
            fail(f"--ca-file {args.ca_file} holds no PEM certificate")
        env.append("DTMA_CONTROL_PLANE_CA_FILE=/etc/dtma/control-plane-ca.pem")
        files.append(("/etc/dtma/control-plane-ca.pem", "0644", ca))
    files.insert(0, ("/etc/dtma/dtma.env", "0600", "\n".join(env) + "\n"))
    files.append(("/etc/systemd/system/dtma.service", "0644", UNIT.read_text()))
    files.append(("/usr/local/sbin/dtma-install", "0755", INSTALLER))

    out = ["#cloud-config", "# dtma droplet: rendered by scripts/cloud-init/render.py", "package_update: true",
           "packages:", "  - docker.io", "  - curl", "  - ca-certificates", "write_files:"]
    for path, mode, content in files:
        out += [f"  - path: {path}", "    owner: root:root", f"    permissions: '{mode}'", "    content: |",
                yaml_block(content, 6)]
    out += ["runcmd:", f"  - [/usr/local/sbin/dtma-install, '{args.binary_url}', '{args.binary_sha256}']"]
    text = "\n".join(out) + "\n"
    if len(text.encode()) > USER_DATA_LIMIT:
        fail(f"the user-data is {len(text.encode())} bytes; DigitalOcean accepts at most {USER_DATA_LIMIT}")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api-key", required=True, help="BACKEND_TO_DTMA_API_KEY: what the control plane presents")
    parser.add_argument("--bearer-token", required=True, help="DTMA_BEARER_TOKEN: this droplet's token for heartbeats")
    parser.add_argument("--control-plane-url", required=True, help="AGENTOPIA_API_BASE_URL, https://")
    parser.add_argument("--binary-url", required=True, help="where the droplet downloads dtma, https://")
    parser.add_argument("--binary-sha256", required=True, help="SHA-256 of that binary (dist/dtma.sha256)")
    parser.add_argument("--ca-file", help="PEM CA for a private control plane")
    parser.add_argument("--port", type=int, default=30000, help="dtma's API port (default 30000)")
    sys.stdout.write(render(parser.parse_args()))


if __name__ == "__main__":
    main()
