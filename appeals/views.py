"""Stubs until the customer's appeal pages are written."""

from django.http import Http404


def _missing(request, *args, **kwargs):
    raise Http404


appeal_list = appeal_new = appeal_detail = appeal_reopen = attachment_download = support_question = _missing
