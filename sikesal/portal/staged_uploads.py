"""Files chosen on the report form, kept while the form is shown again (the duplicate hint, a refused field).

A browser cannot put files back into a file input, so without this the citizen who presses "Send" again
files the report with no photos. The files that pass the same checks as a filed attachment (by content,
metadata stripped: complaints/attachments.py) are written cleaned under `staged/<random id>/` in the
media storage; the form carries a token signed for this browser (a hash of its CSRF secret, as the
idempotency key is) that names them. The next POST of that form reads them back and files them with the
report, through the same checks again; a form shown again once more keeps them anew (`keep`). Tokens expire
after `MAX_AGE` seconds; `purge` (a periodic job) removes what was never sent.
"""

import json
import secrets
import time

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from sikesal.complaints.attachments import check_uploads

ROOT = "staged"
MAX_AGE = 3600
SALT = "sikesal.portal.staged"


def stage(browser, files):
    """Check `files` (uploads or (name, bytes)) and keep those that pass. Returns (token, names, errors):
    the token for the form ("" when nothing was kept), the kept files' names, and each refused file's
    message."""
    checked, errors = check_uploads(files)
    if not checked:
        return "", [], errors
    batch = secrets.token_hex(12)
    manifest = [[f"{n}{f.extension}", f.original_name] for n, f in enumerate(checked)]
    # The manifest first: `purge` takes a batch without one for a broken one.
    default_storage.save(f"{ROOT}/{batch}/manifest.json", ContentFile(json.dumps(manifest).encode()))
    for (stored, _name), f in zip(manifest, checked, strict=True):
        default_storage.save(f"{ROOT}/{batch}/{stored}", ContentFile(f.content))
    return signing.dumps({"batch": batch, "browser": browser}, salt=SALT), [f.original_name for f in checked], errors


def keep(browser, old_token, files):
    """The form is shown again: stage `files` (what `old_token` named plus the new uploads) in place of the
    batch `old_token` names. Returns stage()'s (token, names, errors)."""
    discard(browser, old_token)
    for f in files:
        if hasattr(f, "seek"):
            f.seek(0)  # submit() may have read it before refusing: a second read would give b""
    return stage(browser, files)


def _batch(browser, token):
    """The batch a token names, if it was signed for this browser and has not expired."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # expired, tampered with, or from another deployment
        return None
    if not isinstance(value, dict) or value.get("browser") != browser:
        return None
    batch = str(value.get("batch") or "")
    return batch if batch.isalnum() else None


def read(browser, token):
    """The staged files a token names, as (name, bytes), or [] (unknown, expired, another browser's)."""
    batch = _batch(browser, token)
    if batch is None or not default_storage.exists(f"{ROOT}/{batch}/manifest.json"):
        return []
    with default_storage.open(f"{ROOT}/{batch}/manifest.json") as fh:
        manifest = json.loads(fh.read())
    files = []
    for stored, name in manifest:
        with default_storage.open(f"{ROOT}/{batch}/{stored}") as fh:
            files.append((name, fh.read()))
    return files


def discard(browser, token):
    """Remove a batch once its files were filed with a report or staged again with the next form."""
    batch = _batch(browser, token)
    if batch is not None:
        _remove(batch)


def _remove(batch):
    directory = f"{ROOT}/{batch}"
    if not default_storage.exists(directory):
        return
    for name in default_storage.listdir(directory)[1]:
        default_storage.delete(f"{directory}/{name}")
    default_storage.delete(directory)


def purge(now=None):
    """Remove the batches older than a token lives; returns how many were removed."""
    if not default_storage.exists(ROOT):
        return 0
    cutoff = (now or time.time()) - MAX_AGE
    removed = 0
    for batch in default_storage.listdir(ROOT)[0]:
        manifest = f"{ROOT}/{batch}/manifest.json"
        if not default_storage.exists(manifest) or default_storage.get_modified_time(manifest).timestamp() < cutoff:
            _remove(batch)
            removed += 1
    return removed
