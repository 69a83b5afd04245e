# shellcheck shell=bash
# The run's report for launchers that are not around when the agent ends (a Kubernetes Job,
# R186): with SANDBOX_REPORT=1 and a volume mounted at EGRESS_DIR (lib-egress.sh), root writes
# exit.json there once the agent has ended, and copies the agent's final message
# (SANDBOX_REPORT_MESSAGE, a file in the Codex home) as the agent: root never opens a path the
# agent can write (R96), so a planted link reaches only what the agent could read anyway.

REPORT_MESSAGE_MAX=1048576 # R108's cap for the final message
REPORT_STARTED=""

report_start() { # when the agent starts (UTC, ISO 8601)
  [[ "${SANDBOX_REPORT:-}" == 1 ]] || return 0
  REPORT_STARTED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # The agent writes its final message there: its directory is made as the agent (no launcher
  # made it), so nothing root creates sits in the agent's tree.
  if [[ -n "${SANDBOX_REPORT_MESSAGE:-}" ]]; then
    run_as_agent mkdir -p -- "$(dirname -- "$SANDBOX_REPORT_MESSAGE")" || true
  fi
}

write_report() { # write_report RC: never changes the exit code, never stops the drain
  [[ "${SANDBOX_REPORT:-}" == 1 && "${EGRESS_MOUNTED:-0}" == 1 ]] || return 0
  local rc=$1 ended
  ended="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # Only numbers and timestamps made here: nothing the agent wrote goes into the JSON.
  printf '{"v":1,"exitCode":%d,"startedAt":"%s","endedAt":"%s"}\n' "$rc" "$REPORT_STARTED" "$ended" \
    > "${EGRESS_DIR}/exit.json" || true
  if [[ -n "${SANDBOX_REPORT_MESSAGE:-}" ]]; then
    run_as_agent head -c "$REPORT_MESSAGE_MAX" -- "$SANDBOX_REPORT_MESSAGE" > "${EGRESS_DIR}/last-message.md" 2>/dev/null \
      || rm -f "${EGRESS_DIR}/last-message.md"
  fi
  return 0
}
