"""A bare Django project in one file: one view answering "hello", no middleware, no database.

bench/pages.py serves it with gunicorn beside the portal, as the yardstick its pages are
measured against (the cost of Django, gunicorn and the client themselves). It is not part
of the product: nothing in portal/urls.py routes to it.

    DJANGO_SETTINGS_MODULE=hello gunicorn hello:application   (with bench/ on PYTHONPATH)
"""

from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "bench-hello-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "hello"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("", hello)]


_handler = None


def application(environ, start_response):
    # Built on the first request, once this module (the settings) is fully imported.
    global _handler
    if _handler is None:
        from django.core.wsgi import get_wsgi_application

        _handler = get_wsgi_application()
    return _handler(environ, start_response)
