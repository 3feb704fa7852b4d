"""The tenant's billing data in the admin: suppliers, counterparties and contracts (the
tenant's to edit), and what the billing system owns — accounts, charges, invoices and the
payments it posted — which staff only browse (the next import would overwrite an edit anyway); links,
PIN requests and wrong-answer counts of the control question. The lists are built for a
tenant with millions of rows (`portal.admin.LargeTableAdmin`): no full count, related rows
joined, search by what an index finds (`search_accounts`).
"""

from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal.admin import LargeTableAdmin, TenantOwnedAdmin
from portal.roles import Role, acts_as

from billing import links, selectors
from billing.models import (
    Account, AccountLink, BillingPayment, Charge, Contract, Counterparty, Invoice, PinRequest, Supplier, WrongAnswers,
)

# Account ids a search term names, at most this many (a search, not an export).
SEARCH_ACCOUNTS_LIMIT = 1000


@admin.register(Supplier)
class SupplierAdmin(TenantOwnedAdmin):
    """A supplier's payee details (``Supplier.PAYEE_DETAILS``) are what every receipt and its
    payment QR code pay to: only a tenant superuser (or a platform superuser) changes them,
    and every change is on the trail, before and after, shown in the supplier's history."""

    accusative = _("поставщика")

    list_display = ["name", "code", "account_number_pattern", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    payee_description = _("Заполните все реквизиты или ни одного: без них квитанция не формируется. "
                          "Расчётный счёт проверяется по контрольному ключу вместе с БИК.")
    payee_read_only_description = _("Реквизиты меняет только суперпользователь организации: по ним платят по "
                                    "каждой квитанции и её QR-коду.")
    fieldsets = [
        (None, {"fields": ["tenant", "code", "name", "is_active"]}),
        (_("Номер лицевого счёта"), {"fields": [
            "account_number_separators", "account_number_strip_leading_zeros", "account_number_pattern",
            "account_number_hint",
        ]}),
        (_("Реквизиты для квитанции и QR-кода"), {
            "fields": list(Supplier.PAYEE_DETAILS), "description": payee_description,
        }),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "account_number_separators":
            kwargs["strip"] = False  # the space is a separator: stripped, every save dropped it
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def changes_payee(self, request):
        return acts_as(request.user, Role.TENANT_SUPERUSER)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if self.changes_payee(request) else [*readonly, *Supplier.PAYEE_DETAILS]

    def get_fieldsets(self, request, obj=None):
        if self.changes_payee(request):
            return self.fieldsets
        *others, (title, options) = self.fieldsets
        return [*others, (title, {**options, "description": self.payee_read_only_description})]


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ["supplier", "number", "phones", "emails", "status", "signed_on"]


@admin.register(Counterparty)
class CounterpartyAdmin(TenantOwnedAdmin):
    accusative = _("контрагента")
    list_display = ["name", "inn", "kpp", "account"]
    search_fields = ["name", "short_name", "inn"]
    readonly_fields = ["account"]
    inlines = [ContractInline]

    def save_formset(self, request, form, formset, change):
        # Contracts belong to their counterparty's tenant.
        for contract in formset.save(commit=False):
            contract.tenant = form.instance.tenant
            contract.save()
        for deleted in formset.deleted_objects:
            deleted.delete()


@admin.register(Contract)
class ContractAdmin(TenantOwnedAdmin):
    list_display = ["number", "counterparty", "supplier", "status", "signed_on"]
    list_filter = ["status"]
    search_fields = ["number", "counterparty__inn", "counterparty__name"]


# --- Searching billing data -----------------------------------------------------------------


def account_numbers(term):
    """What a typed account number may be in billing: as typed, and as each supplier's
    format normalises it («023-185952» → «23185952»). Suppliers are few per tenant."""
    numbers = {term}
    formats = Supplier.objects.values_list("account_number_separators", "account_number_strip_leading_zeros")
    for separators, strip_zeros in formats.distinct():
        numbers.add(Supplier(account_number_separators=separators,
                             account_number_strip_leading_zeros=strip_zeros).normalize_account_number(term))
    numbers.discard("")
    return sorted(numbers)


def account_ids(term):
    """Ids of the accounts whose number is ``term`` (one query on the (tenant, number) index)."""
    return list(Account.objects.filter(number__in=account_numbers(term))
                .values_list("pk", flat=True)[:SEARCH_ACCOUNTS_LIMIT])


def search_accounts(queryset, term):
    """Accounts by their whole number, by the start of the holder's name, or by any part of
    the address: every word typed is somewhere in it, case-insensitive («лесная 5» finds «г.
    Химки, ул. Лесная, д. 5»). Each branch has its index on PostgreSQL (the number and the
    name, migration billing 0003; the address's trigrams, 0009), so PostgreSQL ORs index
    scans instead of reading the tenant's rows."""
    address = Q()
    for word in term.split():
        address &= Q(address__icontains=word.strip(",."))
    return queryset.filter(Q(number__in=account_numbers(term)) | Q(holder_name__istartswith=term) | address)


class AccountSearchMixin:
    """Search rows of accounts by the account's number: the ids first (one indexed query),
    then the rows by their foreign key (an index too). A join with an OR across tables
    would read every row of the tenant."""

    account_path = "account"
    search_fields = ["account__number"]  # shows the box; the search itself is below
    search_help_text = _("Номер лицевого счёта целиком.")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(**{f"{self.account_path}__in": account_ids(term)}), False


class BillingOwnedAdmin(LargeTableAdmin, TenantOwnedAdmin):
    """Rows the billing system owns: browse only, for everyone (the platform's superusers
    too); the import is the one way they change."""

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def changelist_link(model, text, **filters):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), text)


