"""Item 15 of issue 16: the data directory and what SIKESAL writes there are readable by its account only,
and private-link secrets stay out of the access log and the application log."""

import datetime as dt
import logging
import os
import stat
import subprocess
import sys
import textwrap

from django.conf import settings

WRITE_EVERYTHING = textwrap.dedent(
    """
    import logging, django
    django.setup()
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.mail import send_mail
    from django.db import connection
    from sikesal.integrations.notify.transports import send_to_contact
    connection.ensure_connection()                                # the SQLite file
    with connection.cursor() as c:
        c.execute("CREATE TABLE t (x int)")                       # and its WAL
    default_storage.save("lampiran/foto.jpg", ContentFile(b"x"))  # an upload
    send_mail("s", "b", "a@example.com", ["b@example.com"])       # mail/
    send_to_contact("phone", "081234567890", "s", "kode 123456")   # outbox/
    logging.getLogger("sikesal").warning("hello")                 # logs/
    """
)


def test_data_dir_and_its_files_are_private(tmp_path):
    data = tmp_path / "var"
    env = {
        **os.environ,
        "SIKESAL_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "sikesal.settings",
        "SIKESAL_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    }
    env.pop("DATABASE_URL", None)
    env.pop("SIKESAL_SQLITE_PATH", None)
    subprocess.run([sys.executable, "-c", WRITE_EVERYTHING], env=env, cwd=settings.BASE_DIR, check=True)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    written = {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in data.rglob("*")}
    for name in ("sikesal.sqlite3", "secret_key", "logs/sikesal.log", "outbox/sms.jsonl", "media/lampiran/foto.jpg"):
        assert written.pop(name) == 0o600, name
    assert any(name.startswith("mail/") for name in written)
    for name, mode in written.items():
        if name == "static" or name.startswith("static/"):
            continue  # collected static files are public anyway
        assert mode == (0o700 if (data / name).is_dir() else 0o600), name


def test_an_existing_world_readable_data_dir_is_closed(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    env = {**os.environ, "SIKESAL_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "sikesal.settings"}
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, cwd=settings.BASE_DIR, check=True)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


class _Response:
    status = "200 OK"
    sent = 1234
    headers = [("Content-Type", "text/html")]


def test_access_log_masks_private_links(tmp_path):
    from gunicorn.config import Config

    from sikesal.core.gunicorn_logger import Logger

    log = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log))
    logger = Logger(cfg)
    secret = "Zq8rahasiaPelapor-123_abc"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/lampiran/7/?k={secret}",
        "PATH_INFO": "/lampiran/7/",
        "QUERY_STRING": f"k={secret}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://sikesal.example/pelapor/{secret}/",
    }
    logger.access(_Response(), [("REFERER", environ["HTTP_REFERER"])], environ, dt.timedelta(seconds=0.01))
    environ.update(RAW_URI=f"/pelapor/{secret}/aksi/", PATH_INFO=f"/pelapor/{secret}/aksi/", QUERY_STRING="")
    logger.access(_Response(), [], environ, dt.timedelta(seconds=0.01))
    text = log.read_text()
    assert secret not in text
    assert "/pelapor/***/aksi/" in text and "?k=***" in text and "GET" in text


def test_application_log_masks_private_links(tmp_path):
    secret = "Zq8rahasiaPelapor-456_def"
    handler = next(h for h in logging.getLogger("sikesal").handlers if hasattr(h, "baseFilename"))
    logging.getLogger("sikesal.portal").warning("gagal di /pelapor/%s/ dan /lampiran/1/?k=%s", secret, secret)
    handler.flush()
    with open(handler.baseFilename, encoding="utf-8") as fh:
        tail = fh.read()[-2000:]
    assert secret not in tail and "/pelapor/***/" in tail
