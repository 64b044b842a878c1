"""Checking and storing uploaded files.

The declared name and content type are ignored: the kind is read from the file's first bytes, each kind
has a size limit, and every file is rebuilt without what identifies its author (attachments_clean): images
are decoded and re-encoded with no EXIF, GPS, XMP, comment or text chunk, PDFs lose their document
information, XMP, embedded files and JavaScript. Video and audio are refused: their containers hold GPS
atoms and device names we cannot yet remove reliably.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from sikesal.complaints.attachments_clean import CannotClean, clean_image, clean_pdf
from sikesal.complaints.models import AttachmentKind

# JPEG decoders can scale by 1/2, 1/4 or 1/8 while decoding (libjpeg's DCT scaling, Image.draft), at a
# fraction of a full decode's time and memory: a JPEG over the pixel limit is kept, decoded at the largest of
# these scales that brings it under (a 200 MP phone photo at 1/4 takes 0.14 s here, bench figure in the
# test). Other kinds have no such shortcut: PNG and WebP decode every pixel, so they are refused above it.
JPEG_SCALES = (2, 4, 8)


def _ceil(length, scale):
    return -(-length // scale)  # the decoder rounds a scaled side up


def _hard_limit():
    """The most pixels any image file may claim: the limit at the smallest JPEG scale."""
    return settings.SIKESAL_UPLOAD_MAX_IMAGE_PIXELS * JPEG_SCALES[-1] ** 2


# Past its limit Pillow only warns when it opens a file (it raises at twice the limit): make its warning an
# error, so that nothing decodes a decompression bomb even where our own check below is not on the path.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
Image.MAX_IMAGE_PIXELS = _hard_limit()


class ImageTooLarge(Exception):
    pass


@dataclass
class CheckedFile:
    kind: str
    content_type: str
    extension: str
    original_name: str
    content: bytes

    @property
    def size(self):
        return len(self.content)

    @property
    def sha256(self):
        return hashlib.sha256(self.content).hexdigest()

    def as_django_file(self):
        return ContentFile(self.content, name="upload" + self.extension)


def sniff(head):
    """(kind, content_type, extension) from the first bytes, or None for anything we do not accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return AttachmentKind.PHOTO, "image/jpeg", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return AttachmentKind.PHOTO, "image/png", ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return AttachmentKind.PHOTO, "image/webp", ".webp"
    if head.startswith(b"%PDF-"):
        return AttachmentKind.PDF, "application/pdf", ".pdf"
    return None


def is_video_or_audio(head):
    """MP4/MOV/3GP/M4A (ISO boxes), WebM/MKV, Ogg, MP3, WAV, AMR: refused with their own message."""
    return (
        head[4:8] == b"ftyp"
        or head.startswith((b"\x1a\x45\xdf\xa3", b"OggS", b"ID3", b"#!AMR", b"\xff\xfb", b"\xff\xf3"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WAVE")
    )


def _strip_image(content, content_type):
    """Re-encode an image without its metadata (attachments_clean); None when it is not a valid image.

    The dimensions are read from the header (Image.open decodes nothing) and checked against the pixel
    limit first: a PNG of 155 kB can hold 40 million RGBA pixels, seconds of a worker's time to decode.
    """
    limit = settings.SIKESAL_UPLOAD_MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = _hard_limit()
    try:
        with Image.open(io.BytesIO(content)) as img:
            pixels = img.width * img.height
            if pixels > limit:
                scale = next((s for s in JPEG_SCALES if _ceil(img.width, s) * _ceil(img.height, s) <= limit), None)
                if img.format != "JPEG" or scale is None:
                    raise ImageTooLarge
                img.draft(img.mode, (img.width // scale, img.height // scale))  # picks `scale`: see Pillow
            img.load()
            return clean_image(img, content_type)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, CannotClean):
        return None


def check_upload(name, content):
    """Check one upload; returns (CheckedFile, None) or (None, an Indonesian error message)."""
    display = (name or "berkas")[:200]
    sniffed = sniff(content[:16])
    if sniffed is None and is_video_or_audio(content[:16]):
        return None, _(
            "%(name)s: videos and audio cannot yet be cleaned of location data; please send a photo or PDF."
        ) % {"name": display}
    if sniffed is None:
        return None, _("%(name)s: only photos (JPEG, PNG, WebP) and PDF are accepted.") % {"name": display}
    kind, content_type, extension = sniffed
    limit = settings.SIKESAL_UPLOAD_MAX_BYTES[kind]
    if len(content) > limit:
        return None, _("%(name)s is too large (at most %(mb)d MB for this kind of file).") % {
            "name": display,
            "mb": limit // (1024 * 1024),
        }
    if kind == AttachmentKind.PHOTO:
        try:
            content = _strip_image(content, content_type)
        except ImageTooLarge:
            return None, _("%(name)s has too many pixels (at most %(mp)d megapixels).") % {
                "name": display,
                "mp": settings.SIKESAL_UPLOAD_MAX_IMAGE_PIXELS // 1_000_000,
            }
        if content is None:
            return None, _("%(name)s is not a valid image.") % {"name": display}
    elif kind == AttachmentKind.PDF:
        try:
            content = clean_pdf(content)
        except CannotClean:
            return None, _(
                "%(name)s could not be read as a PDF (damaged or locked with a password); please send it "
                "unlocked or as a photo."
            ) % {"name": display}
    return CheckedFile(kind, content_type, extension, display, content), None


def check_uploads(files):
    """Check a list of uploaded files (Django UploadedFile or (name, bytes)); returns (checked, errors)."""
    checked, errors = [], []
    if len(files) > settings.SIKESAL_UPLOAD_MAX_FILES:
        return [], [_("At most %(n)d attachments.") % {"n": settings.SIKESAL_UPLOAD_MAX_FILES}]
    # Enough to check any kind we accept and to tell that a video is one (the refused kind needs no more).
    biggest = max(v for k, v in settings.SIKESAL_UPLOAD_MAX_BYTES.items() if k != AttachmentKind.VIDEO)
    for f in files:
        if isinstance(f, tuple):
            name, content = f
        else:
            name = f.name
            content = f.read(biggest + 1)
        result, error = check_upload(name, content)
        if error:
            errors.append(error)
        else:
            checked.append(result)
    return checked, errors
