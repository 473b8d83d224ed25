#!/usr/bin/env bash
# Build the oura-collector image and run `oura-collector demo` from it, without a container
# engine daemon. Not part of `make test`: it needs root, podman and a few minutes.
#
#   sudo scripts/build-image.sh                   # stand-in Debian base, build, demo, smoke test
#   sudo scripts/build-image.sh --base python:3.11-slim-bookworm   # the real base (needs a registry)
#
# Steps, each timed, and at the end a list of what could not be done here:
#   1. base: BASE_IMAGE as given, else a stand-in built with debootstrap (Debian bookworm minbase
#      + python3 python3-venv ca-certificates curl: bookworm's python3 is 3.11) and `podman import`.
#   2. build: `podman build --isolation=chroot --network=host --build-arg BASE_IMAGE=...`.
#   3. run, as Kubernetes would: read-only root, writable tmpfs only where k8s/base mounts
#      emptyDirs, the image's user and environment, no capabilities, no network. With
#      `podman run` where it works (runc and explicit ulimits where crun is refused); else the
#      image's filesystem is mounted (`podman image mount`), bound read-only and run under chroot.
#      First a check that the root is really read-only, then `oura-collector demo` (peak memory of
#      the collector's processes and what each writable path received).
#   4. smoke: `oura-collector run` answers /health through the image's curl (200 "starting",
#      then 503 after a cycle without Oura credentials) and exits 0 on SIGTERM; with podman also
#      the image's HEALTHCHECK and the runbook's `exec ... curl localhost:8080/health`.
#
# Options: --base IMAGE, --tag TAG (default localhost/oura-collector:dev), --days N (demo, default
# 3), --rebuild-base, --no-demo. WORK_DIR (default /var/tmp/oura-collector-image) holds the logs:
# build.log, demo.log, smoke.log, healthcheck.log. Needs: root; Debian packages podman, debootstrap
# (for the stand-in base) and, where crun is refused, runc.

# The scripts run inside the image are single-quoted on purpose: they expand there, not here.
# shellcheck disable=SC2016
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK_DIR="${WORK_DIR:-/var/tmp/oura-collector-image}"
TAG="localhost/oura-collector:dev"
BASE=""
STANDIN_BASE="localhost/oura-collector-base:bookworm-standin"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DAYS=3
REBUILD_BASE=0
RUN_DEMO=1
SMOKE_PORT="${SMOKE_PORT:-18080}"
# The paths k8s/base mounts as emptyDirs (keep in step with the Dockerfile's header).
WRITABLE=(/tmp /home/oura /var/lib/oura-collector /app/.meltano/run /app/transform/target
    /app/transform/logs)

while (($#)); do
    case "$1" in
        --base) BASE="$2"; shift 2 ;;
        --tag) TAG="$2"; shift 2 ;;
        --days) DAYS="$2"; shift 2 ;;
        --rebuild-base) REBUILD_BASE=1; shift ;;
        --no-demo) RUN_DEMO=0; shift ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

NOT_DONE=()
DONE=()
not_done() { NOT_DONE+=("$1"); echo "!! could not: $1" >&2; }
done_step() { DONE+=("$1"); echo "== $1"; }
podman() { command podman --cgroup-manager=cgroupfs "$@"; }

summary() {
    local code=$?
    echo
    echo "==================== build-image.sh summary ===================="
    local line
    for line in "${DONE[@]}"; do echo "done:       $line"; done
    for line in "${NOT_DONE[@]}"; do echo "not done:   $line"; done
    echo "exit code:  $code"
}
trap summary EXIT
mkdir -p "$WORK_DIR"

if [[ $EUID -ne 0 ]]; then
    not_done "anything: run as root (podman's rootful store, debootstrap, mount and chroot)"
    exit 1
fi
for tool in podman unshare chroot mount; do
    if ! command -v "$tool" > /dev/null; then
        not_done "build: \`$tool\` is missing (Debian: apt-get install -y podman debootstrap)"
        exit 1
    fi
done

