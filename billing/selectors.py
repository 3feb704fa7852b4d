from .models import Contract


def contracts_for_user(user):
    """The contracts a user sees: all of their counterparty's (guide 000), one query."""
    return list(
        Contract.objects.filter(counterparty__account=user).select_related("supplier").order_by("number")
    )
