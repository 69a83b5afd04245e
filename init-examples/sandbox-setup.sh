#!/bin/bash
# Example init hook for codex-sandbox: prepares a project's dependencies before Codex starts.
#
# Install: copy to <workdir>/.codex/.environment/init.sh and `chmod +x` it.
# It runs as the agent user (the host uid), from the workdir, after the firewall is up,
# with SANDBOX_ENV_DIR set. Re-running it is cheap: each step is skipped while its input
# file (requirements.txt, package-lock.json/package.json, pom.xml) is unchanged.
#
# Domains to allow (everything else is blocked by the sandbox):
#   Python (requirements.txt): pypi.org files.pythonhosted.org
#   npm (package.json):        registry.npmjs.org
#   Maven (pom.xml):           repo.maven.apache.org repo1.maven.org
#                              (+ the hosts of any <repository> in the pom)
#
# Python needs python3 with the venv module in the image (not in the default image).
# The venv lives in $SANDBOX_ENV_DIR/venv: tell Codex to use $SANDBOX_ENV_DIR/venv/bin/python
# (e.g. in AGENTS.md); environment variables set here do not reach Codex.
set -euo pipefail

ENV_DIR="${SANDBOX_ENV_DIR:?SANDBOX_ENV_DIR is not set (run me as a codex-sandbox init hook)}"
STAMP_DIR="${ENV_DIR}/.setup-stamps"

log() { printf 'sandbox-setup: %s\n' "$*" >&2; }

unchanged() { # unchanged NAME FILE...: true when FILEs hash to what the last success recorded
  local name=$1; shift
  [[ -f "${STAMP_DIR}/${name}" ]] && [[ "$(cat -- "$@" | sha256sum)" == "$(cat "${STAMP_DIR}/${name}")" ]]
}

record() { # record NAME FILE...: remember the inputs of a successful step
  local name=$1; shift
  mkdir -p "$STAMP_DIR"
  cat -- "$@" | sha256sum > "${STAMP_DIR}/${name}"
}

setup_python() {
  [[ -f requirements.txt ]] || return 0
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    log "requirements.txt found but python3 with venv/ensurepip is not in the image; skipped"
    return 0
  fi
  local venv="${ENV_DIR}/venv"
  if unchanged python requirements.txt && [[ -x "${venv}/bin/pip" ]]; then
    log "python: requirements.txt unchanged, venv up to date"
    return 0
  fi
  [[ -x "${venv}/bin/pip" ]] || python3 -m venv --clear "$venv"
  "${venv}/bin/python" -m pip install --disable-pip-version-check -q -r requirements.txt
  record python requirements.txt
  log "python: venv ready in ${venv}"
}

setup_node() {
  [[ -f package.json ]] || return 0
  local inputs=(package.json)
  [[ -f package-lock.json ]] && inputs+=(package-lock.json)
  if unchanged node "${inputs[@]}" \
    && { [[ -d node_modules ]] || ! grep -qiE '"(dev|optional|peer)?dependencies"' package.json; }; then
    log "npm: dependencies unchanged, node_modules up to date"
    return 0
  fi
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
  record node "${inputs[@]}"
  log "npm: dependencies installed"
}

setup_maven() {
  [[ -f pom.xml ]] || return 0
  if ! command -v mvn >/dev/null 2>&1; then
    log "pom.xml found but mvn is not installed; skipped (see sandbox-setup-java-25.sh)"
    return 0
  fi
  if unchanged maven pom.xml; then
    log "maven: pom.xml unchanged, dependencies already fetched"
    return 0
  fi
  mvn -B -q dependency:go-offline
  record maven pom.xml
  log "maven: dependencies fetched"
}

main() {
  cd "${SANDBOX_WORKDIR:-$PWD}"
  setup_python
  setup_node
  setup_maven
}

main "$@"
