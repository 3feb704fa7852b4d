"""Meters and readings in the admin: billing's data, browsed by staff, not edited (see
billing.admin). Searches resolve ids first through an index (a serial, an account number),
then select the rows by their foreign key.

The one thing staff add is a reading received by phone: «Внести показание» on a meter
(``meters.add_reading``), through the same service and rules as the consumer's page, with
source ``staff`` and the staff member recorded. Billing's readings stay read-only. Staff
also keep their tenant's reading windows (ReadingWindowAdmin)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy as _

from billing.admin import AccountAdmin, BillingOwnedAdmin, account_ids, changelist_link
from billing.models import Supplier
from portal.admin import TenantOwnedAdmin, on_platform_host

from . import services
from .models import Meter, Reading, ReadingWindow

# The most zones a meter has (day, night, peak).
MAX_ZONES = 3
# Meter ids a search term names, at most this many.
SEARCH_METERS_LIMIT = 1000


class MeterInline(admin.TabularInline):
    """An account's meters on its page in billing's admin (browsed, never edited)."""

    model = Meter
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["serial", "service", "last_readings_shown", "zones", "installed_on", "verified_until", "archived_on"]
    readonly_fields = fields

    def get_queryset(self, request):
        """The meters with each zone's last counted reading (value and day), in the one query
        of the inline: no query per meter."""
        queryset = super().get_queryset(request)
        for zone in range(1, MAX_ZONES + 1):
            last = (Reading.objects.filter(meter=OuterRef("pk"), zone=zone).exclude(status__in=Reading.NOT_COUNTED)
                    .order_by("-taken_on", "-pk"))
            queryset = queryset.annotate(**{f"last_{zone}_value": Subquery(last.values("value")[:1]),
                                            f"last_{zone}_on": Subquery(last.values("taken_on")[:1])})
        return queryset

    @admin.display(description=_("последние показания"))
    def last_readings_shown(self, meter):
        shown = []
        for zone in range(1, meter.zones + 1):
            value, taken_on = getattr(meter, f"last_{zone}_value", None), getattr(meter, f"last_{zone}_on", None)
            if value is None:
                continue
            text = gettext("%(value)s на %(date)s") % {"value": floatformat(value, f"{meter.decimals}g"),
                                                      "date": taken_on.strftime("%d.%m.%Y")}
            shown.append(gettext("зона %(zone)d: %(text)s") % {"zone": zone, "text": text} if meter.zones > 1 else text)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in shown)) if shown else "—"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# An account's page shows its meters and links to their readings: billing does not know meters.
AccountAdmin.inlines_of_apps.append(MeterInline)
AccountAdmin.related_of_apps.append((Reading, _("показания"), "meter__account__id__exact"))


@admin.register(Meter)
class MeterAdmin(BillingOwnedAdmin):
    list_display = ["serial", "account", "service", "zones", "installed_on", "verified_until", "archived_on"]
    list_filter = ["service"]
    list_select_related = ["account__supplier"]
    search_fields = ["serial", "account__number"]  # the box; get_search_results searches
    search_help_text = _("Заводской номер прибора или номер лицевого счёта, целиком.")
    ordering = ["serial"]
    sortable_by = ["serial"]
    fields = ["tenant", "account", "serial", "service", "zones", "digits", "decimals", "installed_on",
              "verified_until", "archived_on", "readings"]
    readonly_fields = ["readings"]

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return (*columns, "enter_reading") if can_enter_readings(request) else columns

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(serial=term) | Q(account__in=account_ids(term))), False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [*fields, "enter_reading"] if obj is not None and can_enter_readings(request) else fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "enter_reading"]

    @admin.display(description=_("показания"))
    def readings(self, meter):
        return changelist_link(Reading, _("показания прибора"), meter__id__exact=meter.pk)

    @admin.display(description=_("показание по телефону"))
    def enter_reading(self, meter):
        return format_html('<a href="{}">{}</a>', reverse("admin:meters_meter_reading", args=[meter.pk]),
                           _("Внести показание"))

    # --- «Внести показание» ------------------------------------------------------------

    def get_urls(self):
        return [
            path("<path:object_id>/reading/", self.admin_site.admin_view(self.reading_view),
                 name="meters_meter_reading"),
            *super().get_urls(),
        ]

    def reading_view(self, request, object_id):
        """A reading received by phone: a field per zone and the date it was taken, checked
        by ``services.readings_submit`` like the consumer's own; its refusals and questions
        («Всё правильно?») come back on this page. Another tenant's meter is a 404, the
        same as a missing one."""
        if not (self.has_view_permission(request) and can_enter_readings(request)):
            raise PermissionDenied
        meter = self.get_object(request, object_id)  # within the request's tenant scope
        if meter is None:
            raise Http404(gettext("Такого прибора учёта нет."))
        account = meter.account
        today = account.tenant.today()
        submission = None
        if request.method == "POST":
            form = StaffReadingForm(request.POST, meter=meter, today=today)
            if form.is_valid():
                confirmed = {kind for kind in ("lower", "jump") if form.cleaned_data[f"confirm_{kind}"]}
                submission = services.readings_submit(
                    account=account, meter=meter, values=form.zone_values(), user=request.user,
                    access=Reading.Access.STAFF, taken_on=form.cleaned_data["taken_on"], confirmed=confirmed,
                )
                if submission.saved:
                    for reading in submission.readings:
                        self.log_addition(request, reading, [{"added": {}}])
                    messages.success(request, gettext("Показание прибора № %(serial)s внесено: %(values)s.") % {
                        "serial": meter.serial,
                        "values": "; ".join(floatformat(reading.value, meter.decimals)
                                            for reading in submission.readings)})
                    url = reverse("admin:meters_reading_changelist")
                    return redirect(f"{url}?{urlencode({'meter__id__exact': meter.pk})}")
                form.show(submission)
        else:
            form = StaffReadingForm(meter=meter, today=today)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Внести показание: прибор № %(serial)s") % {"serial": meter.serial},
            "opts": self.model._meta, "original": meter, "meter": meter, "account": account, "form": form,
            "submission": submission,
            "confirm_fields": [form[f"confirm_{kind}"] for kind in submission.confirm_kinds] if submission else [],
            "last_readings": last_readings(meter), "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/meters/meter/reading.html", context)


def can_enter_readings(request):
    return request.user.has_perm("meters.add_reading")


def last_readings(meter):
    """The last reading of each zone that was not rejected (a query per zone, at most 3)."""
    readings = []
    for zone in range(1, meter.zones + 1):
        reading = (Reading.objects.filter(meter=meter, zone=zone).exclude(status__in=Reading.NOT_COUNTED)
                   .order_by("-taken_on", "-pk").first())
        if reading is not None:
            readings.append(reading)
    return readings


class StaffReadingForm(forms.Form):
    """What staff type from a phone call: the value of each zone (as typed: the service
    parses and checks it) and the day it was read off the meter."""

    taken_on = forms.DateField(
        label=_("Дата показания"), required=False, help_text=_("Пусто: сегодня. Не позже сегодняшнего дня."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    confirm_lower = forms.BooleanField(label=_("Да, всё правильно"), required=False, label_suffix="")
    confirm_jump = forms.BooleanField(label=_("Да, всё правильно"), required=False, label_suffix="")

    def __init__(self, *args, meter, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.meter = meter
        self.fields["taken_on"].widget.attrs["max"] = today.isoformat()
        for zone in range(1, meter.zones + 1):
            label = gettext("Зона %(zone)d") % {"zone": zone} if meter.zones > 1 else gettext("Показание")
            self.fields[f"zone_{zone}"] = forms.CharField(
                label=label, required=False, strip=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
        self.order_fields([f"zone_{zone}" for zone in range(1, meter.zones + 1)])

    def zone_fields(self):
        return [self[f"zone_{zone}"] for zone in range(1, self.meter.zones + 1)]

    def zone_values(self):
        return {zone: self.cleaned_data[f"zone_{zone}"] for zone in range(1, self.meter.zones + 1)}

    def show(self, submission):
        """The service's refusals and questions as the form's errors: a zone's under its
        field, the meter's above the form."""
        for problem in submission.problems:
            self.add_error(f"zone_{problem.zone}" if problem.zone else None, problem.message)