# --- 1. base ----------------------------------------------------------------------------------
if [[ -z "$BASE" ]]; then
    BASE="$STANDIN_BASE"
    if ((REBUILD_BASE)) || ! podman image exists "$BASE"; then
        if ! command -v debootstrap > /dev/null; then
            not_done "stand-in base: debootstrap is missing (apt-get install -y debootstrap)"
            exit 1
        fi
        start=$SECONDS
        rootfs="$WORK_DIR/base-rootfs"
        rm -rf "$rootfs"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,curl \
            bookworm "$rootfs" "$DEBIAN_MIRROR" > "$WORK_DIR/debootstrap.log" 2>&1 ||
            { not_done "stand-in base: debootstrap failed, see $WORK_DIR/debootstrap.log"; exit 1; }
        # Trust what this machine trusts (a TLS-intercepting egress proxy's CA, for instance):
        # only the stand-in gets it, never the Dockerfile.
        if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
            cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
            chroot "$rootfs" update-ca-certificates > /dev/null 2>&1
        fi
        chroot "$rootfs" apt-get clean
        rm -rf "$rootfs"/var/lib/apt/lists/*
        bundle=/etc/ssl/certs/ca-certificates.crt
        tar -C "$rootfs" --numeric-owner -cf - . | podman import \
            --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
            --change "ENV LANG=C.UTF-8" \
            --change "ENV SSL_CERT_FILE=$bundle" --change "ENV PIP_CERT=$bundle" \
            --change "ENV REQUESTS_CA_BUNDLE=$bundle" \
            --change 'CMD ["/bin/bash"]' - "$BASE" > /dev/null
        done_step "stand-in base $BASE (debootstrap bookworm minbase, $(
            chroot "$rootfs" python3 --version)) in $((SECONDS - start)) s"
        rm -rf "$rootfs"
    else
        done_step "stand-in base $BASE reused (--rebuild-base to make it again)"
    fi
    not_done "the real base python:3.11-slim-bookworm: a stand-in was used (pass --base to try it)"
fi

# --- 2. build ---------------------------------------------------------------------------------
start=$SECONDS
# --format docker: the OCI format has no HEALTHCHECK.
if ! podman build --format docker --isolation=chroot --network=host --build-arg "BASE_IMAGE=$BASE" \
    --tag "$TAG" --file "$ROOT/Dockerfile" "$ROOT" 2>&1 | tee "$WORK_DIR/build.log"; then
    not_done "build: podman build failed, see $WORK_DIR/build.log"
    exit 1
fi
build_seconds=$((SECONDS - start))
size=$(podman image inspect --format '{{.Size}}' "$TAG")
base_size=$(podman image inspect --format '{{.Size}}' "$BASE")
done_step "build $TAG in ${build_seconds} s: $((size / 1000000)) MB ($((base_size / 1000000)) MB of it the base)"

if ! ((RUN_DEMO)); then
    exit 0
fi

# --- 3. run the image as Kubernetes would --------------------------------------------------------
# shellcheck disable=SC2054  # commas belong to --mount's value
TMPFS=(--mount type=tmpfs,destination=/tmp,tmpfs-mode=1777,notmpcopyup)
for path in "${WRITABLE[@]}"; do
    # emptyDirs start empty and writable by the pod's user (podman 4.3 ignores tmpfs-mode here).
    [[ $path == /tmp ]] || TMPFS+=(--mount "type=tmpfs,destination=$path,notmpcopyup,U=true")
done
LOCKDOWN=(--read-only --read-only-tmpfs=false "${TMPFS[@]}" --cap-drop=ALL
    --security-opt no-new-privileges --network=none
    # podman's own defaults exceed what some sandboxes allow (setrlimit: Operation not permitted).
    --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
ENGINE=()
for runtime in "" runc; do
    if [[ -n $runtime ]] && ! command -v "$runtime" > /dev/null; then
        not_done "podman run --runtime $runtime: $runtime is not installed (apt-get install -y runc)"
        continue
    fi
    candidate=(podman ${runtime:+--runtime "$runtime"})
    if probe=$(timeout 120 "${candidate[@]}" run --rm --no-healthcheck "${LOCKDOWN[@]}" "$TAG" --help 2>&1); then
        ENGINE=("${candidate[@]}")
        done_step "podman run${runtime:+ --runtime $runtime} works here: the image runs in a real container"
        break
    fi
    why=$(grep -m1 -o 'Error: .*' <<< "$probe" | cut -c1-150)
    not_done "podman run${runtime:+ --runtime $runtime} (${why:-see below}): trying the next way"
done

IMAGE_ENV=()
mapfile -t IMAGE_ENV < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$TAG" | sed '/^$/d')
USER_SPEC=$(podman image inspect --format '{{.Config.User}}' "$TAG")
WORKDIR_IN=$(podman image inspect --format '{{.Config.WorkingDir}}' "$TAG")
read -r -a ENTRYPOINT <<< "$(podman image inspect --format '{{join .Config.Entrypoint " "}}' "$TAG")"
if ((${#ENGINE[@]} == 0)); then
    mnt=$(podman image mount "$TAG")
    trap 'podman image unmount "$TAG" > /dev/null || true; summary' EXIT
    root="$WORK_DIR/root"
    mkdir -p "$root"
    IMAGE_ENV+=("HEALTH_PORT=$SMOKE_PORT")  # chroot shares this machine's network
fi

# in_image PROGRAM ARGS...: run in the image as its user, with its environment and working
# directory, the root read-only and only the WRITABLE paths writable (fresh tmpfs each call).
in_image() {
    if ((${#ENGINE[@]})); then
        "${ENGINE[@]}" run --rm --no-healthcheck "${LOCKDOWN[@]}" --entrypoint "$1" "$TAG" "${@:2}"
        return
    fi
    # A private mount namespace: every mount below disappears with it.
    unshare --mount --propagation private /bin/bash -euo pipefail -c '
        mnt=$1 root=$2 user=$3 workdir=$4; shift 4
        mount --bind "$mnt" "$root"
        mount -o remount,bind,ro "$root"
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
        while [[ $1 != -- ]]; do
            mount -t tmpfs -o "mode=$([[ $1 == /tmp ]] && echo 1777 || echo 0775),uid=${user%%:*},gid=${user##*:}" tmpfs "$root$1"
            shift
        done
        shift
        exec chroot --userspec="$user" "$root" /usr/bin/env -i "${@:2:$1}" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$workdir" "${@:$(($1 + 2))}"
    ' in-image "$mnt" "$root" "$USER_SPEC" "$WORKDIR_IN" "${WRITABLE[@]}" -- \
        "${#IMAGE_ENV[@]}" "${IMAGE_ENV[@]}" "$@"
}
how=$( ((${#ENGINE[@]})) && echo "podman run" || echo "chroot")

if in_image /bin/sh -c 'touch /app/.probe' 2> /dev/null; then
    not_done "read-only root: /app was writable, so the demo does not prove the list of writable paths"
elif in_image /bin/sh -c 'for p in "$@"; do touch "$p/.probe" || exit 1; done' sh "${WRITABLE[@]}"; then
    done_step "read-only root ($how): /app refuses writes, the ${#WRITABLE[@]} emptyDir paths take them"
else
    not_done "read-only root: a path of WRITABLE is not writable by ${USER_SPEC}"
fi

start=$SECONDS
set +e
# Peak memory: the resident sets of the image user's processes (collector, meltano, tap, target,
# dbt), sampled twice a second; the demo's embedded PostgreSQL is left out (k8s uses a real one).
in_image /bin/bash -c '
    "$@" &
    pid=$!
    peak=0
    while kill -0 "$pid" 2> /dev/null; do
        rss=$(cat /proc/[0-9]*/status 2> /dev/null | awk -v uid="$(id -u)" '"'"'
            /^Name:/ { name = $2 } /^Uid:/ { owner = $2 }
            /^VmRSS:/ && owner == uid && name !~ /^(postgres|bash|cat|awk|mawk|sleep)$/ { kb += $2 }
            END { print kb + 0 }'"'"')
        ((rss > peak)) && peak=$rss
        sleep 0.5
    done
    wait "$pid"; code=$?
    echo "--- peak memory of the collector and its Meltano job: $((peak / 1024)) MiB"
    echo "--- what the demo wrote (bytes per writable path) ---"
    for path in /tmp /home/oura /var/lib/oura-collector /app/.meltano/run /app/transform/target /app/transform/logs; do
        echo "$(du -sb "$path" | cut -f1) $path"
    done
    exit $code' demo "${ENTRYPOINT[@]}" demo --days "$DAYS" 2>&1 | tee "$WORK_DIR/demo.log"
