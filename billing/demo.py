"""The demo's billing data: each tenant's suppliers with their account-number formats, and
guide 000's registry of legal entities for rgmek. seed_demo (portal/demo.py) calls ``seed``."""

# Guide 002's regional suppliers (code, name); guide 004 (Мой ГАЗ) serves the same regions.
GAS_REGIONS = [
    ("pskov", "Межрегионгаз Псков"),
    ("pyatigorsk-dagestan", "Межрегионгаз Пятигорск (Республика Дагестан)"),
    ("pyatigorsk-ingushetia", "Межрегионгаз Пятигорск (Республика Ингушетия)"),
    ("pyatigorsk-kbr", "Межрегионгаз Пятигорск (Кабардино-Балкарская Республика)"),
    ("pyatigorsk-kchr", "Межрегионгаз Пятигорск (Карачаево-Черкесская Республика)"),
    ("pyatigorsk-alania", "Межрегионгаз Пятигорск (Республика Северная Осетия — Алания)"),
    ("rostov", "Межрегионгаз Ростов-на-Дону"),
    ("ryazan", "Межрегионгаз Рязань"),
    ("samara", "Межрегионгаз Самара"),
]

GAZ_ACCOUNT_FORMAT = {
    "account_number_separators": " -,",
    "account_number_strip_leading_zeros": False,
    "account_number_pattern": r"\d{10}",
    "account_number_hint": "Укажите двузначный код абонентского пункта/сектора и номер лицевого счёта, "
    "указанные на квитанции, без пробелов и запятых. Пример: 5812345678, где 58 — код "
    "абонентского пункта/сектора, 12345678 — номер лицевого счёта.",
}
MYGAZ_ACCOUNT_FORMAT = {
    "account_number_separators": " -",
    "account_number_strip_leading_zeros": True,
    "account_number_pattern": r"[1-9]\d{7}",
    "account_number_hint": "Номер лицевого счёта — 8 цифр. Пример: номер на квитанции 023-185952, "
    "номер в личном кабинете 23185952.",
}


# Guide 000's registry: legal entities and their contracts, against which rgmek registers.
# The first has two contracts: registering with either shows both after login.
RGMEK_COUNTERPARTIES = [
    {"inn": "6229001125", "kpp": "622901001", "name": "Общество с ограниченной ответственностью «Рязанский хлебозавод»",
     "short_name": "ООО «Рязанский хлебозавод»",
     "contracts": [{"number": "1001", "phones": "+79001110001", "emails": "buh@hleb.example"},
                   {"number": "1002", "phones": "+79001110001", "emails": "energo@hleb.example"}]},
    {"inn": "6234005679", "kpp": "623401001", "name": "Общество с ограниченной ответственностью «Окский склад»",
     "short_name": "ООО «Окский склад»",
     "contracts": [{"number": "2001", "phones": "+79001110002", "emails": "office@sklad.example"}]},
    {"inn": "6227012347", "kpp": "622701001", "name": "Акционерное общество «Мещёра-Сервис»",
     "short_name": "АО «Мещёра-Сервис»",
     "contracts": [{"number": "3001", "phones": "+79001110003", "emails": "energy@meshera.example"}]},
]


SIMPLE_SUPPLIERS = {
    "rgmek": [{"code": "rgmek", "name": "ООО «РГМЭК»", "account_number_separators": " -",
               "account_number_pattern": r"\d{1,12}", "account_number_hint": "Номер договора энергоснабжения — цифры."}],
    "rosseti": [{"code": "rossetimr", "name": "ПАО «Россети Московский регион»", "account_number_separators": " ",
                 "account_number_pattern": r"\d{6,12}", "account_number_hint": "Номер договора — от 6 до 12 цифр."}],
    "mef": [{"code": "mef", "name": "ООО «Металлэнергофинанс»", "account_number_separators": " -",
             "account_number_pattern": r"\d{8,12}", "account_number_hint": "Номер лицевого счёта — от 8 до 12 цифр."}],
}
SUPPLIERS = {
    **SIMPLE_SUPPLIERS,
    "gaz": [{"code": code, "name": name, **GAZ_ACCOUNT_FORMAT} for code, name in GAS_REGIONS],
    "mygaz": [{"code": code, "name": name, **MYGAZ_ACCOUNT_FORMAT} for code, name in GAS_REGIONS],
}
REGISTRY_TENANT = "rgmek"


def seed(tenants):
    from portal.scoping import tenant_scope

    from .models import Contract, Counterparty, Supplier

    for tenant in tenants:
        with tenant_scope(tenant):
            for fields in SUPPLIERS.get(tenant.slug, []):
                supplier, _created = Supplier.objects.update_or_create(tenant=tenant, code=fields["code"], defaults=fields)
                supplier.full_clean()
            if tenant.slug != REGISTRY_TENANT:
                continue
            supplier = Supplier.objects.get(code=REGISTRY_TENANT)
            for definition in RGMEK_COUNTERPARTIES:
                fields = {k: v for k, v in definition.items() if k not in ("inn", "contracts")}
                counterparty, _created = Counterparty.objects.update_or_create(
                    tenant=tenant, inn=definition["inn"], defaults=fields)
                for contract in definition["contracts"]:
                    Contract.objects.update_or_create(
                        tenant=tenant, supplier=supplier, number=contract["number"],
                        defaults={"counterparty": counterparty, "phones": contract["phones"],
                                  "emails": contract["emails"]},
                    )
    return []
