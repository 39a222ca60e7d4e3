# syntax=docker/dockerfile:1
# Students Tracker served by granian (WSGI) with its static files from WhiteNoise, as
# `make serve` serves it. compose.yaml adds PostgreSQL, Redis and the migrations; the
# README's "Production" section says what to set. Parsed and linted here, never built here
# (no container engine on the machines this project is tested on).

# --- build: the virtual environment, from the hash-pinned lock file ----------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY requirements.lock /tmp/requirements.lock
# --require-hashes: a substituted package fails the build. --only-binary: every pinned
# package ships a wheel for CPython 3.11 on x86-64 and arm64, so no compiler is needed.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps --only-binary=:all: \
        -r /tmp/requirements.lock

# --- runtime -------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

# pg_dump and pg_restore for `manage.py backup` and `restore` on PostgreSQL: Debian 12's
# client is version 15, the major version of compose.yaml's server (a client must not be
# older than the server it dumps).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 tracker \
    && useradd --system --uid 10001 --gid tracker --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin tracker

# Production mode refuses to start without SECRET_KEY, FIELD_ENCRYPTION_KEYS and
# ALLOWED_HOSTS: they come from the environment at run time, never from the image.
# GRANIAN_*: granian reads its options from these, so `docker run -e GRANIAN_WORKERS=4`
# changes them without a new CMD. Workers × threads is each container's number of
# PostgreSQL connections (kept open: CONN_MAX_AGE).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    GRANIAN_WORKERS=2 \
    GRANIAN_BLOCKING_THREADS=4

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code stays owned by root, so the app cannot change it; only var/ (backups) is its own.
COPY . /app

# Hashed, compressed static files are built into the image. Production settings need a
# secret key and a field key to load: throwaway ones made for this command alone, kept
# in no layer and used for nothing (collectstatic neither signs nor encrypts).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    FIELD_ENCRYPTION_KEYS="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/backups \
    && chown tracker:tracker /app/var /app/var/backups

# Numeric, so that a platform can tell it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "deploy/healthcheck.py", "/healthz"]
# What `make serve` runs, bound to every interface of the container instead of loopback.
# Migrations are a separate one-off command (compose.yaml's `migrate` service, or
# `docker run --rm IMAGE python manage.py migrate --noinput`), so that several app
# containers never migrate at once.
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", \
     "--log-level", "warning", "config.wsgi:application"]