@admin.register(Reading)
class ReadingAdmin(BillingOwnedAdmin):
    """Readings, billing's and the portal's. A portal reading «held» for another person's of
    the same meter and period (meters.services: one goes to billing) is a conflict: staff see
    both with their authors and may send the held one instead («Передать в расчёт»)."""

    list_display = ["taken_on", "meter_serial", "account_number", "zone", "value", "source", "status", "access",
                    "submitted_at"]
    list_filter = ["source", "status", "access"]
    list_select_related = ["meter__account"]
    search_fields = ["meter__serial", "meter__account__number"]  # the box; get_search_results searches
    search_help_text = _("Заводской номер прибора или номер лицевого счёта, целиком.")
    ordering = ["-pk"]
    fields = ["tenant", "meter", "zone", "value", "taken_on", "source", "submitted_at", "submitted_by", "access",
              "status", "held_for", "status_reason", "export"]
    actions = ["choose"]

    def has_choose_permission(self, request):
        # Billing's readings are browse-only; choosing between two portal readings is staff's.
        return request.user.has_perm("meters.change_reading")

    @admin.action(description=_("Передать в расчёт выбранные задержанные показания"), permissions=["choose"])
    def choose(self, request, queryset):
        chosen = sum(services.reading_choose(reading=reading) for reading in queryset.filter(status=Reading.Status.HELD))
        messages.success(request, _("Передано в расчёт вместо другого показания: %(count)d.") % {"count": chosen})

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        meters = Meter.objects.filter(Q(serial=term) | Q(account__in=account_ids(term)))
        return queryset.filter(meter__in=list(meters.values_list("pk", flat=True)[:SEARCH_METERS_LIMIT])), False

    def lookup_allowed(self, lookup, value, request=None):
        # The account page links to its readings.
        return lookup == "meter__account__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("прибор учёта"))
    def meter_serial(self, reading):
        return reading.meter.serial

    @admin.display(description=_("лицевой счёт"))
    def account_number(self, reading):
        return reading.meter.account.number


