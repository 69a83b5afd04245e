# shellcheck shell=bash
# User mapping, ownership, the agent's environment and the privilege drop.
# Sourced by sandbox-entrypoint and sandbox-enter (which must drop exactly alike).

TARGET_UID=""
TARGET_GID=""
CHOWN_TREES=0    # root host, root-owned workdir: hand workdir and Codex home to uid 1000
CHOWN_HOME=0     # root host: the launcher (root) created the Codex home; hand it to the agent
EXTRA_WORKDIRS=() # SANDBOX_WORKDIRS minus SANDBOX_WORKDIR
readonly CA_DIR=/usr/local/share/ca-certificates/codex-sandbox
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && (( ${#1} <= 10 )); }

resolve_target_ids() { # pick the uid/gid the agent runs as
  local uid="${SANDBOX_HOST_UID:-1000}" gid="${SANDBOX_HOST_GID:-1000}"
  is_uint "$uid" || fail "SANDBOX_HOST_UID is not a number: ${uid}"
  is_uint "$gid" || fail "SANDBOX_HOST_GID is not a number: ${gid}"
  if [[ "$uid" == 0 ]]; then
    CHOWN_HOME=1
    # Host user is root: take the workdir owner, else stay 1000 and chown.
    local owner=""
    if [[ -n "${SANDBOX_WORKDIR:-}" && -d "${SANDBOX_WORKDIR}" ]]; then
      owner="$(stat -c '%u:%g' "$SANDBOX_WORKDIR")"
    fi
    if [[ -n "$owner" && "${owner%%:*}" != 0 ]]; then
      uid="${owner%%:*}"
      gid="${owner##*:}"
    else
      uid=1000
      gid=1000
      CHOWN_TREES=1
    fi
  fi
  [[ "$gid" != 0 ]] || gid="$uid"
  TARGET_UID="$uid"
  TARGET_GID="$gid"
}

load_agent_ids() { # sandbox-enter: the mapping was done at start; use codex's current ids
  TARGET_UID="$(id -u "$AGENT_USER")"
  TARGET_GID="$(id -g "$AGENT_USER")"
  [[ "$TARGET_UID" != 0 && "$TARGET_GID" != 0 ]] || fail "agent user ${AGENT_USER} maps to root"
}

read_workdirs() { # SANDBOX_WORKDIRS (newline separated) -> EXTRA_WORKDIRS; each /app/..., existing
  local dir
  local -A seen=()
  EXTRA_WORKDIRS=()
  if [[ -n "${SANDBOX_WORKDIR:-}" ]]; then seen[$SANDBOX_WORKDIR]=1; fi
  while IFS= read -r dir; do
    [[ -n "$dir" && -z "${seen[$dir]:-}" ]] || continue
    seen[$dir]=1
    [[ "$dir" == /app/* && "/${dir}/" != */../* && "/${dir}/" != */./* ]] \
      || fail "workdir '${dir}' is not a normalized path under /app"
    [[ -d "$dir" ]] || fail "workdir ${dir} does not exist"
    EXTRA_WORKDIRS+=("$dir")
  done <<< "${SANDBOX_WORKDIRS:-}"
  return 0
}

map_extra_workdirs() { # root host only: the per-workdir rule (root-owned: hand it to the agent)
  local dir owner
  [[ "${SANDBOX_HOST_UID:-1000}" == 0 ]] || return 0
  for dir in "${EXTRA_WORKDIRS[@]}"; do
    owner="$(stat -c '%u' "$dir")"
    if [[ "$owner" == 0 ]]; then
      chown_tree "$dir"
    elif [[ "$owner" != "$TARGET_UID" ]]; then
      warn "workdir ${dir} belongs to uid ${owner}, the agent runs as ${TARGET_UID}: it may not be writable"
    fi
  done
}

separate_service_ids() { # the agent never shares a service's uid (the firewall matches owners)
  # nor its group (proxy reads squid.conf with the upstream's credentials, codex-egress
  # writes the egress FIFO): a service id equal to the host's moves to a free system id.
  local user group id candidate=999
  # The image's own account files, read once in bash: a process per name cost ~0.1 s of every start.
  local -A uids=() gids=()
  local name _pw num _rest
  while IFS=: read -r name _pw num _rest; do uids[$name]=$num; done < /etc/passwd
  while IFS=: read -r name _pw num _rest; do gids[$name]=$num; done < /etc/group
  for user in dnsmasq _dnsdist proxy sandbox-log ulog sandbox-relay; do
    id="${uids[$user]:-}"
    [[ -n "$id" ]] || fail "service user ${user} missing from /etc/passwd"
    [[ "$id" == "$TARGET_UID" ]] || continue
    while getent passwd "$candidate" >/dev/null || [[ "$candidate" == "$TARGET_UID" ]]; do
      candidate=$((candidate - 1))
      (( candidate > 100 )) || fail "no free system uid for ${user}"
    done
    usermod -u "$candidate" "$user" >/dev/null
  done
  candidate=999
  for group in proxy codex-egress ulog _dnsdist; do
    id="${gids[$group]:-}"
    [[ -n "$id" ]] || fail "service group ${group} missing from /etc/group"
    [[ "$id" == "$TARGET_GID" ]] || continue
    while getent group "$candidate" >/dev/null || [[ "$candidate" == "$TARGET_GID" ]]; do
      candidate=$((candidate - 1))
      (( candidate > 100 )) || fail "no free system gid for ${group}"
    done
    groupmod -g "$candidate" "$group"
    # The image's own files of that group (Squid's directories) follow it.
    find /etc /var -xdev -gid "$id" -exec chgrp -h "$candidate" {} +
  done
}

map_agent_user() { # give codex the host uid/gid so workdir files belong to the host user
  local cur_uid cur_gid
  IFS=: read -r _ _ cur_uid cur_gid _ < <(getent passwd "$AGENT_USER")
  # Nothing to do when already mapped (same host user, or a restarted session).
  if [[ "$cur_gid" != "$TARGET_GID" ]]; then
    groupmod -o -g "$TARGET_GID" "$AGENT_USER"
  fi
  if [[ "$cur_uid" != "$TARGET_UID" ]]; then
    usermod -o -u "$TARGET_UID" -g "$TARGET_GID" "$AGENT_USER" >/dev/null
  fi
  chown_changed /home/codex
  # The Codex home's real directory: never the /codex_home link itself (lib-mounts.sh).
  local home_dir="${CODEX_HOME_LINK:-/codex_home}"
  if [[ "$CHOWN_TREES" == 1 ]]; then
    # A Codex home inside the workdir is walked once, with the workdir.
    if [[ -z "${SANDBOX_WORKDIR:-}" || "$home_dir" != "$SANDBOX_WORKDIR"/* ]]; then chown_tree "$home_dir"; fi
    if [[ -n "${SANDBOX_WORKDIR:-}" ]]; then chown_tree "$SANDBOX_WORKDIR"; fi
  elif [[ "$CHOWN_HOME" == 1 ]]; then
    chown_tree "$home_dir"
  elif [[ ! -L /codex_home ]] && ! mountpoint -q /codex_home; then
    chown_top /codex_home # image directory (no host mount): make it the agent's
  fi
  warn_unreadable_auth
}

warn_unreadable_auth() { # auth.json is never chowned/chmod-ed; say so when the agent cannot read it
  local auth=/codex_home/auth.json mode owner
  [[ -f "$auth" ]] || return 0
  mode="$(stat -c '%a' "$auth")"
  owner="$(stat -c '%u' "$auth")"
  if [[ "$owner" != "$TARGET_UID" && "${mode: -1}" != [4567] ]]; then
    warn "auth.json (owner uid ${owner}, mode ${mode}) is not readable by the agent (uid ${TARGET_UID}); Codex may ask you to log in"
  fi
  return 0
}

glob_quote() { # glob_quote PATH: PATH as a find -path pattern matching only itself
  local text=$1 out="" c i
  for (( i = 0; i < ${#text}; i++ )); do
    c=${text:i:1}
    case "$c" in
      '*' | '?' | '[' | ']' | \\) out+="\\$c" ;;
      *) out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

mount_points_under() { # print mount points strictly below $1, NUL-terminated (paths may hold newlines)
  local dir=$1 mp
  while read -r _ _ _ _ mp _; do
    printf -v mp '%b' "$mp" # mountinfo escapes: \040 space, \011 tab, ... (no fork per line)
    if [[ "$mp" == "$dir"/* ]]; then printf '%s\0' "$mp"; fi
  done < /proc/self/mountinfo
  return 0
}

mount_is_rw() { # is the mount holding $1 writable (per-mount "rw", like findmnt --target)?
  # Read in bash from mountinfo: no process per call. The longest (last on ties) wins.
  local path=$1 mp opts best="" best_opts=""
  while read -r _ _ _ _ mp opts _; do
    printf -v mp '%b' "$mp"
    if [[ "$mp" == / || "$path" == "$mp" || "$path" == "$mp"/* ]] && (( ${#mp} >= ${#best} )); then
      best=$mp best_opts=$opts
    fi
  done < /proc/self/mountinfo
  [[ -n "$best" && ",${best_opts}," == *,rw,* ]]
}

chown_changed() { # chown_changed FIND-ARGS...: chown -h only what is not the agent's yet
  # A restart or an already-mapped tree costs one walk and no chown at all. Root never
  # follows a link the agent planted (R110): find -P does not, and -execdir runs chown -h
  # on ./NAME from inside the directory find holds, so renaming a parent meanwhile cannot
  # redirect it (a path printed by find and chown-ed later could be).
  find -P "$@" \( ! -uid "$TARGET_UID" -o ! -gid "$TARGET_GID" \) \
    -execdir chown -h "${TARGET_UID}:${TARGET_GID}" -- {} +
}

chown_top() { # chown one directory (not recursive), never on a readonly mount
  local dir=$1
  [[ -d "$dir" ]] || return 0
  mount_is_rw "$dir" || return 0
  chown "${TARGET_UID}:${TARGET_GID}" "$dir"
}

chown_tree() { # chown -R, skipping readonly mounts (auth.json, --read-only paths)
  local dir=$1 mp
  [[ -d "$dir" ]] || return 0
  mount_is_rw "$dir" || return 0
  local -a prune=()
  local -a nested=()
  while IFS= read -r -d '' mp; do
    nested+=("$mp")
    prune+=(-path "$(glob_quote "$mp")" -prune -o)
  done < <(mount_points_under "$dir")
  chown_changed "$dir" "${prune[@]}"
  for mp in "${nested[@]}"; do
    if [[ -d "$mp" ]] && mount_is_rw "$mp"; then chown_tree "$mp"; fi
  done
  return 0
}

has_extra_ca() { compgen -G "${CA_DIR}/*.crt" >/dev/null; }

agent_env() { # environment the agent sees (entrypoint, init hook, sandbox-enter alike)
  export USER="$AGENT_USER" LOGNAME="$AGENT_USER"
  # Root ran with HOME=/root (never an agent-writable HOME); the agent gets the launcher's.
  export HOME="${AGENT_HOME:-/codex_home}"
  [[ "$HOME" != /root ]] || export HOME=/codex_home
  # The upstream proxy's credentials are Squid's business, never the agent's.
  unset SANDBOX_PROXY_AUTH
  export CODEX_HOME="${CODEX_HOME:-/codex_home}"
  export SANDBOX_ENV_DIR="${SANDBOX_ENV_DIR:-/codex_home}"
  export SHELL=/bin/bash
  # The bundle holds the run's CA (TLS inspection, R160) and --ca-cert: every tool's variable.
  export NODE_EXTRA_CA_CERTS="$CA_BUNDLE" SSL_CERT_FILE="$CA_BUNDLE" REQUESTS_CA_BUNDLE="$CA_BUNDLE" \
    CURL_CA_BUNDLE="$CA_BUNDLE" GIT_SSL_CAINFO="$CA_BUNDLE" PIP_CERT="$CA_BUNDLE"
}

drop_privileges_exec() { # exec "$@" as codex: no caps, no bounding set, no_new_privs
  exec setpriv --reuid "$TARGET_UID" --regid "$TARGET_GID" --clear-groups \
    --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs \
    -- "$@"
}

run_as_agent() { # run "$@" as codex in a subshell (same drop), return its exit code
  (drop_privileges_exec "$@")
}
