"""The user's own data in billing, for the privacy app (privacy/registry.py explains the
contract): the accounts they linked, their PIN requests and the counterparty registered to
them; erasure unlinks all of it.

What basic access hides stays hidden here too: an account's holder and address are given
only for a link with full access (billing.access, the overview), and billing's history of
an account (charges, invoices, billing's payments) is the account's, not the person's: it is
not exported at all."""

from .models import AccountLink, Counterparty, PinRequest


def _account(account):
    return {"account_number": account.number, "supplier": account.supplier.name}


def export_user_data(user):
    links = AccountLink.objects.filter(user=user).select_related("account__supplier").order_by("linked_at", "pk")
    linked = []
    for link in links:
        full = link.access == AccountLink.Access.FULL
        linked.append({
            **_account(link.account),
            "access": link.get_access_display(),
            "linked_at": link.linked_at,
            "holder_name": link.account.holder_name if full else None,
            "address": link.account.address if full else None,
        })
    pins = PinRequest.objects.filter(user=user).select_related("account__supplier").order_by("created_at", "pk")
    data = {
        "linked_accounts": linked,
        "pin_requests": [{**_account(pin.account), "requested_at": pin.created_at, "handled_at": pin.handled_at}
                         for pin in pins],
    }
    counterparties = Counterparty.objects.filter(account=user)
    if counterparties:
        data["counterparty"] = [{"inn": party.inn, "kpp": party.kpp, "name": party.name,
                                 "short_name": party.short_name} for party in counterparties]
    return data


def erase_user_data(user):
    """Links and PIN requests go; the counterparty (a legal entity, billing's row) stays,
    free to be registered again."""
    AccountLink.objects.filter(user=user).delete()
    PinRequest.objects.filter(user=user).delete()
    Counterparty.objects.filter(account=user).update(account=None)
