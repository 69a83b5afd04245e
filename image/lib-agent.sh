# shellcheck shell=bash
# Which agent a run starts (SANDBOX_AGENT, R132), whether the image has it, and its argv.
# Sourced by sandbox-entrypoint and sandbox-enter. Root only looks the command up
# (command -v): it never runs an agent binary and reads nothing from the agents' homes
# (their variables, CLAUDE_CONFIG_DIR, GEMINI_CLI_HOME, SANDBOX, keys, come from the launcher).

readonly KNOWN_AGENTS="codex claude gemini" AGENT_VERSIONS_DIR="${CONF_DIR}/agents"
AGENT=codex

agents_with() { # agents_with ID: the image's agents plus ID, in registry order, comma separated
  local id list=""
  for id in $KNOWN_AGENTS; do
    if [[ "$id" == "$1" || -f "${AGENT_VERSIONS_DIR}/${id}" ]]; then list+="${list:+,}${id}"; fi
  done
  printf '%s' "$list"
}

is_known_agent() { [[ -n "$1" && " ${KNOWN_AGENTS} " == *" $1 "* ]]; }

select_agent() { # select_agent NAME REQUIRED(0|1): AGENT=NAME, or one line naming the fix (71)
  local name=$1 shown
  if ! is_known_agent "$name"; then
    shown="${name:0:40}"
    fail "unknown agent '${shown//[^A-Za-z0-9_.-]/?}' (expected ${KNOWN_AGENTS// /, })"
  fi
  AGENT=$name
  [[ "$2" == 1 ]] || return 0
  if [[ ! -f "${AGENT_VERSIONS_DIR}/${name}" ]] || ! command -v "$name" >/dev/null; then
    fail "this image has no ${name}: build one with \`run-in-container build --agents $(agents_with "$name")\`"
  fi
}

choose_agent() { # choose_agent MODE: SANDBOX_AGENT (absent: codex), present in the image when it runs
  # An agent named explicitly must be in the image whatever the mode (a claude session or
  # login needs claude); the default (codex) only when the mode starts the agent itself.
  if [[ -n "${SANDBOX_AGENT:-}" ]]; then
    select_agent "$SANDBOX_AGENT" 1
  elif [[ "$1" == codex ]]; then
    select_agent codex 1
  else
    select_agent codex 0
  fi
}

AGENT_ARGV=()
# shellcheck disable=SC2034 # AGENT_ARGV is read by the scripts that source this file
set_agent_command() { # set_agent_command agent|shell|login ARGS... -> AGENT_ARGV (for $AGENT)
  local mode=$1
  shift
  case "$mode" in
    shell | login)
      if [[ $# -eq 0 ]]; then
        [[ "$mode" == shell ]] || fail "SANDBOX_COMMAND=login needs the login command as arguments"
        set -- bash -l
      fi
      AGENT_ARGV=("$@")
      ;;
    *)
      if [[ "$AGENT" == codex ]]; then
        # The container is the sandbox: bwrap cannot create namespaces in it (R33).
        AGENT_ARGV=(codex -c 'sandbox_mode="danger-full-access"' "$@")
      else
        AGENT_ARGV=("$AGENT" "$@")
      fi
      ;;
  esac
}
