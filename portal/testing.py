"""Helpers for tests of pages (the builders of rows live in each app's factories.py)."""


def text_of(response):
    """A page's text as a person reads it: Russian number formatting groups thousands with a
    no-break space, written here as a plain one."""
    return response.content.decode().replace("\xa0", " ")
