from django.contrib import admin

from portal.admin import TenantOwnedAdmin

from .models import Contract, Counterparty, Supplier


@admin.register(Supplier)
class SupplierAdmin(TenantOwnedAdmin):
    list_display = ["name", "code", "account_number_pattern", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ["supplier", "number", "phones", "emails", "status", "signed_on"]


@admin.register(Counterparty)
class CounterpartyAdmin(TenantOwnedAdmin):
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
