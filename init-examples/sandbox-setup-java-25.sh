#!/bin/bash
# Example init hook for codex-sandbox: a project-local JDK 25 and Maven, with the host's
# Maven cache reused read-only.
#
# Install: copy to <workdir>/.codex/.environment/init.sh and `chmod +x` it. Run the sandbox
# with your Maven cache mounted read-only, e.g. `--read-only ~/.m2/repository` (it shows up
# at /app$HOME/.m2/repository and is found automatically; or set MAVEN_HOST_CACHE).
#
# What it does (idempotent; the downloads happen once, into $SANDBOX_ENV_DIR):
#   - JDK 25 (Eclipse Temurin, checksum verified) in $SANDBOX_ENV_DIR/jdk-25
#   - Maven (>= 3.9, needed for a read-only cache) in $SANDBOX_ENV_DIR/maven, unless the
#     image already has mvn >= 3.9
#   - $SANDBOX_ENV_DIR/m2/settings.xml: a writable local repository in $SANDBOX_ENV_DIR/m2,
#     with the host cache chained behind it read-only (aether.chainedLocalRepository.tail)
#   - $SANDBOX_ENV_DIR/bin/{java,javac,mvn}: wrappers that use all of the above. Tell Codex to
#     call $SANDBOX_ENV_DIR/bin/mvn (e.g. in AGENTS.md): variables set here do not reach Codex.
#
# Domains to allow (everything else is blocked by the sandbox):
#   JDK:    api.adoptium.net github.com objects.githubusercontent.com
#           release-assets.githubusercontent.com
#   Maven:  archive.apache.org (Maven itself, once)
#           repo.maven.apache.org repo1.maven.org (artifacts missing from the host cache)
set -euo pipefail

ENV_DIR="${SANDBOX_ENV_DIR:?SANDBOX_ENV_DIR is not set (run me as a codex-sandbox init hook)}"
JDK_FEATURE=25
JDK_DIR="${ENV_DIR}/jdk-${JDK_FEATURE}"
MAVEN_VERSION="${MAVEN_VERSION:-3.9.11}"
MAVEN_DIR="${ENV_DIR}/maven"
M2_DIR="${ENV_DIR}/m2"
BIN_DIR="${ENV_DIR}/bin"

log() { printf 'sandbox-setup-java-25: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo aarch64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
}

download() { # download URL FILE
  curl -fsSL --retry 2 --connect-timeout 10 -o "$2" "$1"
}

