#!/usr/bin/env bash
# ctest k8s_manifests: renders every overlay of deploy/k8s with `kubectl kustomize` (offline,
# no cluster) and checks each object: Kubernetes schemas (npm kubernetes-models, pinned in
# node/package-lock.json) plus what the manifests promise (node/check_k8s.js lists it).
# A machine without kubectl, node or npm fails the test, saying which, rather than skipping.
# Usage: check_k8s.sh WORK_DIR   (a build directory: node_modules and renders go there)
set -euo pipefail
work_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

command -v kubectl >/dev/null || {
  echo "k8s_manifests needs 'kubectl' 1.27 or newer (with its built-in kustomize); not found on PATH"
  exit 1
}
# The floor is kustomize v5 (kubectl 1.27; checked with 1.32): Debian 12's kubernetes-client
# is kubectl 1.20, whose kustomize v2 knows no components.
minor=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p')
if [ -z "$minor" ] || [ "$minor" -lt 27 ]; then
  echo "k8s_manifests needs kubectl 1.27 or newer; found: $(kubectl version --client 2>&1 | head -1)"
  exit 1
fi
bash "$repo/tests/support/npm_ci.sh" k8s_manifests "$here/node" "$work_dir/node"

NODE_PATH=$work_dir/node/node_modules exec node "$here/node/check_k8s.js" \
  --repo "$repo" --work "$work_dir"
