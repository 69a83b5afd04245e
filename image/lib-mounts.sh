# shellcheck shell=bash
# The first step of every start (R103): each bind mount the launcher asked for is the file
# or directory it checked. SANDBOX_MOUNT_IDS has one line per mount, "DEV:INO f|d TARGET",
# TARGET escaped as in /proc/self/mountinfo (\040 space, \011 tab, \012 newline, \134
# backslash). Docker resolves mount sources again at every start: a source the agent swapped
# for a symlink since the launcher's check would be mounted instead, so this runs before
# anything reads or writes below a mount, and any difference stops the start (exit 71).
#
# For each target: open it once (the descriptor pins the object), then ask the kernel about
# that object only: its mount (fdinfo mnt_id) must be mounted exactly at TARGET (mountinfo),
# a directory must be the root of that mount (its ".." lies in another mount), and its
# st_dev:st_ino must be the expected ones. A mount that landed elsewhere (a symlink in the
# target path) leaves its own target without a mount of its own, so it is caught too.
# No process per mount: one stat for all of them.

CODEX_HOME_LINK=""   # SANDBOX_CODEX_HOME, validated: /codex_home points there

mnt_id_of() { # mnt_id_of FD -> MNT_ID
  local key value
  while read -r key value; do
    if [[ "$key" == mnt_id: ]]; then MNT_ID=$value; return 0; fi
  done < "/proc/self/fdinfo/$1"
  fail "no mount id for descriptor $1 (kernel too old?)"
}

verify_mounts() {
  [[ -n "${SANDBOX_MOUNT_IDS:-}" ]] || return 0
  local line want kind target raw fd parent mid pmid id point
  local -a fds=() wants=() names=() ids=()
  local -A mount_point=()
  while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    want=${line%% *}; line=${line#* }; kind=${line%% *}; target=${line#* }
    [[ "$want" =~ ^[0-9]+:[0-9]+$ && ( "$kind" == f || "$kind" == d ) && "$target" == /* ]] \
      || fail "malformed SANDBOX_MOUNT_IDS line"
    printf -v raw '%b' "$target" # mountinfo's \ooo escapes
    # Type first: opening a FIFO would block, a device is never opened.
    if [[ "$kind" == d ]]; then [[ -d "$raw" && ! -L "$raw" ]]; else [[ -f "$raw" && ! -L "$raw" ]]; fi \
      || fail "mount ${raw} is not the $([[ $kind == d ]] && echo directory || echo file) the launcher checked (swapped since?): run again"
    exec {fd}<"$raw"
    MNT_ID=""; mnt_id_of "$fd"; mid=$MNT_ID
    if [[ "$kind" == d ]]; then
      exec {parent}<"/proc/self/fd/${fd}/.."
      mnt_id_of "$parent"; pmid=$MNT_ID
      exec {parent}<&-
      [[ "$pmid" != "$mid" ]] || fail "mount ${raw} is not the root of a mount (redirected by a symlink?): run again"
    fi
    fds+=("$fd"); wants+=("$want"); names+=("$target"); ids+=("$mid")
  done <<< "$SANDBOX_MOUNT_IDS"
  while read -r id _ _ _ point _; do mount_point[$id]=$point; done < /proc/self/mountinfo
  local i
  for i in "${!fds[@]}"; do
    [[ "${mount_point[${ids[$i]}]:-}" == "${names[$i]}" ]] \
      || fail "mount ${names[$i]} is not mounted where the launcher asked (a symlink in its path?): run again"
  done
  local -a paths=()
  for fd in "${fds[@]}"; do paths+=("/proc/self/fd/${fd}"); done
  local -a got=()
  mapfile -t got < <(stat -L -c '%d:%i' -- "${paths[@]}" || echo failed)
  (( ${#got[@]} == ${#fds[@]} )) || fail "could not stat the mounts"
  for i in "${!fds[@]}"; do
    [[ "${got[$i]}" == "${wants[$i]}" ]] \
      || fail "mount ${names[$i]} is not what the launcher checked (its source was replaced since; a kept session: recreate it with --replace): run again"
    fd=${fds[$i]}
    exec {fd}<&-
  done
}

link_codex_home() { # SANDBOX_CODEX_HOME (a Codex home inside a workdir): /codex_home -> it
  local target="${SANDBOX_CODEX_HOME:-}" dir ok=0
  [[ -n "$target" ]] || return 0
  [[ "$target" == /app/* && "/${target}/" != */../* && "/${target}/" != */./* && "$target" != */ ]] \
    || fail "SANDBOX_CODEX_HOME '${target}' is not a normalized path under /app"
  for dir in "${SANDBOX_WORKDIR:-}" "${EXTRA_WORKDIRS[@]}"; do
    if [[ -n "$dir" && "$target" == "$dir"/* ]]; then ok=1; fi
  done
  [[ "$ok" == 1 ]] || fail "SANDBOX_CODEX_HOME '${target}' is not inside a workdir"
  # The link lives in the container's own root-owned file system: the agent cannot change
  # it, and it is resolved inside the container (mounts such as --protect-git apply).
  if [[ -L /codex_home ]]; then
    rm -f /codex_home
  elif [[ -d /codex_home ]]; then
    ! mountpoint -q /codex_home || fail "/codex_home is mounted although SANDBOX_CODEX_HOME is set"
    rmdir /codex_home
  fi
  ln -s -- "$target" /codex_home
  # shellcheck disable=SC2034 # read by lib-user.sh (map_agent_user)
  CODEX_HOME_LINK=$target
}
