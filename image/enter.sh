#!/bin/bash
# sandbox-enter [codex|claude|gemini|shell] ARGS... — for `docker exec` into a running sandbox
# (e.g. a session). Runs as root and drops to the agent exactly like the entrypoint: codex's
# current uid/gid (mapped at start), setpriv flags, environment; cwd is docker exec's (-w,
# else the container's working directory). An agent's name runs that agent (R132; it must be
# in the image); no such word runs SANDBOX_AGENT (default codex) with all words as ARGS.
# The exit code is the command's.
set -Eeuo pipefail
umask 022
# shellcheck source=lib-common.sh
. /usr/local/lib/codex-sandbox/lib-common.sh
enter_root_context
arm_err_trap
# shellcheck source=lib-user.sh
. "${LIB_DIR}/lib-user.sh"
# shellcheck source=lib-session.sh
. "${LIB_DIR}/lib-session.sh"
# shellcheck source=lib-agent.sh
. "${LIB_DIR}/lib-agent.sh"

main() {
  STEP="enter"
  require_root
  wait_until_ready "${SANDBOX_ENTER_WAIT:-300}"
  local mode=agent name="${SANDBOX_AGENT:-codex}"
  case "${1:-}" in
    shell) mode=shell; shift ;;
    codex | claude | gemini) name=$1; shift ;;
  esac
  if [[ "$mode" == agent ]]; then select_agent "$name" 1; fi
  load_agent_ids
  agent_env
  if [[ "$AGENT_CWD" == / && -n "${SANDBOX_WORKDIR:-}" ]]; then AGENT_CWD="$SANDBOX_WORKDIR"; fi
  cd "$AGENT_CWD"
  set_agent_command "$mode" "$@"
  trap - ERR
  drop_privileges_exec "${AGENT_ARGV[@]}"
}

main "$@"
