# Production image: non-root, uvicorn with several workers, the fonts the PDFs need.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    APP_ENV=production

# Fonts for PDFs in every script our signers write: Latin, Hangul and other CJK, Arabic.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji poppler-utils tini \
 && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv \
 && useradd --create-home --uid 10001 undersigned

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY frontend ./frontend
RUN uv sync --frozen --no-dev && mkdir -p /app/data && chown undersigned /app/data

USER undersigned
ENV PATH="/app/.venv/bin:$PATH"
EXPOSE 8000
ENTRYPOINT ["tini", "--"]
# Migrations run once in the `migrate` service of compose.yaml (or by hand) before this starts.
CMD ["undersigned", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
