#!/bin/bash
# sandbox-enter [<agent id>|shell] ARGS... — for `docker exec` into a running sandbox
# (e.g. a session). Runs as root and drops to the agent exactly like the entrypoint: codex's
# current uid/gid (mapped at start), setpriv flags, environment; cwd is docker exec's (-w,
# else the container's working directory). An agent's name runs that agent (R132; it must be
# in the image); no such word runs SANDBOX_AGENT (default: the registry's first) with all words as ARGS.
# The exit code is the command's.
set -Eeuo pipefail
umask 022
# shellcheck source=lib-common.sh
. /usr/local/lib/codex-sandbox/lib-common.sh
exec {AGENT_CWD_FD}<.
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
  load_agent_facts
  local mode=agent name="${SANDBOX_AGENT:-$AGENT}"
  if [[ "${1:-}" == shell ]]; then
    mode=shell
    shift
  elif is_known_agent "${1:-}"; then
    name=$1
    shift
  fi
  if [[ "$mode" == agent ]]; then select_agent "$name" 1; fi
  load_agent_ids
  agent_env
  # docker exec's directory as runc entered it: never its path resolved again as root, after
  # a wait during which the agent may have put a link on the way (R96).
  if [[ "$AGENT_CWD" == / && -n "${SANDBOX_WORKDIR:-}" ]]; then
    cd "$SANDBOX_WORKDIR"
  else
    cd -P "/proc/self/fd/${AGENT_CWD_FD}"
  fi
  exec {AGENT_CWD_FD}<&-
  set_agent_command "$mode" "$@"
  trap - ERR
  drop_privileges_exec "${AGENT_ARGV[@]}"
}

main "$@"
