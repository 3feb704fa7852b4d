"""A reading's state in its one sentence (meters.states), for templates/meters/reading_state.html."""

from django import template

from meters import states

register = template.Library()


@register.simple_tag
def reading_sentence(reading, viewer=None, who="", others=False):
    """The reading's ReadingState, its author said first where worth saying («передано вами,
    принято, войдёт в расчёт за декабрь 2026»)."""
    viewer = viewer or None  # not given: an empty string
    state = states.reading_state(reading)
    author = states.reading_author(reading, viewer_id=viewer, who=who, others=others)
    if author:
        return states.ReadingState(state.key, f"{author}, {state.text}", state.tone)
    return state

