"""A consumption bar chart drawn on the server as SVG: no JavaScript, no library.

``consumption_svg(series, *, unit, title)`` takes one zone's months (meters.selectors) and
returns safe markup for a page or a PDF:
- ``role="img"`` with ``<title>`` and ``<desc>`` (the desc sums up what the bars show; the
  page puts a table with the same numbers beside it);
- estimated months are hatched (lines drawn inside the bar, no pattern to reference) and a
  legend says so; months that are not consumption (a replaced meter, a gap) get no bar;
- pure SVG with presentation attributes only: no CSS, no scripts, no external references,
  no fonts but the generic family, so WeasyPrint draws it as a browser does;
- a viewBox sized for a phone (320 units wide) and ``width="100%"``: it scales to its box;
- deterministic: the same data gives the same bytes (ids come from a hash of the text).
"""

import hashlib
from decimal import ROUND_CEILING, Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .selectors import State

WIDTH, HEIGHT = 320, 218
LEFT, RIGHT, TOP = 46, 8, 22
PLOT_BOTTOM = 158  # the zero line; month labels and the legend below it
BAR_COLOUR = "#1f5f99"  # 6.6:1 on white: a graphical object needs 3:1 (WCAG 1.4.11)
GRID_COLOUR = "#d4d9df"
TEXT_COLOUR = "#333333"
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
NBSP = "\u00a0"


def month_abbr(month):
    return [
        _("янв"), _("фев"), _("мар"), _("апр"), _("май"), _("июн"),
        _("июл"), _("авг"), _("сен"), _("окт"), _("ноя"), _("дек"),
    ][month.month - 1]


def month_label(month):
    """«03.2026»: short, unambiguous, the same in every language."""
    return f"{month:%m.%Y}"


def number(value, places=None):
    """A Decimal in Russian style: «1 234,5» (a no-break space between thousands, a comma);
    ``places`` fixes the decimals, else trailing zeros go."""
    value = Decimal(value)
    if places is not None:
        text = f"{value.quantize(Decimal(1).scaleb(-places)):f}" if places else f"{value.quantize(Decimal(1)):f}"
    else:
        text = f"{value.normalize():f}" if value else "0"
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _dot, fraction = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + NBSP.join(groups) + ("," + fraction if fraction else "")


def nice_scale(top):
    """A step of 1, 2, 2.5 or 5 × 10ⁿ giving at most 4 intervals up to ``top``, and the
    axis maximum (a multiple of the step)."""
    top = Decimal(top)
    if top <= 0:
        return Decimal(1), Decimal(1)
    raw = top / 4
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        step = factor * magnitude
        if step >= raw:
            break
    intervals = (top / step).to_integral_value(rounding=ROUND_CEILING)
    return step, step * intervals


def places_of(step):
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent)


