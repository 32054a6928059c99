# Channel Expert: the directory app. Runs on SQLite (a volume on /app/var) unless
# DATABASE_URL names a PostgreSQL database.

# The front-end packages (the results map), exactly as package-lock.json pins them.
FROM node:20.18.1-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md LICENSE ./
COPY directory ./directory
COPY plugins ./plugins
COPY geo ./geo
COPY search ./search
COPY scripts/vendor_assets.py ./scripts/
COPY --from=assets /assets/node_modules ./node_modules
RUN python scripts/vendor_assets.py --copy-only && rm -rf node_modules \
    && pip install --no-cache-dir --no-deps . \
    && useradd --system --uid 10001 --home-dir /app channel \
    && mkdir -p /app/var && chown channel /app/var

USER channel
EXPOSE 8000
VOLUME ["/app/var"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
CMD ["channel-expert", "serve", "--host", "0.0.0.0", "--port", "8000"]
