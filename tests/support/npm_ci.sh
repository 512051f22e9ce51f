#!/usr/bin/env bash
# Installs a test's pinned npm packages into the build tree, never the source tree.
# Usage: npm_ci.sh TEST_NAME PACKAGE_DIR INSTALL_DIR
#   PACKAGE_DIR holds package.json and package-lock.json (exact versions);
#   the packages land in INSTALL_DIR/node_modules (point NODE_PATH there).
# A machine without node or npm fails the test, naming what is missing, rather than skipping
# it. npm ci runs only when the lock file differs from the one last installed (or nothing is
# installed), so reruns need no network.
set -euo pipefail
test_name=$1
package_dir=$2
install_dir=$3

for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "$test_name needs '$tool' (Debian: apt-get install nodejs npm); not found on PATH"
    exit 1
  }
done

mkdir -p "$install_dir"
if cmp -s "$package_dir/package-lock.json" "$install_dir/package-lock.json" &&
   [ -d "$install_dir/node_modules" ]; then
  exit 0
fi
cp "$package_dir/package.json" "$package_dir/package-lock.json" "$install_dir/"
start=$SECONDS
# --ignore-scripts: install scripts are code from the registry run at install time; the
# packages the tests use need none.
(cd "$install_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || {
  echo "npm ci failed in $install_dir (needs the npm registry the first time)"
  rm -f "$install_dir/package-lock.json"  # so that the next run tries again
  exit 1
}
echo "npm ci took $((SECONDS - start)) s"