class ReadingWindowForm(forms.ModelForm):
    """The admin's form (ModelAdmin adds the Meta; the model's querysets need a tenant
    scope, which there is none of at import): a supplier of the window's own tenant."""

    def clean(self):
        cleaned = super().clean()
        tenant, supplier = cleaned.get("tenant"), cleaned.get("supplier")
        if tenant and supplier and supplier.tenant_id != tenant.pk:
            self.add_error("supplier", gettext("Это поставщик другой организации."))
        return cleaned


@admin.register(ReadingWindow)
class ReadingWindowAdmin(TenantOwnedAdmin):
    """When each supplier takes readings in (ПП 354: by the 25th): staff keep their tenant's
    windows; without one, the 15th to the 25th, not strict."""

    form = ReadingWindowForm
    list_display = ["supplier_display", "subscriber_type_display", "first_day", "last_day", "strict"]
    list_filter = ["strict"]
    list_select_related = ["supplier"]
    ordering = ["supplier__name", "subscriber_type"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "supplier" and not on_platform_host(request):
            kwargs["queryset"] = Supplier.objects.filter(tenant=request.tenant).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("поставщик"), ordering="supplier__name")
    def supplier_display(self, window):
        return window.supplier or _("все поставщики")

    @admin.display(description=_("тип абонента"), ordering="subscriber_type")
    def subscriber_type_display(self, window):
        return window.get_subscriber_type_display() or _("все типы")
