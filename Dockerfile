# syntax=docker/dockerfile:1
# Build stage: compile wheels for sloboard and its dependencies.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip wheel
COPY pyproject.toml README.md ./
COPY sloboard ./sloboard
COPY collectors ./collectors
COPY dashboard ./dashboard
COPY reports ./reports
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: only the wheels and WeasyPrint's system libraries (Pango, fonts).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 sloboard
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER sloboard
WORKDIR /home/sloboard
COPY --chown=sloboard slo_specs ./slo_specs
ENV SLOBOARD_DATA_DIR=/home/sloboard/var \
    SLOBOARD_SPECS_DIR=/home/sloboard/slo_specs \
    PYTHONUNBUFFERED=1
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8050/healthz || exit 1
CMD ["sloboard", "run", "--host", "0.0.0.0", "--port", "8050"]