demo_code=${PIPESTATUS[0]}
set -e
if ((demo_code == 0)); then
    done_step "demo --days $DAYS ($how, read-only root, uid ${USER_SPEC}) in $((SECONDS - start)) s, $(
        grep -o 'peak memory.*' "$WORK_DIR/demo.log")"
else
    not_done "demo: exit $demo_code after $((SECONDS - start)) s, see $WORK_DIR/demo.log"
fi
if grep -qi "read-only file system" "$WORK_DIR/demo.log"; then
    not_done "read-only root: something wrote outside the emptyDir paths, see $WORK_DIR/demo.log"
fi

# --- 4. smoke: /health through the image's curl, a failed cycle, then SIGTERM ------------------
# No Oura credentials: the first cycle fails (as it would before `oura-collector auth`).
start=$SECONDS
set +e
in_image /bin/bash -c '
    "$@" > /tmp/collector.log 2>&1 &
    pid=$!
    health() { curl -sS "http://localhost:${HEALTH_PORT}/health" -w " -> HTTP %{http_code}" 2> /dev/null; }
    for _ in $(seq 60); do first=$(health) && break; sleep 1; done
    echo "/health at start: ${first:-no answer}"
    for _ in $(seq 120); do
        after=$(health)
        [[ $after == *"\"cycles\":0"* ]] || break
        sleep 1
    done
    echo "/health after the first cycle: ${after:-no answer}"
    curl -fsS -o /dev/null "http://localhost:${HEALTH_PORT}/metrics" && echo "/metrics: HTTP 200"
    kill -TERM "$pid"
    stopped=$SECONDS
    wait "$pid"; code=$?
    echo "exit on SIGTERM: $code after $((SECONDS - stopped)) s"
    sed "s/^/  collector: /" /tmp/collector.log | tail -12
    [[ $first == *"HTTP 200" && $after == *"HTTP 503" && $code == 0 ]]' smoke "${ENTRYPOINT[@]}" run 2>&1 | tee "$WORK_DIR/smoke.log"
