#!/usr/bin/env bash
# The system tools the test suite drives for real, each with the Debian
# package that provides it and the check that proves it is there.
#
#   bash scripts/test-tools.sh check     (npm's pretest) one line: the Node
#                                        version and the missing tools; exit 1
#                                        if Node is older than 24, the native
#                                        build does not load, or a tool is missing
#   bash scripts/test-tools.sh install   (scripts/test-all.sh) apt-get installs
#                                        what is missing, and nothing else
set -euo pipefail

# package | check (a shell test) | why the tests need it
TEST_TOOLS=(
  'chromium|test -x /usr/bin/chromium|a real browser for the CORS and /docs tests (test/e2e/cors-browser, docs)'
  'postgresql|test -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/postgres"|PostgreSQL 15 for the shared store of several replicas (test/helpers/postgres.ts)'
  'redis-server|command -v "${REDIS_SERVER:-redis-server}"|Redis for the rate budget shared by replicas (test/helpers/redis.ts)'
  'nginx|test -x "${NGINX_BIN:-/usr/sbin/nginx}"|a real load balancer in front of two replicas, and `nginx -t` on deploy/nginx.conf'
  'python3-grpcio|/usr/bin/python3 -c "import grpc, google.protobuf"|an independent gRPC client for the Open Inference Protocol (test/helpers/python-grpc.ts)'
  'protobuf-compiler|command -v protoc|generates that client'"'"'s stubs from proto/grpc_predict_v2.proto'
  'protobuf-compiler-grpc|command -v grpc_python_plugin|the gRPC half of those stubs'
)
# `npm ci` compiles better-sqlite3 with node-gyp when no prebuilt binary can be
# downloaded (GitHub unreachable, or a Node too new for the prebuilds).
BUILD_TOOLS=(
  'python3|command -v python3|node-gyp, for the native build of better-sqlite3'
  'make|command -v make|the native build of better-sqlite3'
  'g++|command -v g++|the native build of better-sqlite3'
)

# The packages of $@ (table rows) whose check fails.
missing() {
  local row package check
  for row in "$@"; do
    IFS='|' read -r package check _ <<<"$row"
    eval "$check" >/dev/null 2>&1 || printf '%s\n' "$package"
  done
}

check() {
  local node version major
  node=$(command -v node || true)
  if [ -z "$node" ]; then
    echo "pretest: no node on PATH; the tests need Node 24 LTS (source scripts/node24-env.sh, or bash scripts/test-all.sh)" >&2
    exit 1
  fi
  version=$(node -p process.version)
  major=${version#v}; major=${major%%.*}
  if [ "$major" -lt 24 ]; then
    echo "pretest: Node $version ($node) is too old: the project requires Node 24 LTS (Node 20 reached end of life on 2026-04-30)." >&2
    echo "pretest: run \`source scripts/node24-env.sh\` and \`npm ci\`, or \`bash scripts/test-all.sh\`." >&2
    exit 1
  fi
  local tools; tools=$(missing "${TEST_TOOLS[@]}" | tr '\n' ' ')
  if [ -n "$tools" ]; then
    echo "pretest: Node $version; MISSING system tools: ${tools% } (install: apt-get install -y ${tools% }; or run bash scripts/test-all.sh)" >&2
    exit 1
  fi
  # A node_modules built under another Node fails here in one line, not in every test that opens a store.
  if ! err=$(node -e "new (require('better-sqlite3'))(':memory:').close()" 2>&1); then
    echo "pretest: Node $version cannot load better-sqlite3 (built for another Node?): run npm ci under this Node" >&2
    printf '%s\n' "$err" | grep -m1 -E 'NODE_MODULE_VERSION|Error' >&2 || true
    exit 1
  fi
  echo "pretest: Node $version ($node); system tools: all found"
}

install() {
  local packages; packages=$(missing "${TEST_TOOLS[@]}" "${BUILD_TOOLS[@]}" | tr '\n' ' ')
  packages=${packages% }
  if [ -z "$packages" ]; then
    echo "test-all: system tools: all found"
    return
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "test-all: missing Debian packages: $packages" >&2
      echo "test-all: not root and no sudo: as root, run  apt-get update && apt-get install -y $packages" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "test-all: installing Debian packages: $packages"
  # Waits for another apt run to release its lock instead of failing at once.
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq)
  "${apt[@]}" update
  # shellcheck disable=SC2086  # one word per package
  "${apt[@]}" install -y $packages >/dev/null
  local still; still=$(missing "${TEST_TOOLS[@]}" "${BUILD_TOOLS[@]}" | tr '\n' ' ')
  if [ -n "$still" ]; then
    echo "test-all: still missing after apt-get install: $still(this Debian may not have PostgreSQL 15: set PG_BIN)" >&2
    exit 1
  fi
}

case "${1:-check}" in
  check) check ;;
  install) install ;;
  *) echo "usage: $0 check|install" >&2; exit 2 ;;
esac
