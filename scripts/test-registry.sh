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
log "pushed ${IMAGES[*]} to $REGISTRY"
