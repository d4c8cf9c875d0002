"""A local S3-compatible server for running ecase on the S3 backend: SeaweedFS from the dev dependencies.

    .venv/bin/python bin/s3_server.py [--data var/seaweedfs] [--bucket ecase-blobs]     (or: make s3)

Binds 127.0.0.1 on ports the OS picks, creates the bucket, prints the settings to export in
the shell that runs ecase, and runs until Ctrl-C. Data stays in --data between runs (the port
changes: export the printed endpoint again).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.blobs import seaweed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "seaweedfs")
    parser.add_argument("--bucket", default="ecase-blobs")
    args = parser.parse_args()
    server = seaweed.start(args.data.resolve())
    try:
        seaweed.create_bucket(server.endpoint_url, args.bucket)
        print("SeaweedFS S3 is up; log in", server.log)
        print(
            f"export ECASE_BLOB_STORAGE=s3 ECASE_BLOB_S3_ENDPOINT={server.endpoint_url} "
            f"ECASE_BLOB_S3_BUCKET={args.bucket} ECASE_BLOB_S3_ACCESS_KEY={seaweed.ACCESS_KEY} "
            f"ECASE_BLOB_S3_SECRET_KEY={seaweed.SECRET_KEY}",
            flush=True,
        )
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        server.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main()
