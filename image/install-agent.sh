#!/bin/bash
# install-agent.sh ID VERSION — image build only (image/Dockerfile, one layer per agent,
# R130): when ID is one of $AGENTS (the comma list of the build arg), install the agent's npm
# package at VERSION, on a Node of its own when the base's is older than the agent needs,
# remove its prune paths, check that its command starts, and record its real version in
# /etc/codex-sandbox/agents/ID. What each agent is comes from /etc/codex-sandbox/agent-facts.tsv,
# generated from the launcher's registry (data, read line by line, never sourced). Extra CAs of
# `build --ca-cert` (build-certs/extra.pem) are trusted by npm during the install (R86).
set -euo pipefail

readonly FACTS=/etc/codex-sandbox/agent-facts.tsv
readonly AGENTS_DIR=/etc/codex-sandbox/agents
readonly EXTRA_PEM=/tmp/codex-sandbox-build-certs/extra.pem
# A newer Node for an agent the base image's Node is too old for (R131): this major, or the
# agent's minimum when that is newer.
readonly NODE_DIR=/opt/codex-sandbox/node NODE_FROM_NPM=22

die() {
  printf 'install-agent: %s\n' "$1" >&2
  exit 1
}

facts_of() { # facts_of ID KEY: every value of KEY for ID, one per line, in file order
  local id key value
  while IFS=$'\t' read -r id key value; do
    if [[ "$id" == "$1" && "$key" == "$2" ]]; then printf '%s\n' "$value"; fi
  done < "$FACTS"
}

fact_of() { # fact_of ID KEY: the one value of KEY for ID (a missing one stops the build)
  local value
  value="$(facts_of "$1" "$2" | head -n 1)"
  [[ -n "$value" ]] || die "$1: no '$2' in ${FACTS}"
  printf '%s' "$value"
}

known_agents() { # the ids of the facts file, in its (registry) order, space separated
  local id key value list=" "
  while IFS=$'\t' read -r id key value; do
    if [[ "$id" != \#* && -n "$id" && "$list" != *" ${id} "* ]]; then list+="${id} "; fi
  done < "$FACTS"
  printf '%s' "${list:1}"
}

check_agent_list() { # every word of $AGENTS is a known id, and there is at least one
  local id count=0 ids=() known
  known="$(known_agents)"
  IFS=, read -r -a ids <<< "$AGENTS"
  for id in "${ids[@]}"; do
    [[ " ${known}" == *" ${id} "* ]] || die "AGENTS: unknown agent '${id}' (known: ${known% })"
    count=$((count + 1))
  done
  ((count > 0)) || die "AGENTS is empty (known: ${known% })"
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

prune_package() { # prune_package ID PACKAGE: its prune paths (native builds for other systems)
  local root pattern path
  root="$(package_root "$2")"
  while IFS= read -r pattern; do
    [[ -n "$pattern" ]] || continue
    [[ "$pattern" =~ ^[A-Za-z0-9@._*/-]+$ && "/${pattern}/" != *"/../"* ]] || die "$1: bad prune path '${pattern}'"
    # shellcheck disable=SC2231 # the pattern is a checked glob below the package root
    for path in "${root}"/${pattern}; do rm -rf -- "$path"; done
  done < <(facts_of "$1" prune)
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]'; }

own_node() { # own_node MIN: a Node >= MIN in NODE_DIR (installed once, newer when needed)
  local min=$1 want=$NODE_FROM_NPM
  ((min <= want)) || want=$min
  if [[ ! -x "${NODE_DIR}/bin/node" ]] || (($(node_major "${NODE_DIR}/bin/node") < min)); then
    # The official Node binaries as repackaged on npm (node-linux-<arch>), in a directory of
    # their own: the base image's node stays what `-node<N>` in the tag names.
    npm_install --prefix "$NODE_DIR" "node-linux-$(node -p process.arch)@${want}"
  fi
  (($(node_major "${NODE_DIR}/bin/node") >= min)) || die "node from npm is older than ${min}"
}

install_on_own_node() { # install_on_own_node ID SPEC BINARY MIN: the agent runs on NODE_DIR's node
  local id=$1 spec=$2 binary=$3 min=$4 prefix link script
  own_node "$min"
  prefix="$(npm prefix -g)"
  # npm itself runs on the new Node too (engines checks, install scripts).
  PATH="${NODE_DIR}/bin:${PATH}" npm_install --prefix "$prefix" "$spec"
  link="${prefix}/bin/${binary}"
  script="$(readlink -f "$link")"
  [[ -f "$script" ]] || die "${id}: ${link} does not lead to its script"
  head -n 1 "$script" | grep -q '^#!.*node' || die "${id}: needs Node >= ${min} but ${link} is not a Node script"
  rm -f "$link"
  printf '#!/bin/sh\n# %s needs Node >= %s; the base image has %s.\nexec '\''%s'\'' '\''%s'\'' "$@"\n' \
    "$id" "$min" "$(node --version)" "${NODE_DIR}/bin/node" "$script" > "$link"
  chmod 0755 "$link"
}

clean_root_home() { # clean_root_home BEFORE: what a first start left in root's home goes (R96)
  local entry
  for entry in /root/.[!.]* /root/*; do
    [[ -e "$entry" || -L "$entry" ]] || continue
    if [[ "$1" != *"|${entry}|"* ]]; then rm -rf -- "$entry"; fi
  done
  rm -rf /root/.npm
}

main() {
  [[ $# == 2 ]] || die "usage: install-agent.sh ID VERSION"
  local id=$1 version=$2 package binary min before
  [[ -s "$FACTS" ]] || die "no ${FACTS}: build the image with run-in-container build"
  check_agent_list
  is_selected "$id" || return 0
  package="$(fact_of "$id" package)" binary="$(fact_of "$id" binary)" min="$(fact_of "$id" min-node)"
  [[ "$min" =~ ^[0-9]+$ ]] || die "${id}: bad min-node '${min}'"
  before="|$(printf '%s|' /root/.[!.]* /root/*)"
  if (($(node_major node) >= min)); then
    npm_install "${package}@${version}"
  else
    install_on_own_node "$id" "${package}@${version}" "$binary" "$min"
  fi
  prune_package "$id" "$package"
  # Each command must start (e.g. Claude's postinstall must have placed its native binary).
  "$binary" --version
  record_version "$id" "$package"
  # Nothing a first start leaves in root's home (the agent never reads it, R96).
  clean_root_home "$before"
}

main "$@"
