"""Issue #28 item 3 and the photo-URL finding of item 5: every attachment reaches the public without what
identifies its author, files cannot be walked by counting ids, and the private page's photo addresses do
not carry the private-link secret."""

import datetime as dt
import io
import re

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image, PngImagePlugin

from sikesal.accounts.models import ApiKey
from sikesal.complaints.models import Attachment, Complaint
from sikesal.complaints.states import Visibility
from tests.portal.test_pages import FORM

NAME = "Budi Santoso"
NIK = "1571010101010001"
# The reporter's position, as an EXIF GPS block (degrees, minutes, seconds) and as XMP text.
GPS_IFD = {1: "S", 2: (1.0, 36.0, 36.0), 3: "E", 4: (103.0, 36.0, 47.0)}
GPS_TEXT = "1,36.6S 103,36.783E"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
    f' exif:GPSLatitude="{GPS_TEXT}"><dc:creator>{NAME} NIK {NIK}</dc:creator></rdf:Description>'
    "</rdf:RDF></x:xmpmeta>"
).encode()
IDENTIFYING = (NAME.encode(), NIK.encode(), GPS_TEXT.encode(), b"Exif\x00\x00", b"HP Murah")


def _exif():
    exif = Image.Exif()
    exif[0x010F] = "HP Murah"  # camera make
    exif[0x013B] = f"{NAME} NIK {NIK}"  # Artist
    exif[0x8825] = GPS_IFD
    return exif.tobytes()


def jpeg_identifying():
    out = io.BytesIO()
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    img.save(out, "JPEG", exif=_exif(), xmp=XMP, comment=f"{NAME} NIK {NIK}".encode())
    return out.getvalue()


def png_identifying():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_itxt("Comment", f"NIK {NIK}, {GPS_TEXT}")
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 200, 30)).save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()


def webp_identifying():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 30, 200)).save(out, "WEBP", exif=_exif(), xmp=XMP)
    return out.getvalue()