smoke_code=${PIPESTATUS[0]}
set -e
if ((smoke_code == 0)); then
    done_step "smoke ($how): \`oura-collector run\` served /health (200 starting, 503 after a failed cycle) to the image's curl, exit 0 on SIGTERM ($((SECONDS - start)) s)"
else
    not_done "smoke: see $WORK_DIR/smoke.log"
fi

# --- 5. the engine's view: HEALTHCHECK, `exec ... curl`, stop ------------------------------------
health_code=0
if ((${#ENGINE[@]})); then
    name="oura-collector-smoke-$$"
    set +e
    {
        "${ENGINE[@]}" run --detach --name "$name" "${LOCKDOWN[@]}" "$TAG" > /dev/null
        sleep 3
        "${ENGINE[@]}" healthcheck run "$name" && echo "HEALTHCHECK while starting: healthy"
        starting=$?
        echo "exec curl localhost:8080/health: $("${ENGINE[@]}" exec "$name" curl -sS localhost:8080/health)"
        for _ in $(seq 60); do
            "${ENGINE[@]}" exec "$name" curl -fsS -o /dev/null localhost:8080/health || break
            sleep 1
        done
        "${ENGINE[@]}" healthcheck run "$name"
        failing=$?
        echo "HEALTHCHECK after the failed cycle: exit $failing (1 = unhealthy)"
        "${ENGINE[@]}" stop --time 60 "$name" > /dev/null
        exit_code=$("${ENGINE[@]}" inspect --format '{{.State.ExitCode}}' "$name")
        echo "stop (SIGTERM): exit $exit_code"
        "${ENGINE[@]}" rm "$name" > /dev/null
        ((starting == 0 && failing == 1 && exit_code == 0))
    } 2>&1 | grep -v 'unable to get systemd connection' | tee "$WORK_DIR/healthcheck.log"
    health_code=${PIPESTATUS[0]}
    set -e
    if ((health_code == 0)); then
        done_step "HEALTHCHECK: healthy while starting, unhealthy after a failed cycle; exec curl works; podman stop exits 0"
    else
        not_done "HEALTHCHECK/exec/stop: see $WORK_DIR/healthcheck.log"
    fi
else
    not_done "the image's HEALTHCHECK and \`exec ... curl\`: they need a container engine"
fi
not_done "the NetworkPolicy, the IRSA role and the probes' timing: they need a cluster"
((demo_code == 0 && smoke_code == 0 && health_code == 0))
