# shellcheck shell=bash
# Clone mode: SANDBOX_REPO_URL [SANDBOX_REPO_REF] [SANDBOX_REPO_DIR] -> clone (or fetch and
# check out) into SANDBOX_WORKDIR/<dir> as the agent, through the firewall. Every value is
# its own argv element after "--"; nothing goes through a shell string.

CLONE_OUT="${RUN_DIR}/clone.out"

repo_dir_name() { # default like git: last path component of the URL without ".git"
  local name="${SANDBOX_REPO_DIR:-}"
  if [[ -z "$name" ]]; then
    name="${SANDBOX_REPO_URL%/}"
    name="${name##*/}"
    name="${name##*:}"
    name="${name%.git}"
  fi
  [[ -n "$name" && "$name" != . && "$name" != .. && "$name" != */* && "$name" != -* ]] \
    || fail "invalid repository directory '${name}' (one path component, set SANDBOX_REPO_DIR)"
  REPO_DIR_NAME="$name"
}

git_as_agent() { # git ARGS... as the agent; output collected for the failure message
  run_as_agent git "$@" >>"$CLONE_OUT" 2>&1
}

clone_failed() {
  local last
  last="$(grep -v '^[[:space:]]*$' "$CLONE_OUT" | tail -n 1)" || true
  # git's words (and a server's) are data: printable and one bounded line.
  last="${last:0:300}"
  last="${last//[^[:print:]]/?}"
  fail "${last:-git failed}"
}

default_branch() { # origin's default branch (empty when unknown)
  run_as_agent git -C "$1" symbolic-ref --quiet --short refs/remotes/origin/HEAD 2>/dev/null \
    | sed 's#^origin/##' || true
}

checkout_ref() { # checkout_ref DIR REF: fast-forward a local branch, else let git DWIM
  local dir=$1 ref=$2
  if run_as_agent git -C "$dir" show-ref --verify --quiet "refs/heads/${ref}"; then
    git_as_agent -C "$dir" checkout --quiet "$ref" -- || return 1
    if run_as_agent git -C "$dir" show-ref --verify --quiet "refs/remotes/origin/${ref}"; then
      git_as_agent -C "$dir" merge --ff-only --quiet "refs/remotes/origin/${ref}" || return 1
    fi
    return 0
  fi
  git_as_agent -C "$dir" checkout --quiet "$ref" --
}

clone_repository() {
  [[ -n "${SANDBOX_REPO_URL:-}" ]] || return 0
  # shellcheck disable=SC2034 # read by fail()
  STEP="clone failed"
  local url="$SANDBOX_REPO_URL" ref="${SANDBOX_REPO_REF:-}" dir
  [[ "$url" != -* ]] || fail "invalid repository URL '${url}'"
  [[ "$ref" != -* ]] || fail "invalid ref '${ref}'"
  repo_dir_name
  dir="${WORKDIR}/${REPO_DIR_NAME}"
  : > "$CLONE_OUT"
  trap - ERR
  # Ownership may differ (root launcher): trust exactly this directory, once.
  if ! run_as_agent git config --global --get-all safe.directory 2>/dev/null | grep -qxF -- "$dir"; then
    git_as_agent config --global --add safe.directory "$dir" || clone_failed
  fi
  if [[ -e "${dir}/.git" ]]; then
    git_as_agent -C "$dir" fetch --quiet --tags origin || clone_failed
    if [[ -z "$ref" ]]; then
      run_as_agent git -C "$dir" remote set-head origin --auto >>"$CLONE_OUT" 2>&1 || true
      ref="$(default_branch "$dir")"
    fi
    if [[ -n "$ref" ]]; then checkout_ref "$dir" "$ref" || clone_failed; fi
  else
    (cd "$WORKDIR" && git_as_agent clone --quiet -- "$url" "$REPO_DIR_NAME") || clone_failed
    if [[ -n "$ref" ]]; then checkout_ref "$dir" "$ref" || clone_failed; fi
  fi
  arm_err_trap
}
