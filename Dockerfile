# The Détente API. Starts with the same command `make serve` runs: migrate, load seeds, serve.
# The image installs the wheel (the path tests/packaging/test_wheel.py takes), without the
# `embedded` extra: compose gives it a Postgres through DATABASE_URL.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY db ./db
COPY schema ./schema
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent detente
# The dataset is not in the wheel: `serve` loads it from SEEDS_DIR.
COPY seeds /srv/detente/seeds
USER detente:detente
WORKDIR /srv/detente
# WEB_CONCURRENCY: uvicorn worker processes (each with its own two pools of POOL_MAX_SIZE).
ENV HOST=0.0.0.0 PORT=8000 SEEDS_DIR=/srv/detente/seeds WEB_CONCURRENCY=2
EXPOSE 8000
CMD ["detente", "serve"]
