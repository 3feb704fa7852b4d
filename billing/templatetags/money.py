"""Money as the consumer's pages show it, formatted in Python.

``floatformat:"2g"`` looks up the locale's separators and rebuilds a Decimal context on every
call; the history table calls it for every cell (a few hundred a page). ``money`` gives the
same text for the one language the portal speaks: two places, half up, thousands grouped by
a no-break space, a decimal comma ("1 234,50", "-250,00").
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


@register.filter(is_safe=True)
def money(value):
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not amount:
        amount = abs(amount)  # floatformat shows -0.004 as "0,00", not "-0,00"
    return f"{amount:,.2f}".replace(",", "\xa0").replace(".", ",")
