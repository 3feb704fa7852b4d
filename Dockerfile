# The portal's image: gunicorn serves the web process, the same image runs Celery.
FROM python:3.11-slim-bookworm

# WeasyPrint (PDF receipts) needs Pango; fonts with Cyrillic glyphs; HarfBuzz-Subset, so that
# fonts are subset fast and the same receipt gives the same bytes (billing/receipts.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
       fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are collected at build time and served by WhiteNoise.
RUN DEBUG=false SECRET_KEY=build-only-not-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && useradd --system --home /app portal && mkdir -p /app/var && chown -R portal /app/var
USER portal

ENV GUNICORN_WORKERS=3
EXPOSE 8000
CMD ["sh", "-c", "exec gunicorn portal.wsgi:application --bind 0.0.0.0:8000 --workers ${GUNICORN_WORKERS} --access-logfile -"]
