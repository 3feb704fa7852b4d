"""An entry's changes as people read them: the field's name, the value before and after.

django-auditlog stores each value as text (``"None"`` for none, a choice's code, a related
row's id, a time in UTC). Its own ``changes_display_dict`` speaks English and cannot show a
many-to-many change; this says it in Russian, the way the admin shows the same fields.
"""

from dataclasses import dataclass
from datetime import timezone as dt_timezone

from dateutil import parser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .models import ERASED, ERASED_LABEL, SECRET_LABELS


NOTHING = "—"


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


def who(entry):
    """The staff member as the trail names them: login (full name), else the e-mail the
    entry kept of a deleted one, else the system."""
    if entry.actor is not None:
        full_name = entry.actor.get_full_name()
        return f"{entry.actor.username} ({full_name})" if full_name else entry.actor.username
    return entry.actor_email or _("система")


def change_rows(entry):
    model = entry.content_type.model_class()
    rows = []
    for name, values in (entry.changes_dict or {}).items():
        field = _field(model, name)
        label = capfirst(str(field.verbose_name)) if field is not None else name
        if isinstance(values, dict) and values.get("type") == "m2m":
            objects = ", ".join(values.get("objects") or ())
            verb = _("добавлено") if values.get("operation") == "add" else _("убрано")
            rows.append(ChangeRow(label, NOTHING, f"{verb}: {objects}"))
            continue
        before, after = values
        rows.append(ChangeRow(label, display_value(field, before), display_value(field, after)))
    return rows


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def display_value(field, value):
    if value in (None, "None", ""):
        return NOTHING
    if value == ERASED:
        return str(ERASED_LABEL)
    if value in SECRET_LABELS:
        return str(SECRET_LABELS[value])
    value = str(value)
    if field is None:
        return value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("да") if value == "True" else _("нет")
    if isinstance(field, models.DateTimeField):
        return _moment(value)
    if field.many_to_one or field.one_to_one:
        return _related(field, value)
    return value


def _moment(value):
    try:
        moment = parser.parse(value)
    except (ValueError, OverflowError):
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt_timezone.utc)  # the library stores UTC, naive
    return formats.localize(timezone.localtime(moment))


def _related(field, value):
    """The related row as the admin names it, found through its model's default manager:
    in the request's tenant scope, so nothing of another tenant is named."""
    related = field.related_model
    try:
        pk = related._meta.pk.to_python(value)
    except ValidationError:
        return value
    try:
        return str(related._default_manager.get(pk=pk))
    except related.DoesNotExist:
        return _("%(model)s № %(id)s (удалён)") % {"model": related._meta.verbose_name, "id": value}
