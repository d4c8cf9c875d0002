"""A refused upload keeps the user on the item's page with the message (issue #16)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from evidence.files import detect_type
from evidence.models import EvidenceFile
from tests.auth import verified_client

# A minimal ELF header: what filetype reports as application/x-executable.
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 505


def test_a_refused_upload_renders_the_item_page_with_the_message(item, investigator, private_storage):
    response = verified_client(investigator).post(
        reverse("evidence:upload", args=[item.pk]), {"file": SimpleUploadedFile("tool.exe", b"MZ" + b"\x90" * 512)}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "This is a program file, not a document." in body
    # The item's own page, not a bare form: its heading, its file list and the hand-over form are there.
    assert f"№{item.number}" in body and "Chain of custody" in body
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize("data,name", [(b"MZ" + b"\x90" * 512, "setup.exe"), (ELF, "run.bin")])
def test_programs_are_refused_in_plain_words(data, name):
    with pytest.raises(ValidationError) as refused:
        detect_type(data, name)
    assert refused.value.messages == ["This is a program file, not a document."]


def test_another_refused_type_names_it_in_brackets():
    with pytest.raises(ValidationError) as refused:
        detect_type(b"SQLite format 3\x00" + b"\x00" * 100, "db.sqlite")
    assert refused.value.messages == ["This file type is not accepted (application/x-sqlite3)."]


@pytest.mark.parametrize(
    "language,words", [("ru", "Это файл программы, а не документ."), ("kk", "Бұл құжат емес, бағдарлама файлы.")]
)
def test_the_program_refusal_is_translated(language, words):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        detect_type(b"MZ" + b"\x90" * 512, "setup.exe")
    assert refused.value.messages == [words]
