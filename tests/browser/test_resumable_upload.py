"""The resumable upload of the evidence page in Chromium (issue #19): the line drops, the page goes on.

static/js/upload.js takes over from the plain form for files from 8 MiB on. Here an 11 MiB video
goes up as the investigator would send it, and the first PATCH is cut in the middle: Playwright
forwards only its first part to the server (which stores it, as a server does with the bytes that
arrived before a line dropped) and fails the browser's request with a reset connection. The page
must say so, ask the server where the upload stands (HEAD), send the rest from exactly there
(PATCH), show its progress all along, and end with one EvidenceFile holding the file's hash.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from ecase import blobs
from evidence.choices import UploadStatus
from evidence.models import EvidenceFile, ResumableUpload
from tests.blobs.nodes import MIB, LargeFile
from tests.browser.helpers import enrolled, sign_in
from tests.evidence.helpers import add_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZE = 11 * MIB + 12345  # above upload.js's 8 MiB threshold, and not a whole number of segments
CUT_AT = 5 * MIB + 777  # bytes of the first PATCH that reach the server before the line drops
NAME = "видеозапись допроса.mp4"
UPLOAD_URL = re.compile(r"/evidence/uploads/[0-9a-f-]+/$")

# Every state the progress box shows, reported to the test as it appears (the page reloads at the end).
WATCH_PROGRESS = """
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-upload-progress]");
  if (!box) { return; }
  let last = "";
  new MutationObserver(() => {
    const text = box.querySelector("[data-upload-text]").textContent;
    const value = box.querySelector("progress").getAttribute("value");
    const state = JSON.stringify([box.hidden, text, value]);
    if (state !== last) { last = state; window.recordProgress(box.hidden, text, value); }
  }).observe(box, {subtree: true, childList: true, characterData: true, attributes: true});
});
"""


def test_a_large_upload_cut_mid_way_resumes_from_the_servers_offset_and_stores_one_file(
    page_for, case, investigator, settings, tmp_path
):
    settings.ECASE_BLOB_MASTER_KEYS = blobs.new_master_key_line("k1")
    settings.ECASE_BLOB_MASTER_KEY_FILE = tmp_path / "no-key-file"
    item = add_item(case, investigator)
    data = b"".join(LargeFile(SIZE).read(0, SIZE))
    enrolled(investigator)

    page = page_for()
    progress: list[tuple[bool, str, str | None]] = []
    page.expose_function("recordProgress", lambda hidden, text, value: progress.append((hidden, text, value)))
    page.add_init_script(WATCH_PROGRESS)
    sign_in(page, investigator)
    page.goto(f"/evidence/{item.pk}/")
    form = "form[data-upload]"
    resuming_message, sending, storing = (
        page.get_attribute(form, f"data-msg-{name}") for name in ("resuming", "sending", "storing")
    )

    # Every tus request the page makes and what became of it, in order.
    requests: list[tuple[str, str | None]] = []
    failed: list[str] = []
    page.on(
        "request",
        lambda r: UPLOAD_URL.search(r.url) and requests.append((r.method, r.headers.get("upload-offset"))),
    )
    page.on("requestfailed", lambda r: UPLOAD_URL.search(r.url) and failed.append(r.method))
    cut: list[tuple[int, str]] = []

    def drop_the_line(route, request) -> None:
        if request.method != "PATCH" or cut:
            route.continue_()
            return
        start = int(request.headers["upload-offset"])
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        # The server gets the first CUT_AT bytes of the piece; the browser gets a reset connection.
        answer = route.fetch(post_data=data[start : start + CUT_AT], headers=headers)
        cut.append((answer.status, answer.headers.get("upload-offset", "")))
        route.abort("connectionreset")

    page.route(UPLOAD_URL, drop_the_line)
    # A thin line (8 MiB/s up): the rest takes most of a second, so the bar moves in steps (XHR reports
    # progress every 50 ms; on the loopback the whole piece would be one step).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 8 * MIB},
    )
    page.set_input_files("#id_file", files=[{"name": NAME, "mimeType": "video/mp4", "buffer": data}])
    page.click(f"{form} button[type=submit]")
    # Sent, stored, and the page reloaded with the file listed.
    page.wait_for_selector(f"a:has-text('{NAME}')", timeout=30000)

    assert cut == [(204, str(CUT_AT))], cut  # the server kept what arrived before the cut
    patches = [offset for method, offset in requests if method == "PATCH"]
    assert patches == ["0", str(CUT_AT)], requests  # resumed from the server's offset, not from 0
    assert failed == ["PATCH"]
    first_patch, second_patch = (i for i, (method, _) in enumerate(requests) if method == "PATCH")
    assert "HEAD" in [method for method, _ in requests[first_patch:second_patch]], requests

    texts = [text for hidden, text, _value in progress if not hidden]
    assert resuming_message in texts, progress
    after = texts[texts.index(resuming_message) + 1 :]
    percents = [int(m.group(1)) for text in after if (m := re.search(r"(\d+)% \(", text))]
    # After the HEAD the bar stands where the server does (46 %), not at zero nor at what the browser
    # had sent before the cut; then it moves on in steps to the end, never back.
    assert after[0] == f"{sending} {CUT_AT * 100 // SIZE}% ({CUT_AT / MIB:.1f} / {SIZE / MIB:.1f} MB)", progress
    assert percents == sorted(percents) and percents[-1] == 100, progress
    assert any(CUT_AT * 100 // SIZE < p < 100 for p in percents), progress
    assert texts[-1] == storing, progress

    record = EvidenceFile.objects.get(item=item)
    assert record.sha256 == hashlib.sha256(data).hexdigest() and record.size == SIZE
    assert record.content_type == "video/mp4" and record.original_name == NAME
    upload = ResumableUpload.objects.get()
    assert upload.status == UploadStatus.FINISHED and upload.file == record
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('ecase-tus:'))") == []
