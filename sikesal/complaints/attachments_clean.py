"""Removing what identifies a file's author before it is stored (issue #28 item 3).

A citizen's phone or office writes their name, their device and where they stood into a file: EXIF with GPS,
XMP, a JPEG comment, PNG text chunks, a PDF's document information and XMP stream. Every accepted kind is
rebuilt here from its content only; a kind that cannot be rebuilt (video, audio) is refused by check_upload.
"""

import io
import struct

import pikepdf
from PIL import ImageOps

# What a re-encoded image may keep from the decoder's `info`: only what its pixels need. Everything else
# (exif, xmp, comment, icc_profile, PNG text chunks, dpi…) is left behind; Pillow writes some of these
# from `im.info` on save (a JPEG comment, WebP/JPEG XMP) unless they are gone from it.
_KEEP_INFO = {"transparency"}


class CannotClean(Exception):
    """The file is damaged, locked or otherwise cannot be rebuilt without its metadata."""


def clean_image(img, content_type):
    """The bytes of `img` (already loaded) re-encoded with none of its metadata."""
    img = ImageOps.exif_transpose(img)  # keep the photo upright once the orientation tag is gone
    img.info = {k: v for k, v in img.info.items() if k in _KEEP_INFO}
    out = io.BytesIO()
    if content_type == "image/jpeg":
        img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif content_type == "image/png":
        img.save(out, "PNG", optimize=True)
    else:
        img.save(out, "WEBP", quality=85)
    cleaned = out.getvalue()
    if found := identifying_parts(cleaned, content_type):
        raise CannotClean(f"the encoder kept {found}")  # a Pillow upgrade must not quietly bring them back
    return cleaned


# Where an image file carries text about its author rather than pixels: JPEG COM and APP1-APP15 (Exif, XMP,
# ICC, maker notes; APP0 is the JFIF header), PNG text/Exif/ICC/time chunks, WebP EXIF/XMP/ICC chunks.
_PNG_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"tIME"}
_WEBP_CHUNKS = {b"EXIF", b"XMP ", b"ICCP"}


def identifying_parts(content, content_type):
    """The metadata segments or chunks in an image file, by name; empty when it carries none."""
    if content_type == "image/jpeg":
        return _jpeg_parts(content)
    if content_type == "image/png":
        return _chunks(content, 8, _PNG_CHUNKS, ">I4s", with_crc=True)
    if content_type == "image/webp":
        return _chunks(content, 12, _WEBP_CHUNKS, "<4sI", with_crc=False)
    return []


def _jpeg_parts(content):
    found, pos = [], 2
    while pos + 4 <= len(content) and content[pos] == 0xFF:
        marker = content[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: only entropy-coded data follows
            break
        if marker == 0xFE or 0xE1 <= marker <= 0xEF:
            found.append("COM" if marker == 0xFE else f"APP{marker - 0xE0}")
        pos += 2 + struct.unpack(">H", content[pos + 2 : pos + 4])[0]
    return found


def _chunks(content, pos, wanted, layout, with_crc):
    found = []
    while pos + 8 <= len(content):
        first, second = struct.unpack(layout, content[pos : pos + 8])
        kind, length = (second, first) if with_crc else (first, second)
        if kind in wanted:
            found.append(kind.decode("latin-1").strip())
        pos += 8 + length + (4 if with_crc else length % 2)  # WebP pads odd chunks to even
    return found


# Keys that carry an author's data or run code, wherever they appear in a PDF: XMP streams (on the catalogue,
# pages, images, fonts), application private data, and automatic actions.
_DROP_EVERYWHERE = ("/Metadata", "/PieceInfo", "/AA")


def clean_pdf(content):
    """The PDF rewritten without its document information, XMP, embedded files and JavaScript.

    Streams are copied as they are (no decoding), so a small file that inflates to gigabytes costs
    nothing here; QPDF writes only the objects still reachable, so earlier revisions go too.
    """
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError as exc:
        raise CannotClean("encrypted") from exc
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        raise CannotClean("unreadable") from exc
    with pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        root = pdf.Root
        for key in ("/OpenAction", "/Metadata"):
            if key in root:
                del root[key]
        names = root.get("/Names")
        if isinstance(names, pikepdf.Dictionary):
            for key in ("/EmbeddedFiles", "/JavaScript"):
                if key in names:
                    del names[key]
        for obj in pdf.objects:
            if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                continue
            for key in _DROP_EVERYWHERE:
                if key in obj:
                    del obj[key]
            if obj.get("/S") == pikepdf.Name.JavaScript and "/JS" in obj:
                del obj["/JS"]
            if obj.get("/Type") == pikepdf.Name.Filespec and "/EF" in obj:
                del obj["/EF"]  # the embedded file itself; the name stays
            if obj.get("/Subtype") == pikepdf.Name.FileAttachment and "/FS" in obj:
                del obj["/FS"]
        out = io.BytesIO()
        try:
            pdf.save(
                out,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                deterministic_id=True,
                fix_metadata_version=False,
            )
        except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
            raise CannotClean("unwritable") from exc
    return out.getvalue()
