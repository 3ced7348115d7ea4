# Backprop Lab: the app as installed by `pip install -c constraints.txt .`, served on 0.0.0.0:8000.
#   docker build -t backprop-lab .
#   docker run -p 8000:8000 backprop-lab
# CI proves this file with hadolint and a real podman build + run (tests/docker/).
FROM python:3.11.11-slim-bookworm

# One BLAS thread: small matmuls are ~4.5x faster than with a thread pool (measured on 2-core machines);
# scale with processes, not threads.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BPL_CHECKPOINT_DIR=/data/checkpoints

# A fixed, unprivileged uid/gid (numeric, so `runAsNonRoot` checks can verify it).
RUN useradd --no-log-init --create-home --user-group --uid 10001 --shell /usr/sbin/nologin app \
 && mkdir -p /data/checkpoints \
 && chown -R 10001:10001 /data

# Only what the wheel needs; pyproject.toml maps static/ and templates/ into the package.
WORKDIR /build
COPY pyproject.toml constraints.txt README.md ./
COPY app/ app/
COPY static/ static/
COPY templates/ templates/
RUN pip install --no-cache-dir --root-user-action=ignore -c constraints.txt . \
 && rm -rf /build

# Run from a folder that holds no source: the installed package serves the page.
WORKDIR /home/app
USER 10001:10001
VOLUME ["/data/checkpoints"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import json, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(json.load(r).get('status') != 'ok')"]

CMD ["backprop-lab", "--host", "0.0.0.0", "--port", "8000"]
