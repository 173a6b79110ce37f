# Doorpost: multi-stage build, non-root runtime, health check on /readyz.
#   docker build -t doorpost .
#   docker compose up        (with PostgreSQL: see compose.yaml)
# tests/test_deployment.py runs this file's ENTRYPOINT + CMD with its ENV, as the image would.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/doorpost
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN /opt/doorpost/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/doorpost/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --create-home doorpost
COPY --from=build /opt/doorpost /opt/doorpost
ENV PATH="/opt/doorpost/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DOORPOST_DATA_DIR=/data \
    DOORPOST_LOG_LEVEL=info
USER doorpost
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]
ENTRYPOINT ["doorpost"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--graceful-timeout", "30"]
