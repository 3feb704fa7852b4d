"""The demo's billing data: each tenant's suppliers with their account-number formats and
payee details, guide 000's registry of legal entities for rgmek, and every tenant's
accounts, meters, 24 months of readings, charges and payments (billing/demo_data.py
generates them as exchange files; they are loaded through portal.exchange like billing's
own). seed_demo (portal/demo.py) calls ``seed``; ``seed_demo --accounts N`` calls
``seed_accounts``."""

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
     "contracts": [{"number": "1001", "phones": "+79001110001", "emails": "buh@hleb.example", "signed_on": "2019-03-01"},
                   {"number": "1002", "phones": "+79001110001", "emails": "energo@hleb.example",
                    "signed_on": "2021-09-15"}]},
    {"inn": "6234005679", "kpp": "623401001", "name": "Общество с ограниченной ответственностью «Окский склад»",
     "short_name": "ООО «Окский склад»",
     "contracts": [{"number": "2001", "phones": "+79001110002", "emails": "office@sklad.example",
                   "signed_on": "2020-06-01"}]},
    {"inn": "6227012347", "kpp": "622701001", "name": "Акционерное общество «Мещёра-Сервис»",
     "short_name": "АО «Мещёра-Сервис»",
     "contracts": [{"number": "3001", "phones": "+79001110003", "emails": "energy@meshera.example",
                   "signed_on": "2018-01-10"}]},
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

# Banks the payees keep their accounts at: BIC, correspondent account, name (the Bank of
# Russia's directory spells them like this).
BANKS = {
    "sber-moscow": ("044525225", "30101810400000000225", "ПАО СБЕРБАНК"),
    "sber-ryazan": ("046126614", "30101810500000000614", "РЯЗАНСКОЕ ОТДЕЛЕНИЕ N8606 ПАО СБЕРБАНК"),
    "sber-rostov": ("046015602", "30101810600000000602", "ЮГО-ЗАПАДНЫЙ БАНК ПАО СБЕРБАНК"),
    "sber-samara": ("043601607", "30101810200000000607", "ПОВОЛЖСКИЙ БАНК ПАО СБЕРБАНК"),
    "sber-pskov": ("045805602", "30101810300000000602", "ПСКОВСКОЕ ОТДЕЛЕНИЕ N8630 ПАО СБЕРБАНК"),
    "sber-stavropol": ("040702615", "30101810907020000615", "СТАВРОПОЛЬСКОЕ ОТДЕЛЕНИЕ N5230 ПАО СБЕРБАНК"),
    "sber-kaluga": ("042908612", "30101810100000000612", "КАЛУЖСКОЕ ОТДЕЛЕНИЕ N8608 ПАО СБЕРБАНК"),
    "vtb": ("044525187", "30101810700000000187", "БАНК ВТБ (ПАО)"),
    "gpb": ("044525823", "30101810200000000823", "БАНК ГПБ (АО)"),
}
# Each supplier's payee: name, region code of its INN and KPP, bank. The INN is made valid
# (its check digit) from the supplier's code, the settlement account's key from the BIC.
PAYEES = {
    "rgmek": ("ООО «РГМЭК»", "62", "sber-ryazan"),
    "rossetimr": ("ПАО «Россети Московский регион»", "50", "vtb"),
    "mef": ("ООО «Металлэнергофинанс»", "40", "sber-kaluga"),
    "pskov": ("ООО «Газпром межрегионгаз Псков»", "60", "sber-pskov"),
    "pyatigorsk-dagestan": ("ООО «Газпром межрегионгаз Пятигорск»", "26", "sber-stavropol"),
    "pyatigorsk-ingushetia": ("ООО «Газпром межрегионгаз Пятигорск»", "26", "sber-stavropol"),
    "pyatigorsk-kbr": ("ООО «Газпром межрегионгаз Пятигорск»", "26", "gpb"),
    "pyatigorsk-kchr": ("ООО «Газпром межрегионгаз Пятигорск»", "26", "gpb"),
    "pyatigorsk-alania": ("ООО «Газпром межрегионгаз Пятигорск»", "26", "sber-stavropol"),
    "rostov": ("ООО «Газпром межрегионгаз Ростов-на-Дону»", "61", "sber-rostov"),
    "ryazan": ("ООО «Газпром межрегионгаз Рязань»", "62", "sber-ryazan"),
    "samara": ("ООО «Газпром межрегионгаз Самара»", "63", "sber-samara"),
}


