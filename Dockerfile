# syntax=docker/dockerfile:1
# Multi-stage: the builder installs the locked runtime dependencies (no dev group) into a venv;
# the final image holds only that venv and the code, and runs as a non-root user.
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
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 hemalake
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /src /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH HEMALAKE_LAKE=/data/lake
USER hemalake
EXPOSE 8000
# The lake and the pseudonymisation key are mounted; the key never lives inside the lake.
# uvloop and httptools are hemalake serve's defaults; named here so the image says what it runs.
CMD ["hemalake", "serve", "--lake", "/data/lake", "--host", "0.0.0.0", "--port", "8000", \
     "--loop", "uvloop", "--http", "httptools"]
