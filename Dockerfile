# syntax=docker/dockerfile:1
# auditor: one image for web (gunicorn), Celery worker and Celery beat; see docs/deployment.md.
#   docker build -t auditor .
#   web:    (default command) gunicorn -c gunicorn.conf.py auditor.wsgi
#   worker: celery -A auditor worker --loglevel=INFO
#   beat:   celery -A auditor beat --loglevel=INFO      (exactly one beat per installation)
#   migrate (once per release): python manage.py migrate --noinput

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

# --- build stage: compile/download wheels into a virtualenv; no compiler in the final image ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# Every version is pinned in requirements.txt; psycopg[binary] brings its own libpq.
RUN pip install -r /tmp/requirements.txt

# --- runtime stage ---
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=auditor.settings \
    AUDITOR_VAR_DIR=/var/lib/auditor \
    STATIC_ROOT=/app/staticfiles \
    GUNICORN_BIND=0.0.0.0:8000
# git: re-scans clone the repositories they scan (argument lists, never a shell).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 auditor \
    && useradd --system --uid 10001 --gid auditor --home-dir /app --shell /usr/sbin/nologin auditor \
    && install -d -o auditor -g auditor /var/lib/auditor /var/lib/auditor/media
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app
# Static files are collected (and compressed, hashed) at build time, never at start-up. The
# secret key here only lets settings load for this one command; it is not kept in the image.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q /app \
    && chown -R auditor:auditor /var/lib/auditor

USER auditor
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]
CMD ["gunicorn", "-c", "/app/gunicorn.conf.py", "auditor.wsgi"]
