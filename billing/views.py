"""The signed-in customer's pages about their accounts. So far the overview: what they owe
and for what comes with the consumer-accounts issue; today the contracts of guide 000."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .selectors import contracts_for_user


@login_required
def overview(request):
    if request.tenant is None:
        raise Http404
    return render(request, "billing/overview.html", {"contracts": contracts_for_user(request.user)})
