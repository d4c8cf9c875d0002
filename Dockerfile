FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir "uv>=0.5,<1" && useradd --system --home /app ecase
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
# The .mo catalogues are not committed (.gitignore): compiled here, or the image would serve English only.
RUN /opt/venv/bin/python bin/compile_translations.py
ENV PATH=/opt/venv/bin:$PATH
RUN mkdir -p /var/lib/ecase && chown ecase /var/lib/ecase
USER ecase
