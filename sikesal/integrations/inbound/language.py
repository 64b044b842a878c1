"""Which language a citizen writes in: Indonesian unless the words are plainly English. A count of common
words is enough for the two languages SIKESAL speaks, and it errs towards Indonesian (the city's default)."""

import re

ENGLISH_WORDS = (
    "hello hi hey good morning afternoon evening the a an is are was there this that my i we you please want "
    "report complaint problem broken road street water light help thanks thank yes no check reply cancel "
    "skip next in on of at near with not been has have"
)
INDONESIAN_WORDS = (
    "halo hai selamat pagi siang sore malam yang di ke dari dan ada tidak ini itu saya kami mohon tolong "
    "lapor laporan aduan jalan rusak air lampu ya terima kasih cek balas batal lewati sudah belum dengan "
    "untuk depan dekat sekitar banyak sangat"
)
ENGLISH = frozenset(ENGLISH_WORDS.split())
INDONESIAN = frozenset(INDONESIAN_WORDS.split())
WORD_RE = re.compile(r"[a-z]+")
GREETING_WORDS = "halo hallo hai hi hello hey selamat assalamualaikum permisi pagi siang sore malam good"
GREETINGS = frozenset(GREETING_WORDS.split())


def detect(text, default="id"):
    words = WORD_RE.findall(str(text or "").lower())
    english = sum(w in ENGLISH for w in words)
    indonesian = sum(w in INDONESIAN for w in words)
    if english > indonesian:
        return "en"
    if indonesian > english:
        return "id"
    return default


def is_greeting(text):
    """Does the message open with a greeting ("Halo, saya mau lapor", "Good morning")?"""
    words = WORD_RE.findall(str(text or "").lower())
    return bool(words) and words[0] in GREETINGS
