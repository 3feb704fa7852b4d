"""Money, quantities and units as the consumer's pages show them (billing.numbers), formatted in
Python: ``floatformat:"2g"`` looks up the locale's separators and rebuilds a Decimal context on
every call; the history table calls these for every cell (a few hundred a page)."""

from django import template

from billing import numbers

register = template.Library()


@register.filter(is_safe=True)
def money(value):
    """«1 234,50», «-250,00»."""
    return numbers.money(value)


@register.filter(is_safe=True)
def quantity(value):
    """A tariff or a volume with the digits it has (2 to 4 after the comma): «9,03», «7,1234»."""
    return numbers.quantity(value)


@register.filter
def unit(code):
    """«кВт·ч», «м³» for billing's unit codes."""
    return numbers.unit_name(code)
