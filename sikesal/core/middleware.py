from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Indonesian unless the visitor chose otherwise with the language switch (a cookie).

    Django's LocaleMiddleware follows the browser's Accept-Language, and many Indonesian phones are
    set to English; the city wants its service in Indonesian by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
