# The Détente API. Starts with the same command `make serve` runs: migrate, load seeds, serve.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000
COPY pyproject.toml README.md ./
COPY api ./api
COPY db ./db
COPY schema ./schema
COPY seeds ./seeds
RUN pip install --no-cache-dir .
# Seeds are read from the working directory's copy, not the installed package.
ENV SEEDS_DIR=/app/seeds
EXPOSE 8000
CMD ["detente", "serve"]
