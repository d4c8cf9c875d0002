from cases.pdf.storage import pdf_read
from cases.signing.verify import verify_pdf
from tests.cases.signing_helpers import signed_act, signing  # noqa

def test_flip_everywhere(case, investigator, supervisor, signing):
    pdf = pdf_read(signed_act(case, investigator, supervisor).pdf_sha256)
    assert verify_pdf(pdf).valid
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    survivors = []
    positions = list(range(0, len(pdf), 37)) + list(range(start, end, 7))
    for p in positions:
        for mask in (0x01, 0x20):
            data = pdf[:p] + bytes([pdf[p] ^ mask]) + pdf[p+1:]
            if verify_pdf(data).valid:
                survivors.append((p - start, mask, pdf[p:p+1]))
    open("/tmp/proto/flip.txt", "w").write(f"{len(positions)} survivors {len(survivors)} {survivors[:20]}")