install_jdk() {
  if [[ -x "${JDK_DIR}/bin/java" ]]; then
    log "JDK ${JDK_FEATURE} already in ${JDK_DIR}"
    return 0
  fi
  local tmp meta link sum
  tmp="$(mktemp -d)"
  download "https://api.adoptium.net/v3/assets/latest/${JDK_FEATURE}/hotspot?architecture=$(arch)&image_type=jdk&os=linux&vendor=eclipse" "${tmp}/meta.json"
  meta="$(node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].binary.package;
    console.log(a.link + " " + a.checksum);' "${tmp}/meta.json")"
  link="${meta% *}"
  sum="${meta#* }"
  [[ "$link" == https://* && "$sum" =~ ^[0-9a-f]{64}$ ]] || die "unexpected Adoptium answer"
  download "$link" "${tmp}/jdk.tar.gz"
  echo "${sum}  ${tmp}/jdk.tar.gz" | sha256sum -c --quiet - || die "JDK checksum mismatch"
  mkdir -p "${tmp}/x"
  tar -xzf "${tmp}/jdk.tar.gz" -C "${tmp}/x" --strip-components=1
  rm -rf "$JDK_DIR"
  mv "${tmp}/x" "$JDK_DIR"
  rm -rf "$tmp"
  log "JDK installed: $("${JDK_DIR}/bin/java" -version 2>&1 | head -n 1)"
}

maven_is_recent() { # maven_is_recent MVN: version >= 3.9 (chained local repository)
  local v
  v="$(JAVA_HOME="$JDK_DIR" "$1" -v 2>/dev/null | sed -n 's/^Apache Maven \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
  [[ -n "$v" ]] && (( ${v% *} > 3 || (${v% *} == 3 && ${v#* } >= 9) ))
}

maven_cmd() { # path of the mvn to use, installing Maven when needed
  if [[ -x "${MAVEN_DIR}/bin/mvn" ]]; then echo "${MAVEN_DIR}/bin/mvn"; return 0; fi
  local system_mvn
  if system_mvn="$(command -v mvn)" && maven_is_recent "$system_mvn"; then
    echo "$system_mvn"
    return 0
  fi
  local tmp base
  tmp="$(mktemp -d)"
  base="https://archive.apache.org/dist/maven/maven-3/${MAVEN_VERSION}/binaries/apache-maven-${MAVEN_VERSION}-bin.tar.gz"
  download "$base" "${tmp}/maven.tar.gz"
  download "${base}.sha512" "${tmp}/maven.sha512"
  echo "$(cut -d' ' -f1 < "${tmp}/maven.sha512")  ${tmp}/maven.tar.gz" | sha512sum -c --quiet - \
    || die "Maven checksum mismatch"
  mkdir -p "${tmp}/x"
  tar -xzf "${tmp}/maven.tar.gz" -C "${tmp}/x" --strip-components=1
  rm -rf "$MAVEN_DIR"
  mv "${tmp}/x" "$MAVEN_DIR"
  rm -rf "$tmp"
  log "Maven ${MAVEN_VERSION} installed in ${MAVEN_DIR}"
  echo "${MAVEN_DIR}/bin/mvn"
}

find_host_cache() { # the read-only host Maven cache: MAVEN_HOST_CACHE or a mount ending in .m2[/repository]
  if [[ -n "${MAVEN_HOST_CACHE:-}" ]]; then echo "$MAVEN_HOST_CACHE"; return 0; fi
  local mp
  while read -r _ _ _ _ mp _; do
    mp="$(printf '%b' "$mp")"
    case "$mp" in
      */.m2/repository) echo "$mp"; return 0 ;;
      */.m2) [[ -d "${mp}/repository" ]] && { echo "${mp}/repository"; return 0; } ;;
    esac
  done < /proc/self/mountinfo
  return 0
}

write_settings() { # write_settings HOST_CACHE
  mkdir -p "${M2_DIR}/repository"
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<!-- Written by sandbox-setup-java-25.sh; rewritten on every start. -->'
    echo '<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">'
    echo "  <localRepository>${M2_DIR}/repository</localRepository>"
    echo '</settings>'
  } > "${M2_DIR}/settings.xml"
  local tail_opt=""
  [[ -n "$1" ]] && tail_opt="-Daether.chainedLocalRepository.tail=$1"
  printf '%s\n' -s "${M2_DIR}/settings.xml" ${tail_opt:+"$tail_opt"} > "${M2_DIR}/maven.args"
}

write_wrappers() { # write_wrappers MVN
  local mvn=$1 tool
  mkdir -p "$BIN_DIR"
  for tool in java javac jar jshell; do
    printf '#!/bin/bash\nexec %q "$@"\n' "${JDK_DIR}/bin/${tool}" > "${BIN_DIR}/${tool}"
  done
  {
    echo '#!/bin/bash'
    printf 'export JAVA_HOME=%q\n' "$JDK_DIR"
    printf 'mapfile -t extra < %q\n' "${M2_DIR}/maven.args"
    # shellcheck disable=SC2016 # the wrapper expands these itself
    printf 'exec %q "${extra[@]}" "$@"\n' "$mvn"
  } > "${BIN_DIR}/mvn"
  chmod 0755 "${BIN_DIR}"/*
}

main() {
  cd "${SANDBOX_WORKDIR:-$PWD}"
  install_jdk
  local mvn cache
  mvn="$(maven_cmd)"
  cache="$(find_host_cache)"
  if [[ -n "$cache" ]]; then log "host Maven cache (read-only): ${cache}"; else log "no host Maven cache mounted"; fi
  write_settings "$cache"
  write_wrappers "$mvn"
  if [[ -f pom.xml ]]; then
    "${BIN_DIR}/mvn" -B -q dependency:go-offline || log "dependency:go-offline failed (missing domains?)"
  fi
  log "ready: use ${BIN_DIR}/mvn and ${BIN_DIR}/java"
}

main "$@"
