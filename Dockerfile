# syntax=docker/dockerfile:1
#
# oura-collector: Python 3.11, this project, and all three Meltano plugin venvs (tap-oura,
# target-postgres, dbt-postgres). Everything is installed at build time, so a starting
# container never needs a package index.
#
# The container runs as uid 10001 and works with a read-only root filesystem. It writes only to
# these paths, which k8s/base mounts as emptyDirs:
#   /tmp                         temporary files
#   /home/oura                   $HOME: Meltano's per-run logs (~/.local/state/meltano) and caches
#   /var/lib/oura-collector      OURA_DATA_DIR: the run report (and the demo's embedded PostgreSQL)
#   /app/.meltano/run            Meltano's per-run plugin config, the tap's BATCH files
#   /app/transform/target        dbt's compiled models and run results
#   /app/transform/logs          dbt's log
#
# XDG_RUNTIME_DIR is /run/user/10001, made in the image (mode 0700, as XDG requires); nothing
# writes to it.
#
# Build:  docker build -t oura-collector .   (podman: add --format docker, or the HEALTHCHECK is
#         dropped). scripts/build-image.sh builds without a Docker daemon and runs the demo.
# Run:    docker run --rm oura-collector demo --days 3
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# curl: the runbook's `kubectl exec deployment/oura-collector -- curl localhost:8080/health` and
# the HEALTHCHECK below. Versions are not pinned: Debian's security updates replace them.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 oura \
    && useradd --system --uid 10001 --gid oura --home-dir /home/oura --create-home \
        --shell /usr/sbin/nologin oura

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# 1. The Python dependencies of `.[collector]`, installed from pyproject.toml and empty package
#    stubs, so that a source change does not reinstall them. The versions are pinned where
#    pyproject.toml pins them (meltano==4.4.1, ...), not repeated here.
COPY pyproject.toml ./
# hadolint ignore=DL3013
RUN python3 -m venv "$VIRTUAL_ENV" \
    && mkdir tap_oura oura_simulator oura_collector \
    && touch README.md tap_oura/__init__.py oura_simulator/__init__.py oura_collector/__init__.py \
    && pip install --no-cache-dir '.[collector]' \
    && pip uninstall --yes tap-oura \
    && rm -rf README.md tap_oura oura_simulator oura_collector build

# 2. The loader and dbt venvs need only meltano.yml (`meltano install` needs no system database:
#    a throwaway SQLite file stands in for the PostgreSQL one of meltano.yml).
COPY meltano.yml ./
ENV MELTANO_SEND_ANONYMOUS_USAGE_STATS=false \
    MELTANO_CLI_DISABLE_VERSION_CHECK=true
RUN MELTANO_DATABASE_URI=sqlite:////tmp/meltano-install.db UV_NO_CACHE=1 UV_COMPILE_BYTECODE=1 \
        meltano install target-postgres dbt-postgres \
    && rm -f /tmp/meltano-install.db

# 3. The project itself: the collector into /opt/venv, and the tap into its plugin venv
#    (`pip_url: -e .` links /app, so the source sits at its final path first).
COPY README.md ./
COPY tap_oura/ tap_oura/
COPY oura_simulator/ oura_simulator/
COPY oura_collector/ oura_collector/
COPY transform/ transform/
RUN pip install --no-cache-dir --no-deps . \
    && MELTANO_DATABASE_URI=sqlite:////tmp/meltano-install.db UV_NO_CACHE=1 UV_COMPILE_BYTECODE=1 \
        meltano install tap-oura \
    && rm -f /tmp/meltano-install.db \
    && python3 -m compileall -q tap_oura \
    && mkdir -p .meltano/run transform/target transform/logs /var/lib/oura-collector \
    && install -d -m 0700 -o oura -g oura /run/user/10001 \
    && chown oura:oura .meltano/run transform/target transform/logs /var/lib/oura-collector

ENV OURA_PROJECT_DIR=/app \
    OURA_DATA_DIR=/var/lib/oura-collector \
    HOME=/home/oura \
    XDG_RUNTIME_DIR=/run/user/10001 \
    HEALTH_PORT=8080 \
    MELTANO_PROJECT_READONLY=1 \
    MELTANO_AUTO_INSTALL=false

USER 10001:10001
EXPOSE 8080

# /health answers 200 while the first cycle runs ("starting"), so a long first backfill is fine.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/bin/sh", "-c", "curl -fsS \"http://127.0.0.1:${HEALTH_PORT}/health\" > /dev/null"]

ENTRYPOINT ["oura-collector"]
CMD ["run"]
