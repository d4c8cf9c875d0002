FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir "uv>=0.5,<1" && useradd --system --home /app ecase
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
ENV PATH=/opt/venv/bin:$PATH
RUN mkdir -p /var/lib/ecase && chown ecase /var/lib/ecase
USER ecase
