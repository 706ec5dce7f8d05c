# syntax=docker/dockerfile:1
# One image for Rapport's three roles, chosen by the command: web (default), worker, beat.
# See docker/entrypoint.sh, docker-compose.yml and README.md (Quick start, Docker Compose).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RAPPORT_DATA_DIR=/data \
    RAPPORT_CHROMIUM=/usr/bin/chromium \
    BROWSER_PATH=/usr/bin/chromium

# WeasyPrint lays out PDFs with Pango and HarfBuzz and needs fonts; Kaleido draws the charts in
# PDFs with the system Chromium.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation fonts-symbola \
        chromium \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so that a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# collectstatic imports the settings: a throwaway SECRET_KEY keeps a generated key out of the
# image. Static files land in /data/staticfiles and seed the data volume on its first use; the
# web role refreshes them after an upgrade.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/rapport \
        --shell /usr/sbin/nologin rapport \
    && chmod +x docker/entrypoint.sh scripts/*.sh \
    && mkdir -p /data \
    && SECRET_KEY=image-build-only-never-used-at-run-time-only-to-collect-static-files PYTHON_BIN=python scripts/collectstatic.sh \
    && chown -R rapport:rapport /data

USER rapport
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
# For the web role; docker-compose.yml gives the worker its own check and beat none.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["/app/docker/entrypoint.sh", "healthcheck"]
