# syntax=docker/dockerfile:1
# sloboard's image: `sloboard run` (scheduler + dashboard) as a non-root user, the
# store and report archive under /var/lib/sloboard (a volume). docs/operations.md
# shows it with deploy/docker-compose.yml and deploy/kubernetes/.

# Build stage: a virtual environment with sloboard and its dependencies. Compilers
# and pip's caches stay here; only /opt/sloboard goes on.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/sloboard
ENV PATH=/opt/sloboard/bin:$PATH
WORKDIR /src
# The dependencies first, from pyproject.toml alone, so a code change keeps this layer.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install --upgrade pip \
 && pip install -r /tmp/requirements.txt
COPY sloboard ./sloboard
COPY collectors ./collectors
COPY dashboard ./dashboard
COPY reports ./reports
RUN pip install --no-deps . && pip check

# Runtime stage: the slim base, WeasyPrint's system libraries (Pango, HarfBuzz with
# its subsetter, fontconfig via pangoft2) and one font family, then the venv.
FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 sloboard \
 && useradd --uid 10001 --gid sloboard --home-dir /var/lib/sloboard --no-create-home \
      --shell /usr/sbin/nologin sloboard \
 && install -d -o sloboard -g sloboard -m 0750 /var/lib/sloboard
COPY --from=build /opt/sloboard /opt/sloboard
# The example specs; mount your own over /etc/sloboard/slo_specs (compose) or a ConfigMap (Kubernetes).
COPY slo_specs /etc/sloboard/slo_specs
ENV PATH=/opt/sloboard/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SLOBOARD_DATA_DIR=/var/lib/sloboard \
    SLOBOARD_SPECS_DIR=/etc/sloboard/slo_specs
VOLUME ["/var/lib/sloboard"]
WORKDIR /var/lib/sloboard
# Numeric, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8050
# Python's own urllib instead of curl: one package fewer in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
CMD ["sloboard", "run", "--host", "0.0.0.0", "--port", "8050"]