def pdf_identifying():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [NAME]
        meta["pdf:Keywords"] = GPS_TEXT
    pdf.docinfo["/Author"] = f"{NAME} NIK {NIK}"  # after the XMP, whose closing would overwrite it
    pdf.docinfo["/Creator"] = f"Laptop {NAME}"
    pdf.docinfo["/NomorInduk"] = NIK  # a custom key
    pdf.attachments["ktp.txt"] = pikepdf.AttachedFileSpec(pdf, f"KTP {NAME} {NIK}".encode())
    pdf.Root.Names.JavaScript = pdf.make_indirect(
        pikepdf.Dictionary(Names=["x", pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")])
    )
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)  # the strings searchable in the raw bytes before cleaning
    return out.getvalue()


def mp4_with_gps_atom():
    def box(kind, payload):
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    gps = box(b"\xa9xyz", b"\x00\x12\x15\xc7+01.6100+103.6000/")
    return box(b"ftyp", b"mp42\x00\x00\x00\x00mp42isom") + box(b"moov", box(b"udta", gps))


def _served(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _assert_nothing_identifying(content):
    for needle in IDENTIFYING:
        assert needle not in content, needle


def _public_url(att):
    return reverse("portal:attachment", args=[att.token])


@pytest.fixture
def verified(act):
    def _verified():
        complaint = Complaint.objects.get()
        assert complaint.is_anonymous
        act(complaint, "verify")
        return complaint

    return _verified


def _web_form(client, files):
    uploads = [SimpleUploadedFile(name, content, "application/octet-stream") for name, content in files]
    data = {**FORM, "idempotency_key": "m" * 20, "is_anonymous": "1", "attachments": uploads}
    return client.post(reverse("portal:file"), data)


def test_photos_through_the_web_form_are_served_without_author_or_position(client, catalogue, verified):
    made = {"foto.jpg": jpeg_identifying(), "foto.png": png_identifying(), "foto.webp": webp_identifying()}
    for content in made.values():  # the files do carry what the test looks for
        assert NAME.encode() in content and Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)
    assert _web_form(client, made.items()).status_code == 302
    complaint = verified()
    detail = client.get(reverse("portal:report_detail", args=[complaint.tracking_number])).content.decode()
    urls = re.findall(r'<img src="(/lampiran/[^"]+)"', detail)
    assert len(urls) == 3
    for url in urls:
        served = _served(client.get(url))
        _assert_nothing_identifying(served)
        with Image.open(io.BytesIO(served)) as img:
            img.load()
            assert img.size == (64, 48)
            assert not img.getexif() and "xmp" not in img.info and "comment" not in img.info
            assert not {"Author", "Comment"} & set(img.info)
        if served.startswith(b"\xff\xd8"):
            assert b"\xff\xfe" not in served.split(b"\xff\xda", 1)[0]  # no COM segment before the scan
            assert b"\xff\xe1" not in served.split(b"\xff\xda", 1)[0]  # no APP1 (Exif, XMP)
        if served.startswith(b"\x89PNG"):
            assert not {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} & {served[i : i + 4] for i in range(len(served))}


def test_a_pdf_through_the_rest_api_loses_its_info_xmp_embedded_files_and_javascript(client, catalogue, verified):
    raw = pdf_identifying()
    assert f"{NAME} NIK {NIK}".encode() in raw and b"/EmbeddedFiles" in raw and b"/JavaScript" in raw
    api_key = ApiKey(name="Mitra", scopes=["reports:write"])
    api_key.set_key("kunci-mitra-lampiran-1")
    api_key.save()
    upload = io.BytesIO(raw)
    upload.name = "meta.pdf"
    data = {k: FORM[k] for k in ("service", "title", "body", "area")}
    data.update(reporter_name=NAME, is_anonymous="true", attachments=upload)
    response = client.post("/api/v1/reports/upload", data, HTTP_X_API_KEY="kunci-mitra-lampiran-1")
    assert response.status_code == 201, response.content
    att = verified().attachments.get()
    served = _served(client.get(_public_url(att)))
    _assert_nothing_identifying(served)
    with pikepdf.open(io.BytesIO(served)) as pdf:
        assert len(pdf.pages) == 1
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        assert not pdf.attachments
        assert "/JavaScript" not in pdf.Root.get("/Names", {})


def test_video_and_audio_are_refused_in_indonesian(client, catalogue):
    video = mp4_with_gps_atom()
    response = _web_form(client, [("lokasi.mp4", video)])
    assert response.status_code == 400 and Complaint.objects.count() == 0
    assert "Video dan audio belum dapat kami bersihkan dari data lokasi; kirim foto atau PDF" in response.text
    assert Attachment.objects.count() == 0


def test_the_clean_command_cleans_what_is_stored_once_and_withholds_video(catalogue, submit, act):
    complaint = submit(files=[("foto.jpg", jpeg_identifying())])
    act(complaint, "verify")
    photo = complaint.attachments.get()
    # What an older version stored: the file as it came, and a video with its GPS atom.
    for att, content in ((photo, jpeg_identifying()), (None, mp4_with_gps_atom())):
        if att is None:
            att = Attachment(complaint=complaint, kind="video", content_type="video/mp4", extension=".mp4")
            att.size, att.sha256 = len(content), "-"
        att.file.save("upload", SimpleUploadedFile("x", content), save=True)
    out = io.StringIO()
    call_command("clean_attachments", stdout=out, stderr=io.StringIO())
    assert "cleaned: 1" in out.getvalue() and "withheld: 1" in out.getvalue()
    photo.refresh_from_db()
    with photo.file.open("rb") as fh:
        cleaned = fh.read()
    _assert_nothing_identifying(cleaned)
    assert Attachment.objects.get(kind="video").visibility == Visibility.STAFF
    again = io.StringIO()
    call_command("clean_attachments", stdout=again, stderr=io.StringIO())
    assert "cleaned: 0" in again.getvalue() and "withheld: 0" in again.getvalue()
    photo.refresh_from_db()
    with photo.file.open("rb") as fh:
        assert fh.read() == cleaned  # not re-encoded a second time


def test_files_cannot_be_walked_by_counting_ids(client, catalogue, submit, act):
    complaint = submit(files=[("foto.jpg", jpeg_identifying())])
    act(complaint, "verify")
    att = complaint.attachments.get()
    assert client.get(_public_url(att)).status_code == 200  # public, at its own address
    assert len(att.token) >= 20
    for pk in range(1, att.pk + 3):
        assert client.get(f"/lampiran/{pk}/").status_code == 404
    assert client.get(f"/lampiran/{att.token[:-1]}x/").status_code == 404


def test_private_page_photo_addresses_do_not_carry_the_secret(client, catalogue, act, time_machine):
    photo = SimpleUploadedFile("foto.jpg", jpeg_identifying(), "image/jpeg")
    data = {**FORM, "idempotency_key": "p" * 20, "attachments": [photo]}
    confirmation = client.get(client.post(reverse("portal:file"), data)["Location"]).content.decode()
    private_url = re.search(r'id="private-link" href="([^"]+)"', confirmation).group(1)
    secret = private_url.rstrip("/").rsplit("/", 1)[1]
    complaint = Complaint.objects.get()
    att = complaint.attachments.get()
    Attachment.objects.filter(pk=att.pk).update(visibility=Visibility.REPORTER)  # hidden from the public
    page = client.get(private_url).content.decode()
    photo_urls = re.findall(r'<img src="([^"]+)"', page)
    assert len(photo_urls) == 1 and secret not in photo_urls[0]
    url = photo_urls[0].replace("&amp;", "&")
    assert url.startswith(_public_url(att) + "?g=")
    stranger = Client()  # no session, no cookie: only the address
    assert stranger.get(url).status_code == 200  # the reporter sees their own non-public photo…
    assert stranger.get(_public_url(att)).status_code == 404  # …which no one else does
    assert stranger.get(f"{_public_url(att)}?k={secret}").status_code == 404  # the old form opens nothing
    other = Attachment.objects.create(
        complaint=complaint,
        kind="photo",
        content_type="image/jpeg",
        extension=".jpg",
        size=1,
        sha256="-",
        visibility=Visibility.REPORTER,
        file=att.file.name,
    )
    grant = url.split("?g=", 1)[1]
    assert stranger.get(f"{_public_url(other)}?g={grant}").status_code == 404  # a grant opens one file
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31), tick=False)
    assert stranger.get(url).status_code == 404  # and not for long
