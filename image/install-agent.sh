#!/bin/bash
# install-agent.sh ID PACKAGE VERSION — image build only (image/Dockerfile, one layer per
# agent, R130): when ID is one of $AGENTS (the comma list of the build arg), install PACKAGE
# at VERSION from npm, check that its command starts, and record its real version in
# /etc/codex-sandbox/agents/ID. Extra CAs of `build --ca-cert` (build-certs/extra.pem) are
# trusted by npm during the install (R86).
set -euo pipefail

readonly KNOWN_AGENTS="codex claude gemini"
readonly AGENTS_DIR=/etc/codex-sandbox/agents
readonly EXTRA_PEM=/tmp/codex-sandbox-build-certs/extra.pem
# A newer Node for an agent the base image's Node is too old for (Gemini CLI needs 20, R131).
readonly NODE_DIR=/opt/codex-sandbox/node NODE_FOR_GEMINI=22 GEMINI_MIN_NODE=20

die() {
  printf 'install-agent: %s\n' "$1" >&2
  exit 1
}

check_agent_list() { # every word of $AGENTS is a known id, and there is at least one
  local id count=0 ids=()
  IFS=, read -r -a ids <<< "$AGENTS"
  for id in "${ids[@]}"; do
    [[ " ${KNOWN_AGENTS} " == *" ${id} "* ]] || die "AGENTS: unknown agent '${id}' (known: ${KNOWN_AGENTS})"
    count=$((count + 1))
  done
  ((count > 0)) || die "AGENTS is empty (known: ${KNOWN_AGENTS})"
}

is_selected() { [[ ",${AGENTS}," == *",$1,"* ]]; }

npm_install() { # npm_install ARGS...: a global install with the build's extra CAs
  if [[ -s "$EXTRA_PEM" ]]; then export NODE_EXTRA_CA_CERTS="$EXTRA_PEM"; fi
  npm install -g --no-audit --no-fund "$@"
  npm cache clean --force 2>/dev/null
}

package_root() { printf '%s/%s' "$(npm root -g)" "$1"; }

record_version() { # record_version ID PACKAGE: the installed package.json's version, x.y.z
  local version
  version="$(node -p 'require(process.argv[1]).version' "$(package_root "$2")/package.json")"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "$1: unexpected version '${version}'"
  install -d -m 0755 "$AGENTS_DIR"
  printf '%s\n' "$version" > "${AGENTS_DIR}/$1"
  chmod 0644 "${AGENTS_DIR}/$1"
  # The file the launcher has read since before there were several agents (R30).
  if [[ "$1" == codex ]]; then cp "${AGENTS_DIR}/codex" /etc/codex-sandbox/codex-version; fi
}

prune_claude() { # npm 9 installs both the glibc and the musl native package (~390 MB each);
  # Claude's postinstall (install.cjs) has hard-linked the right one to bin/claude.exe already.
  rm -rf "$(package_root @anthropic-ai/claude-code)"/node_modules/@anthropic-ai/claude-code-linux-*
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]'; }

install_gemini() { # VERSION: Gemini CLI, on a Node of its own when the base's is too old
  local version=$1 prefix link script
  if (($(node_major node) >= GEMINI_MIN_NODE)); then
    npm_install "@google/gemini-cli@${version}"
    return 0
  fi
  # The official Node binaries as repackaged on npm (node-linux-<arch>), in a directory of
  # their own: the base image's node stays what `-node<N>` in the tag names.
  npm_install --prefix "$NODE_DIR" "node-linux-$(node -p process.arch)@${NODE_FOR_GEMINI}"
  (($(node_major "${NODE_DIR}/bin/node") >= GEMINI_MIN_NODE)) || die "gemini: node from npm is too old"
  prefix="$(npm prefix -g)"
  # npm itself runs on the new Node too (engines checks, install scripts).
  PATH="${NODE_DIR}/bin:${PATH}" npm_install --prefix "$prefix" "@google/gemini-cli@${version}"
  link="${prefix}/bin/gemini"
  script="$(readlink -f "$link")"
  [[ -f "$script" ]] || die "gemini: ${link} does not lead to its script"
  rm -f "$link"
  printf '#!/bin/sh\n# Gemini CLI needs Node >= %s; the base image has %s.\nexec '\''%s'\'' '\''%s'\'' "$@"\n' \
    "$GEMINI_MIN_NODE" "$(node --version)" "${NODE_DIR}/bin/node" "$script" > "$link"
  chmod 0755 "$link"
}

main() {
  [[ $# == 3 ]] || die "usage: install-agent.sh ID PACKAGE VERSION"
  local id=$1 package=$2 version=$3
  check_agent_list
  is_selected "$id" || return 0
  case "$id" in
    gemini) install_gemini "$version" ;;
    *) npm_install "${package}@${version}" ;;
  esac
  if [[ "$id" == claude ]]; then prune_claude; fi
  # Each command must start (Claude's postinstall must have placed its native binary).
  "$id" --version
  record_version "$id" "$package"
  # Nothing a first start leaves in root's home (the agent never reads it, R96).
  rm -rf /root/.claude /root/.claude.json /root/.gemini /root/.codex /root/.npm
}

main "$@"
