"""gunicorn for an ecase web node: docker-compose's web service and bench/load_bench.py read this file.

Threads (gthread), not sync workers: a sync worker is killed after ``timeout`` in the middle of a
long resumable upload PATCH, while a thread keeps its worker's heartbeat going. The number of
processes and threads per process was chosen from bench/RESULTS_LOAD.md (README, "Serving"):
a page spends part of its time waiting for PostgreSQL (commits of access-log rows), and threads
fill those waits without the memory of more processes. GUNICORN_WORKERS / GUNICORN_THREADS
override them for a machine with more cores (measure there with bench/load_bench.py --configs).
"""

import os

wsgi_app = "ecase.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
WORKERS, THREADS = 2, 8  # the measured choice; bench/load_bench.py reads these names
workers = int(os.environ.get("GUNICORN_WORKERS", WORKERS))
threads = int(os.environ.get("GUNICORN_THREADS", THREADS))
timeout = 300
