# Source me:  source scripts/node24-env.sh
#
# Puts Node 24 LTS first on PATH for this shell (Node 20 reached end of life
# on 2026-04-30): the machine's own node when it is 24 or later and ships its
# headers, else the project's copy in .tools/node24, fetched once from the npm
# registry (package node-linux-<arch>, which holds bin/node and the headers).
# It also exports npm_config_nodedir=<that Node>, so that native addons
# (better-sqlite3) are compiled against the headers of the Node that will load
# them, whatever `nodedir` ~/.npmrc names. npm itself must be 11 or later
# (package.json allowScripts); an older one is replaced the same way in .tools/npm.
#
# No `set -e` here: this runs in the caller's shell. Failures return 1.

# Exit status 0 when the node at prefix $1 is 24 or later and $1/include/node holds its own headers.
_node24_usable() {
  [ -x "$1/bin/node" ] && [ -f "$1/include/node/node_version.h" ] || return 1
  "$1/bin/node" -e '
    const { readFileSync } = require("node:fs");
    const h = readFileSync(process.argv[1], "utf8");
    const v = ["MAJOR", "MINOR", "PATCH"].map((k) => new RegExp(`define NODE_${k}_VERSION (\\d+)`).exec(h)?.[1]).join(".");
    process.exit(process.versions.node.split(".")[0] >= 24 && v === process.versions.node ? 0 : 1);
  ' "$1/include/node/node_version.h" 2>/dev/null
}

# Unpacks the npm package $1 (name@range) into the folder $2, replacing it.
_node24_fetch() {
  local tmp tgz
  tmp=$(mktemp -d) || return 1
  if npm pack --silent --pack-destination "$tmp" "$1" >/dev/null && tgz=$(ls "$tmp"/*.tgz) \
     && tar -xzf "$tgz" -C "$tmp" && rm -rf "$2" && mkdir -p "$(dirname "$2")" && mv "$tmp/package" "$2"; then
    rm -rf "$tmp"
  else
    rm -rf "$tmp"
    echo "node24-env: could not fetch $1 from the npm registry" >&2
    return 1
  fi
}

_node24_main() {
  local root machine prefix arch
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
  machine=$(command -v node || true)
  [ -n "$machine" ] && machine=$(dirname "$(dirname "$(readlink -f "$machine")")")
  if [ -n "$machine" ] && _node24_usable "$machine"; then
    prefix=$machine
  else
    prefix="$root/.tools/node24"
    if ! _node24_usable "$prefix"; then
      case "$(uname -m)" in
        x86_64) arch=x64 ;;
        aarch64) arch=arm64 ;;
        *) echo "node24-env: no Node 24 package for $(uname -m); install Node 24 LTS yourself" >&2; return 1 ;;
      esac
      command -v npm >/dev/null || { echo "node24-env: npm is needed to fetch Node 24 (apt-get install -y npm)" >&2; return 1; }
      echo "node24-env: installing node-linux-$arch@24 from the npm registry into .tools/node24"
      _node24_fetch "node-linux-$arch@24" "$prefix" && _node24_usable "$prefix" || return 1
    fi
  fi
  case ":$PATH:" in
    ":$prefix/bin:"*) ;;
    *) export PATH="$prefix/bin:$PATH" ;;
  esac
  export npm_config_nodedir="$prefix"
  hash -r
  # npm 11 is what reads package.json allowScripts (and has `npm install-scripts`).
  if [ "$(npm --version 2>/dev/null | cut -d. -f1)" -lt 11 ] 2>/dev/null; then
    if [ ! -x "$root/.tools/npm/bin/npm" ]; then
      echo "node24-env: npm $(npm --version) is older than 11: installing npm@11 into .tools/npm"
      npm install --global --silent --prefix "$root/.tools/npm" npm@11 >/dev/null || return 1
    fi
    export PATH="$root/.tools/npm/bin:$PATH"
    hash -r
  fi
  echo "node24-env: Node $(node --version) at $prefix/bin/node, npm $(npm --version), npm_config_nodedir=$prefix"
}

_node24_main
_node24_status=$?
unset -f _node24_usable _node24_fetch _node24_main
# `return` when sourced; a plain `bash scripts/node24-env.sh` only fetches.
return "$_node24_status" 2>/dev/null || exit "$_node24_status"
