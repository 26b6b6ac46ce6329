#!/usr/bin/env bash
# A real image registry for the tests: Debian's docker-registry on 127.0.0.1:5000 (no auth, its
# storage under /var/lib/dtma-test-registry), with the test images pushed to it, so that deploys
# really pull. Docker trusts a registry on 127.0.0.0/8 over plain HTTP by default. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

REGISTRY=${DTMA_TEST_REGISTRY:-127.0.0.1:5000}
STORAGE=/var/lib/dtma-test-registry
IMAGES=(dtma-test/busybox:latest dtma-test/mcp-time:latest)
# An image only the registry has (busybox and 8 MiB of noise in one layer): a pull of it downloads.
PULL_FIXTURE=$REGISTRY/dtma-test/pull-fixture:latest

registry_answers() { curl -sf --max-time 2 "http://$REGISTRY/v2/" >/dev/null 2>&1; }

ensure_packages docker-registry curl
if ! registry_answers; then
    mkdir -p "$STORAGE"
    cat >"$STORAGE/config.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $STORAGE/data }
  delete: { enabled: true }
http:
  addr: $REGISTRY
YAML
    log "starting docker-registry on $REGISTRY (log: /var/log/dtma-test-registry.log)"
    nohup docker-registry serve "$STORAGE/config.yml" >/var/log/dtma-test-registry.log 2>&1 &
    for _ in $(seq 30); do
        registry_answers && break
        sleep 0.5
    done
    registry_answers || { tail -n 20 /var/log/dtma-test-registry.log >&2; die "docker-registry did not answer on $REGISTRY"; }
fi
for image in "${IMAGES[@]}"; do
    docker tag "$image" "$REGISTRY/$image"
    docker push --quiet "$REGISTRY/$image" >/dev/null || die "docker push $REGISTRY/$image failed"
done
if ! curl -sf --max-time 5 "http://$REGISTRY/v2/dtma-test/pull-fixture/manifests/latest" \
    -H "Accept: application/vnd.docker.distribution.manifest.v2+json" >/dev/null; then
    holder=$(docker create dtma-test/busybox:latest)
    root=$(mktemp -d)
    docker export "$holder" | tar -x -C "$root"
    docker rm "$holder" >/dev/null
    head -c 8M /dev/urandom >"$root/noise"
    tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$PULL_FIXTURE" >/dev/null
    rm -rf "$root"
    docker push --quiet "$PULL_FIXTURE" >/dev/null || die "docker push $PULL_FIXTURE failed"
fi
docker image rm "$PULL_FIXTURE" >/dev/null 2>&1 || true
log "pushed ${IMAGES[*]} and ${PULL_FIXTURE#"$REGISTRY/"} (registry only) to $REGISTRY"