def inn_with_check_digit(nine_digits):
    """A legal entity's 10-digit INN: nine digits and their check digit."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return nine_digits + str(sum(int(d) * w for d, w in zip(nine_digits, weights)) % 11 % 10)


def payee_details(code):
    """The payee fields of supplier ``code``: deterministic, and valid by Supplier.clean()."""
    import zlib

    from .bank_details import with_key

    name, region, bank = PAYEES[code]
    bic, correspondent, bank_name = BANKS[bank]
    # One payee (a Pyatigorsk branch for five republics) has one INN; its account differs.
    digits = f"{zlib.crc32(name.encode()):010d}"
    account_digits = f"{zlib.crc32(code.encode()):011d}"[-11:]
    return {
        "payee_name": name,
        "inn": inn_with_check_digit(region + digits[-7:]),
        "kpp": f"{region}{digits[:2]}01001",
        "settlement_account": with_key(f"40702810{0}{account_digits}", bic[-3:]),
        "bic": bic,
        "correspondent_account": correspondent,
        "bank_name": bank_name,
    }


REGISTRY_TENANT = "rgmek"


def registry_files():
    """Guide 000's registry as the rows of counterparties.csv and contracts.csv."""
    from .demo_data import Registry

    registry = Registry()
    for definition in RGMEK_COUNTERPARTIES:
        registry.counterparties.append([definition["inn"], definition["kpp"], definition["name"], definition["short_name"]])
        for contract in definition["contracts"]:
            registry.contracts.append([REGISTRY_TENANT, contract["number"], definition["inn"], contract["phones"],
                                       contract["emails"], "active", contract["signed_on"]])
    return registry


def registry_contracts():
    """(number, inn, short name, phones, e-mails) of each registry contract."""
    return [(contract["number"], definition["inn"], definition["short_name"], contract["phones"], contract["emails"])
            for definition in RGMEK_COUNTERPARTIES for contract in definition["contracts"]]


def accounts_of(tenant):
    from .demo_data import demo_accounts

    return demo_accounts(tenant.slug, registry_contracts() if tenant.slug == REGISTRY_TENANT else ())


def import_demo_data(tenant, *, today=None):
    """Generate the tenant's demo billing files and import them (portal.exchange); the report."""
    from .demo_data import import_accounts

    registry = registry_files() if tenant.slug == REGISTRY_TENANT else None
    return import_accounts(tenant, accounts_of(tenant), registry=registry, today=today)


def consumer_accounts(tenant):
    """The demo consumer's two accounts (accounts/demo.py links them), or none."""
    from .models import Account

    numbers = [(spec.supplier, spec.number) for spec in accounts_of(tenant)[:2]]
    return [Account.objects.get(supplier__code=supplier, number=number) for supplier, number in numbers]


def seed(tenants):
    """Suppliers with their formats and payee details, then each tenant's billing data,
    generated and loaded through the import (rgmek's registry of contracts included)."""
    from portal.scoping import tenant_scope

    from .models import Supplier

    for tenant in tenants:
        with tenant_scope(tenant):
            for fields in SUPPLIERS.get(tenant.slug, []):
                fields = {**fields, **payee_details(fields["code"])}
                supplier, _created = Supplier.objects.update_or_create(tenant=tenant, code=fields["code"], defaults=fields)
                supplier.full_clean()
            import_demo_data(tenant)
    return []


def seed_accounts(tenant, count, *, today=None):
    """``count`` generated accounts for load tests (numbers from 9…), through the import,
    files streamed from a temporary directory. Idempotent for the same count. Returns a
    line for seed_demo to print."""
    from portal.scoping import tenant_scope

    from .demo_data import import_accounts, load_account
    from .models import Supplier

    with tenant_scope(tenant):
        suppliers = list(Supplier.objects.order_by("code").values_list("code", flat=True))
        if not suppliers:
            raise ValueError(f"tenant {tenant.slug} has no suppliers")
        accounts = (load_account(tenant.slug, suppliers, index) for index in range(1, count + 1))
        report = import_accounts(tenant, accounts, today=today)
    figures = ", ".join(f"{item.kind} {item.read} read/{item.created} created/{item.updated} updated"
                        for item in report.files)
    return f"Load-test accounts at {tenant.slug}: {count} ({figures})."