def f(value):
    """A coordinate: one decimal, no trailing zero, never «-0»."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def hatch_lines(x, y, width, height, spacing=4.0):
    """Diagonal lines (bottom-left to top-right) filling the rectangle, clipped to it by
    arithmetic: no <pattern>, so no id a second chart on the page could clash with."""
    lines = []
    # Lines x' - y' = c in the rectangle's own coordinates (y' up from the bottom).
    c = -height + spacing / 2
    while c < width:
        # Enter on the left edge or the bottom edge, leave on the top edge or the right edge.
        x0, y0 = (0.0, -c) if c < 0 else (c, 0.0)
        x1, y1 = (height + c, height) if height + c <= width else (width, width - c)
        if x1 > x0:
            lines.append((x + x0, y + height - y0, x + x1, y + height - y1))
        c += spacing
    return lines


def consumption_svg(series, *, unit, title):
    """The bar chart of one zone's months (MonthConsumption list, oldest first) as safe SVG
    markup; ``unit`` names the consumption («кВт·ч»), ``title`` the chart."""
    months = list(series)
    unit = str(unit)
    title = str(title)
    bars = [month for month in months if month.has_bar]
    estimated = [month for month in bars if month.state == State.ESTIMATED]
    not_consumption = [month for month in months if month.state in (State.ROLLOVER, State.GAP)]

    desc = describe(months, bars, estimated, not_consumption, unit)
    digest = hashlib.sha256(f"{title}\n{desc}\n{len(months)}".encode()).hexdigest()[:10]
    title_id, desc_id = f"chart-{digest}-title", f"chart-{digest}-desc"

    # A line under the legend only when some month has no bar to explain.
    height = HEIGHT if not_consumption else HEIGHT - 16
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" class="consumption-chart" {FONT} font-size="11">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]

    top = max((month.amount for month in bars), default=Decimal(0))
    step, axis_max = nice_scale(top)
    places = places_of(step)
    plot_height = PLOT_BOTTOM - TOP
    plot_width = WIDTH - LEFT - RIGHT

    def y_of(value):
        return PLOT_BOTTOM - float(Decimal(value) / axis_max) * plot_height

    # The y axis: grid lines and their values; the unit above them.
    out.append(f'<text x="8" y="{TOP - 10}" fill="{TEXT_COLOUR}">{escape(unit)}</text>')
    tick = Decimal(0)
    while tick <= axis_max:
        y = f(y_of(tick))
        colour = TEXT_COLOUR if tick == 0 else GRID_COLOUR
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{colour}" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 4}" y="{f(y_of(tick) + 3.5)}" text-anchor="end" '
                   f'fill="{TEXT_COLOUR}">{escape(number(tick, places))}</text>')
        tick += step

    if not months:
        out.append(f'<text x="{f(LEFT + plot_width / 2)}" y="{f(TOP + plot_height / 2)}" text-anchor="middle" '
                   f'fill="{TEXT_COLOUR}">{escape(_("Показаний пока нет"))}</text>')
    else:
        slot = plot_width / len(months)
        bar_width = max(1.0, slot * 0.7)
        label_every = max(1, -(-len(months) // 8))
        for index, month in enumerate(months):
            x = LEFT + slot * index + (slot - bar_width) / 2
            centre = LEFT + slot * index + slot / 2
            if month.has_bar and month.amount > 0:
                y = y_of(month.amount)
                bar_height = PLOT_BOTTOM - y
                tooltip = f"{month_label(month.month)}: {number(month.amount)} {unit}"
                if month.state == State.ESTIMATED:
                    tooltip += " " + _("(расчётный)")
                    out.append(f'<g><title>{escape(tooltip)}</title>')
                    out.append(f'<rect x="{f(x)}" y="{f(y)}" width="{f(bar_width)}" height="{f(bar_height)}" '
                               f'fill="#ffffff" stroke="{BAR_COLOUR}" stroke-width="1"/>')
                    for x1, y1, x2, y2 in hatch_lines(x, y, bar_width, bar_height):
                        out.append(f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" '
                                   f'stroke="{BAR_COLOUR}" stroke-width="1"/>')
                    out.append("</g>")
                else:
                    out.append(f'<rect x="{f(x)}" y="{f(y)}" width="{f(bar_width)}" height="{f(bar_height)}" '
                               f'fill="{BAR_COLOUR}"><title>{escape(tooltip)}</title></rect>')
            if index % label_every == 0:
                out.append(f'<text x="{f(centre)}" y="{PLOT_BOTTOM + 12}" text-anchor="middle" '
                           f'fill="{TEXT_COLOUR}">{escape(month_abbr(month.month))}</text>')
                if index == 0 or month.month.month <= label_every:
                    out.append(f'<text x="{f(centre)}" y="{PLOT_BOTTOM + 24}" text-anchor="middle" '
                               f'fill="{TEXT_COLOUR}">{month.month.year}</text>')

    # The legend: only what the chart shows.
    legend_y = PLOT_BOTTOM + 32
    legend_x = 8
    if bars and len(estimated) < len(bars):
        out.append(f'<rect x="{legend_x}" y="{legend_y}" width="10" height="10" fill="{BAR_COLOUR}"/>')
        out.append(f'<text x="{legend_x + 14}" y="{legend_y + 9}" fill="{TEXT_COLOUR}">'
                   f'{escape(_("по показаниям"))}</text>')
        legend_x += 112
    if estimated:
        out.append(f'<rect x="{legend_x}" y="{legend_y}" width="10" height="10" fill="#ffffff" '
                   f'stroke="{BAR_COLOUR}" stroke-width="1"/>')
        for x1, y1, x2, y2 in hatch_lines(legend_x, legend_y, 10, 10, spacing=3.5):
            out.append(f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" stroke="{BAR_COLOUR}" '
                       f'stroke-width="1"/>')
        out.append(f'<text x="{legend_x + 14}" y="{legend_y + 9}" fill="{TEXT_COLOUR}">'
                   f'{escape(_("расчётный месяц"))}</text>')
    if not_consumption:
        out.append(f'<text x="8" y="{HEIGHT - 4}" fill="{TEXT_COLOUR}">'
                   f'{escape(_("Месяцы без столбца — см. таблицу"))}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))


def describe(months, bars, estimated, not_consumption, unit):
    """The chart in words, for <desc>: the period, the total, the largest month, the
    estimated months and the months without a bar."""
    if not months:
        return _("Показаний пока нет.")
    parts = [_("Расход по месяцам с %(first)s по %(last)s.") % {
        "first": month_label(months[0].month), "last": month_label(months[-1].month)}]
    if bars:
        total = sum((month.amount for month in bars), Decimal(0))
        largest = max(bars, key=lambda month: (month.amount, month.month))
        parts.append(_("Всего по столбцам: %(total)s %(unit)s; больше всего в %(month)s: %(amount)s %(unit)s.") % {
            "total": number(total), "unit": unit, "month": month_label(largest.month),
            "amount": number(largest.amount)})
    else:
        parts.append(_("Месяцев с рассчитанным расходом нет."))
    if estimated:
        parts.append(_("Расчётные месяцы (не по счётчику, заштрихованы): %(months)s.") % {
            "months": ", ".join(month_label(month.month) for month in estimated)})
    if not_consumption:
        parts.append(_("Без столбца (замена счётчика, переход через ноль или пропуск показаний): %(months)s.") % {
            "months": ", ".join(month_label(month.month) for month in not_consumption)})
    parts.append(_("Точные значения — в таблице."))
    return " ".join(parts)
