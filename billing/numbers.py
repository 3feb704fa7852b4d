"""Money, quantities and units as every consumer page, receipt and download shows them: one
way, in Russian (issue 24). Templates reach them through the ``money`` library's filters."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

NBSP = "\u00a0"
CENT = Decimal("0.01")

# Billing's unit codes (shared/EXCHANGE.md: charges.csv) as people read them.
UNIT_NAMES = {"kWh": _("кВт·ч"), "m3": _("м³"), "Gcal": _("Гкал")}


def unit_name(code):
    """«кВт·ч» for billing's «kWh»; a code we do not know, as it came."""
    return str(UNIT_NAMES[code]) if code in UNIT_NAMES else code


def money(value):
    """«1 234,56»: roubles with two places (half up), a comma and non-breaking thousands."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not amount:
        amount = abs(amount)  # -0.004 is "0,00", not "-0,00"
    return f"{amount:,.2f}".replace(",", NBSP).replace(".", ",")


def quantity(value, places=4):
    """A volume or a tariff with the digits it has, at most ``places`` after the comma and
    two at least when it has any: «9,03» (not «9,0300»), «7,1234», «123,50», «245»."""
    if value is None or value == "":
        return ""
    try:
        text = f"{Decimal(value):,.{places}f}"
    except (InvalidOperation, TypeError, ValueError):
        return ""
    whole, _point, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    if len(fraction) < 2 and places >= 2:
        fraction = fraction.ljust(2, "0") if fraction else ""
    return whole.replace(",", NBSP) + ("," + fraction if fraction else "")


def plain_number(value):
    """A number for a spreadsheet in Russian Excel: a decimal comma, no grouping («1234,5»)."""
    if value is None or value == "":
        return ""
    return str(value).replace(".", ",")