# --- Billing data ----------------------------------------------------------------------------


def _money(amount):
    return f"{number_format(amount, 2, force_grouping=True)} ₽"


def _signed_money(amount):
    """A closing balance as staff read it: a debt, an overpayment, or nothing owed."""
    if amount > 0:
        return _("долг %(amount)s") % {"amount": _money(amount)}
    if amount < 0:
        return _("переплата %(amount)s") % {"amount": _money(-amount)}
    return _("0 ₽")


class AccountLinkInline(admin.TabularInline):
    model = AccountLink
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["user", "user_contacts", "access", "proof", "proven_at", "linked_at"]
    readonly_fields = fields
    verbose_name_plural = _("кто подключил счёт в личном кабинете и с каким доступом")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "account__supplier")  # the rows' titles

    @admin.display(description=_("контакты"))
    def user_contacts(self, link):
        user = link.user
        return ", ".join(part for part in (user.get_full_name(), user.email, user.phone) if part) or "—"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(BillingOwnedAdmin):
    list_display = ["number", "supplier", "subscriber_type", "holder_name", "address", "closed_on"]
    list_filter = ["supplier", "subscriber_type"]
    list_select_related = ["supplier"]
    search_fields = ["number", "holder_name", "address"]  # the box; search_accounts searches
    search_help_text = _("Номер лицевого счёта целиком, начало ФИО или наименования владельца, любые слова адреса "
                         "(«лесная 5»).")
    ordering = ["number"]
    sortable_by = ["number"]
    fieldsets = [
        (None, {"fields": ["tenant", "supplier", "number", "subscriber_type", "closed_on"]}),
        (_("Владелец"), {"fields": ["holder_name", "address", "contract_number", "phones", "emails", "has_pin",
                                   "questions_state"]}),
        (_("Расчёты"), {"fields": ["balance", "last_payment"]}),
        (_("Данные биллинга"), {"fields": ["related"]}),
    ]
    readonly_fields = ["has_pin", "questions_state", "balance", "last_payment", "related"]
    inlines = [AccountLinkInline]
    # What the apps built on billing show of an account (its meters, and a link to their
    # readings), added by those apps: billing imports none of them. Their inlines come
    # before billing's; their links (model, text, lookup of the account's id) before «подключения».
    inlines_of_apps = []
    related_of_apps = []

    def get_inlines(self, request, obj):
        return [*self.inlines_of_apps, *self.inlines]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (search_accounts(queryset, term) if term else queryset), False

    @admin.display(description=_("PIN-код квитанции"))
    def has_pin(self, account):
        return _("задан") if account.pin_hash else _("не задан")

    @admin.display(description=_("Контрольный вопрос"))
    def questions_state(self, account):
        row = WrongAnswers.objects.filter(account=account).first()
        if row is None or row.day != account.tenant.today() or not row.count:
            return _("неверных ответов сегодня нет")
        text = _("неверных ответов сегодня: %(count)d") % {"count": row.count}
        if links.ceiling_reached(row, today=row.day):
            text = _("закрыт до завтра: %(text)s") % {"text": text}
        return format_html('{} (<a href="{}">{}</a>)', text,
                           reverse("admin:billing_wronganswers_change", args=[row.pk]), _("снять блокировку"))

    @admin.display(description=_("Сальдо"))
    def balance(self, account):
        """The last period's closing balance by service, as the consumer's overview reads it."""
        overview = selectors.account_overview(account, full=False)
        if not overview.charges:
            return _("начислений нет")
        period = date_format(overview.period, "F Y").lower()  # «за ноябрь 2026»
        lines = [format_html("{}: {}", charge.get_service_display(), _signed_money(charge.closing_balance))
                 for charge in overview.charges]
        total = overview.to_pay
        lines.append(format_html("<strong>{}</strong>", _("итого к оплате: %(amount)s") % {"amount": _money(total)}
                                 if total > 0 else _("переплата: %(amount)s") % {"amount": _money(-total)}
                                 if total < 0 else _("долга нет")))
        due = (_("оплатить до %(date)s") % {"date": date_format(overview.due_on, "d.m.Y")}) if overview.due_on else ""
        return format_html("{} ({}{})<br>{}", _("за %(period)s") % {"period": period}, _("по данным биллинга"),
                           f", {due}" if due else "", format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)))

    @admin.display(description=_("Последний платёж"))
    def last_payment(self, account):
        payment = BillingPayment.objects.filter(account=account).order_by("-paid_at").first()
        if payment is None:
            return _("платежей нет")
        paid_at = timezone.localtime(payment.paid_at, account.tenant.zone)
        return _("%(amount)s, %(when)s%(channel)s") % {
            "amount": _money(payment.amount), "when": date_format(paid_at, "d.m.Y H:i"),
            "channel": f" ({payment.channel})" if payment.channel else ""}

    @admin.display(description=_("Связанные данные"))
    def related(self, account):
        links = [
            changelist_link(Charge, _("начисления"), account__id__exact=account.pk),
            changelist_link(Invoice, _("счета"), account__id__exact=account.pk),
            changelist_link(BillingPayment, _("платежи"), account__id__exact=account.pk),
            *(changelist_link(model, text, **{lookup: account.pk}) for model, text, lookup in self.related_of_apps),
            changelist_link(AccountLink, _("подключения"), account__id__exact=account.pk),
        ]
        return format_html_join(" · ", "{}", ((link,) for link in links))


