# Init Lab's dashboard for a class: docker build -t initlab . && docker run -p 8501:8501 initlab
#
# Environment variables the app reads (set them with docker run -e NAME=VALUE):
#   INITLAB_MEMORY     Memory budget of the whole server: the web process, the training
#                      workers, cached results and charts. E.g. 3GB, 1500MB, 2.5GiB.
#                      Default 2GB. Set it to the container's memory limit (docker run -m).
#   INITLAB_WORKERS    Training worker processes. Default: the number of cores Python sees,
#                      which in a container is the host's, not a --cpus limit: with
#                      --cpus=2, set INITLAB_WORKERS=2. 0 trains inside the web process.
#   INITLAB_SCHEDULER  Address of a Dask scheduler, e.g. tcp://10.0.0.5:8786. When set, the
#                      dashboard's trainings run on that Dask cluster (its workers need the
#                      same requirements.txt). Default: unset (local worker processes).
#   BROWSER_PATH       The Chromium kaleido drives for PNG/SVG/PDF exports; set below to
#                      Debian's. Without a working Chromium only those exports are off.
FROM python:3.11-slim

# Debian's Chromium for kaleido (no recommended packages: no desktop services), and
# fonts-liberation, which --no-install-recommends would leave out: fonts metric-compatible
# with Arial and Helvetica for the exported charts' text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BROWSER_PATH=/usr/bin/chromium

WORKDIR /app

# The runtime lock only (exact, tested versions); the development lock is for tests and CI.
# Copied alone first, so that changing the code does not reinstall the packages.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app (.dockerignore leaves out tests, benchmarks and local files), owned by root and
# read-only to the user that runs it; .streamlit/config.toml holds the server settings.
COPY . .

RUN useradd --create-home --uid 10001 initlab
USER initlab

EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once the server is up (slim has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(r.read().strip() != b'ok')"]

CMD ["streamlit", "run", "dashboard.py", "--server.port=8501", "--server.address=0.0.0.0"]
