"""Item 6 of issue 16: a small file that decodes to a huge image is refused before it is decoded."""

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageFile

from sikesal.complaints.models import Complaint
from tests.portal.test_pages import FORM


def png(width, height, mode="1"):
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    out.seek(0)
    out.name = "foto.png"
    return out


def file_with(client, *photos):
    return client.post(reverse("portal:file"), {**FORM, "idempotency_key": "b" * 20, "attachments": list(photos)})


@pytest.fixture
def decodes(monkeypatch):
    calls = []
    real = ImageFile.ImageFile.load

    def load(self):
        calls.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def test_a_decompression_bomb_is_refused_without_decoding(client, catalogue, decodes):
    bomb = png(8900, 8900)  # about 10 KB on disk, 79 megapixels: under Pillow's own error threshold
    assert len(bomb.getvalue()) < 300_000
    response = file_with(client, bomb)
    assert response.status_code == 400
    assert "megapiksel" in response.content.decode()
    assert not Complaint.objects.exists()
    assert decodes == []


def test_the_pixel_limit_is_a_setting(client, catalogue, settings, decodes):
    settings.SIKESAL_UPLOAD_MAX_IMAGE_PIXELS = 10_000
    assert file_with(client, png(101, 100, "RGB")).status_code == 400
    assert file_with(client, png(100, 100, "RGB")).status_code == 302
    assert Complaint.objects.get().attachments.count() == 1


def test_five_bombs_in_one_request_are_all_refused_without_decoding(client, catalogue, decodes):
    response = file_with(client, *[png(8000, 8000) for _ in range(5)])
    assert response.status_code == 400 and decodes == []