@admin.register(Charge)
class ChargeAdmin(AccountSearchMixin, BillingOwnedAdmin):
    list_display = ["account_number", "period_display", "service", "opening_balance", "charged", "recalculated",
                    "paid", "closing_balance", "due_on"]
    list_filter = ["service"]
    list_select_related = ["account"]
    ordering = ["-pk"]

    @admin.display(description=_("лицевой счёт"))
    def account_number(self, row):
        return row.account.number

    @admin.display(description=_("период"))
    def period_display(self, row):
        return f"{row.period:%m.%Y}"


@admin.register(Invoice)
class InvoiceAdmin(AccountSearchMixin, BillingOwnedAdmin):
    list_display = ["account_number", "period_display", "number", "total", "due_on"]
    list_select_related = ["account"]
    ordering = ["-pk"]

    account_number = ChargeAdmin.account_number
    period_display = ChargeAdmin.period_display


@admin.register(BillingPayment)
class BillingPaymentAdmin(AccountSearchMixin, BillingOwnedAdmin):
    list_display = ["account_number", "paid_at", "amount", "channel", "external_id"]
    list_select_related = ["account"]
    ordering = ["-pk"]

    account_number = ChargeAdmin.account_number


@admin.register(AccountLink)
class AccountLinkAdmin(AccountSearchMixin, LargeTableAdmin, TenantOwnedAdmin):
    """A consumer's link to an account is the portal's, not billing's: staff may confirm that
    the account is the user's (full access, recorded with who confirmed it), take the
    confirmation back, or remove the link; never create one. The level itself is not a field:
    full access always carries its proof (billing.links)."""

    list_display = ["user", "account", "access", "proof", "linked_at"]
    list_filter = ["access", "proof"]
    list_select_related = ["user", "account__supplier"]
    search_fields = ["account__number", "user__email"]
    search_help_text = _("Номер лицевого счёта целиком или e-mail пользователя.")
    ordering = ["-pk"]
    fields = ["tenant", "user", "account", "access", "proof", "proven_at", "proven_by", "linked_at"]
    readonly_fields = ["user", "account", "access", "proof", "proven_at", "proven_by", "linked_at"]
    actions = ["confirm_access", "withdraw_access"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(account__in=account_ids(term)) | Q(user__email=term.lower())), False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Подтвердить: счёт принадлежит пользователю (полный доступ)"),
                  permissions=["change"])
    def confirm_access(self, request, queryset):
        done = 0
        for link in queryset.filter(access=AccountLink.Access.BASIC).select_related("user", "account"):
            links.link_confirm_by_staff(link=link, staff=request.user)
            done += 1
        messages.success(request, _("Подтверждено подключений: %(count)d.") % {"count": done})

    @admin.action(description=_("Снять подтверждение (базовый доступ)"), permissions=["change"])
    def withdraw_access(self, request, queryset):
        done = 0
        for link in queryset.filter(access=AccountLink.Access.FULL):
            links.link_withdraw_proof(link=link)
            done += 1
        messages.success(request, _("Подтверждение снято с подключений: %(count)d.") % {"count": done})


