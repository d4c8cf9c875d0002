# ecase — the two commands a newcomer needs are `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ecase
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The database bench/run.py seeds next to TEST_DATABASE_URL's (the clocks bench reads it as it is).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ecase_bench
# The pages on the embedded default (SQLite, no Redis, a folder broker): every route × role, the
# history and the export, the Cyrillic search; PostgreSQL-only tests among them skip with a reason.
SQLITE_TESTS ?= tests/test_sqlite_pages.py tests/test_access_sweep.py tests/test_export.py \
	tests/cases/test_history_screen.py tests/cases/test_search.py tests/cases/test_search_folding.py \
	tests/cases/test_search_plans.py tests/cases/test_statistics.py tests/test_guards_survive_migrations.py

.PHONY: run test check bench install migrate clean compile-translations messages fonts s3 restore-drill schemathesis-10x failover-drill

install: $(VENV)/.installed compile-translations

# uv installs the locked dependency set in seconds; it is bootstrapped into the venv itself,
# so a machine needs nothing but Python 3.11+ and make.
$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(PY) || python3 -m venv $(VENV)
	test -x $(VENV)/bin/uv || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null; \
	  $(PY) -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"; }
	$(VENV)/bin/uv sync --frozen --inexact --quiet
	touch $@

# Translations are compiled from the committed .po files at every install (no gettext needed).
compile-translations: $(VENV)/.installed
	@$(PY) bin/compile_translations.py

# Re-extract the messages of our own code into locale/{kk,ru,en} (developers; needs gettext).
messages: install
	$(PY) manage.py makemessages --no-obsolete --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*' -l kk -l ru -l en

# prepare_dirs first: the folders under var/ and the development key (never made by importing the
# settings); the SQLite file needs its folder before migrate can open it.
migrate: install
	$(PY) manage.py prepare_dirs
	$(PY) manage.py migrate --noinput

# Web server on http://127.0.0.1:8000 and a Celery worker; Ctrl-C stops both.
run: migrate
	$(PY) manage.py seed_demo --if-empty
	@echo "ecase: http://127.0.0.1:8000  (passwords above; Ctrl-C stops the web server and the worker)"
	@trap 'kill 0' INT TERM; \
	  $(PY) -m celery -A ecase worker --beat --schedule var/celerybeat-schedule --loglevel=WARNING --concurrency=1 & \
	  $(PY) manage.py runserver --noreload 127.0.0.1:8000; \
	  kill 0

# What CI checks before the tests (.ci/run): lint, format, the import contracts of pyproject.toml
# (docs/ARCHITECTURE.md, "Apps and what each owns") and the types.
check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy accounts audit cases evidence ecase bin demo

# The whole suite against PostgreSQL and Redis; then SQLITE_TESTS on the embedded default (nothing
# configured, as `make run`); the browser tests (Debian's chromium) run as a separate pytest
# process, because Playwright's event loop and pyHanko's asyncio.run() do not mix.
test: install
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bin/check_services.py
	@# A prepared checkout, as `make run` leaves it: the tests' web nodes and workers share its key file.
	$(PY) manage.py prepare_dirs
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -p no:cacheprovider --ignore=tests/browser
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -p no:cacheprovider $(SQLITE_TESTS)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -p no:cacheprovider tests/browser

# The restore drill (docs/OPERATIONS.md, issue #20): a demo installation backed up as the manual says,
# restored into a fresh database and blob store, every check run; and a damaged copy that must fail them.
# Its own scratch databases (<name>_drill_*) on the test server; about 1–3 minutes.
restore-drill: install
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bin/check_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bin/restore_drill.py

# schemathesis with 10x the examples of the suite's run (250 valid and 100 invalid requests per operation,
# some 7,000 calls): no server error, no schema violation (issue #20). ~7 min of one core.
schemathesis-10x: install
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bin/check_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) ECASE_SCHEMATHESIS_SCALE=10 $(PY) -m pytest -p no:cacheprovider -p no:logging -q tests/api/test_schemathesis.py

# The failover drill (docs/OPERATIONS.md, issue #20): Patroni + etcd + haproxy (Debian packages) on this
# machine, the primary killed while the API takes writes; numbers printed, exit 1 if writes were lost.
failover-drill: install
	$(PY) bin/failover_drill.py

# Every benchmark, each adding its section to bench/RESULTS.md (bench/results.py). The 1,000,000
# cases of bench/run.py are seeded once (about 40 minutes on an idle 2-core machine; `bench/run.py --seed-only`
# seeds without measuring) and reused while ecase_bench holds them; the search and load benchmarks use them too.
bench: install
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bin/check_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/run.py --reuse
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/audit_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/signing_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/blob_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/upload_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/write_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/browser_pages.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/search_bench.py
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/clocks_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/load_bench.py --seconds 300 --configs 2x8,3x4,4x2,5x1 --compare-seconds 90

# A local S3-compatible server (SeaweedFS, a dev dependency) for ECASE_BLOB_STORAGE=s3; prints what to export.
s3: install
	$(PY) bin/s3_server.py

clean:
	rm -rf $(VENV) var/staticfiles

# The web fonts (static/fonts): WOFF2 subsets of PT Sans renamed as its licence asks (bin/web_fonts.py).
# fonttools runs from uv's cache: it is needed only to regenerate the committed files, so it is no
# dependency of the project.
fonts:
	$(VENV)/bin/uv run --no-project --with 'fonttools[woff]==4.60.1' python bin/web_fonts.py
