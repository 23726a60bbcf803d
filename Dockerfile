# syntax=docker/dockerfile:1
# Multi-stage: the builder installs the locked runtime dependencies (no dev group) and the project
# itself into a venv; the final image holds only that venv and runs as a non-root user.
# Settings: docs/deployment.md (a mounted TOML file named by HEMALAKE_SETTINGS, and HEMALAKE_*
# variables). tests/service/test_container_entrypoint.py runs this file's build steps, CMD and
# HEALTHCHECK outside Docker.
FROM python:3.11-slim AS builder
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir uv
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY service ./service
COPY schema ./schema
COPY lake ./lake
COPY loaders ./loaders
# --no-editable: the project is installed into the venv's site-packages (static files included),
# not linked to /src by a .pth file: /src does not exist in the final stage
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 hemalake \
 && mkdir -p /var/lib/hemalake && chown hemalake /var/lib/hemalake
COPY --from=builder /opt/venv /opt/venv
WORKDIR /var/lib/hemalake
# Production mode: the server refuses to start without API keys or an OIDC issuer, with
# anonymous access, or without an audit file (service/production.py). The lake is mounted
# read-only at /data/lake; the audit log and the privacy ledger live on the state volume.
ENV PATH=/opt/venv/bin:$PATH \
    HEMALAKE_HOST=0.0.0.0 \
    HEMALAKE_PORT=8000 \
    HEMALAKE_PRODUCTION=true \
    HEMALAKE_LAKE_ROOT=/data/lake \
    HEMALAKE_AUDIT_LOG=/var/lib/hemalake/audit.jsonl \
    HEMALAKE_PRIVACY_LEDGER=/var/lib/hemalake/privacy.sqlite
VOLUME ["/var/lib/hemalake"]
USER hemalake
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["hemalake", "healthcheck"]
# uvloop and httptools are hemalake serve's defaults (service/cli_serve.py)
CMD ["hemalake", "serve"]