@admin.register(PinRequest)
class PinRequestAdmin(AccountSearchMixin, LargeTableAdmin, TenantOwnedAdmin):
    """Guide 004's «Подать запрос на получение PIN-кода» (and, where the policy asks no PIN, a
    request to confirm access): staff send the PIN by post or hand it over in the office and
    mark the request handled, or confirm the user's access themselves."""

    list_display = ["created_at", "account", "user", "handled_at"]
    list_filter = [("handled_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "account__supplier"]
    search_fields = ["account__number"]
    search_help_text = _("Номер лицевого счёта целиком.")
    ordering = ["-pk"]
    fields = ["tenant", "account", "user", "created_at", "handled_at"]
    readonly_fields = ["account", "user", "created_at"]
    actions = ["mark_handled", "confirm_access"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Отметить как обработанные"), permissions=["change"])
    def mark_handled(self, request, queryset):
        from django.utils import timezone

        done = 0
        for pin_request in queryset.filter(handled_at__isnull=True):  # saved one by one: the trail sees each
            pin_request.handled_at = timezone.now()
            pin_request.save(update_fields=["handled_at"])
            done += 1
        messages.success(request, _("Обработано запросов: %(count)d.") % {"count": done})

    @admin.action(description=_("Подтвердить доступ пользователя к счёту"), permissions=["change"])
    def confirm_access(self, request, queryset):
        done = 0
        for pin_request in queryset.filter(handled_at__isnull=True):
            link = AccountLink.objects.filter(user_id=pin_request.user_id, account_id=pin_request.account_id).first()
            if link is not None:
                links.link_confirm_by_staff(link=link, staff=request.user)
                done += 1
        messages.success(request, _("Подтверждено подключений: %(count)d.") % {"count": done})


@admin.register(WrongAnswers)
class WrongAnswersAdmin(AccountSearchMixin, LargeTableAdmin, TenantOwnedAdmin):
    """Wrong answers to the control question per account and day: at the ceiling
    (billing.links.WRONG_ANSWERS_PER_ACCOUNT) the question is closed for the account until the
    next day; staff lift it for a holder who calls (the PIN request works meanwhile)."""

    list_display = ["account", "day", "count", "closed", "lifted_at", "lifted_by"]
    list_select_related = ["account__supplier", "lifted_by", "tenant"]
    search_fields = ["account__number"]
    search_help_text = _("Номер лицевого счёта целиком.")
    ordering = ["-day", "-count"]
    fields = ["tenant", "account", "day", "count", "closed", "lifted_at", "lifted_by"]
    readonly_fields = fields
    actions = ["lift"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("вопрос закрыт"), boolean=True)
    def closed(self, row):
        return links.ceiling_reached(row, today=row.tenant.today())

    @admin.action(description=_("Снять блокировку контрольного вопроса"), permissions=["change"])
    def lift(self, request, queryset):
        for row in queryset:
            links.wrong_answers_lift(row=row, staff=request.user)
        messages.success(request, _("Блокировка снята: %(count)d.") % {"count": len(queryset)})


