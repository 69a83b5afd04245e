# shellcheck shell=bash
# Shared by sandbox-entrypoint and sandbox-enter: constants, one-line failures, warnings.

# shellcheck disable=SC2034 # used by the scripts that source this file
readonly EXIT_SETUP=71 LIB_DIR=/usr/local/lib/codex-sandbox CONF_DIR=/etc/codex-sandbox \
  RUN_DIR=/run/codex-sandbox AGENT_USER=codex
STEP="start"

fail() { # fail <why>: report the current step and stop, agent never started
  trap - ERR
  printf 'codex-sandbox: %s: %s\n' "$STEP" "$1" >&2
  exit "$EXIT_SETUP"
}

on_err() { # ERR trap: any unexpected failing command stops the start-up
  local rc=$1 cmd=$2
  fail "command failed (exit ${rc}): ${cmd}"
}

arm_err_trap() { trap 'on_err "$?" "$BASH_COMMAND"' ERR; }

warn() { printf 'codex-sandbox: warning: %s\n' "$1" >&2; }

# shellcheck disable=SC2034 # AGENT_HOME/AGENT_CWD are read by the scripts that source this file
enter_root_context() { # root reads nothing the agent wrote (R96): no rc file from an
  # agent-writable HOME (/codex_home), nothing relative to docker's -w (the workdir).
  # The agent gets both back (agent_env, the final cd).
  AGENT_HOME="${HOME:-}"
  AGENT_CWD="$PWD"
  export HOME=/root
  cd /
}

require_root() {
  [[ "$EUID" == 0 ]] || fail "must start as root (got uid ${EUID})"
}
