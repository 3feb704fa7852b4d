"""Generated billing data that looks real: the exchange files (shared/EXCHANGE.md) a
utility's billing system would send for a tenant's personal accounts, loaded through the
import (portal.exchange) like billing's own files.

One generator serves the demo (a handful of accounts per tenant, described in
DEMO_ACCOUNTS) and load tests (``seed_demo --accounts N``: N generated accounts). Everything
comes from a ``random.Random`` seeded by the tenant, the account and the month, so the same
day gives the same files and importing them again changes nothing. An account is simulated
month by month over the 24 months that end with the current one:

- each meter's true consumption follows the season (gas heats in winter) times the
  household's scale, and its readings come from AMR or a controller; now and then a month
  is *estimated* (a lower, average-based value), and the next actual reading brings a
  recalculation of the difference with its reason;
- tariffs rise every 1 July (the yearly indexation); a business's unregulated electricity
  price moves every month and is sometimes corrected the month after;
- payments land in the month after their invoice, on time or late, in full or in part,
  following the account's habit, so that some accounts end in debt and one overpaid.

Files are written one account at a time (``write_exchange_files``): a million accounts
never sit in memory.
"""

import csv
import hashlib
import random
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from billing import numbers

MONTHS = 24
KOPECK = Decimal("0.01")
MOSCOW = ZoneInfo("Europe/Moscow")

COLUMNS = {
    "counterparties": ["inn", "kpp", "name", "short_name"],
    "contracts": ["supplier", "contract_number", "inn", "phones", "emails", "status", "signed_on"],
    "accounts": ["supplier", "account_number", "subscriber_type", "holder_name", "address", "contract_number", "pin",
                 "phones", "emails"],
    "meters": ["supplier", "account_number", "serial", "service", "zones", "digits", "decimals", "installed_on",
               "verified_until"],
    "readings": ["supplier", "account_number", "serial", "zone", "value", "taken_on", "source"],
    "charges": ["supplier", "account_number", "period", "service", "opening_balance", "volume", "unit", "tariff",
                "charged", "recalculated", "recalculation_reason", "paid", "closing_balance", "invoice_number",
                "due_on"],
    "payments": ["supplier", "account_number", "paid_at", "amount", "channel", "external_id"],
}
FILE_KINDS = tuple(COLUMNS)


# --- What is consumed, and at what price ------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """A meter's kind: the service, its unit, the meter's digits, the typical monthly
    consumption by calendar month (January first) and the tariff of July 2025 – June 2026
    per zone (one zone: one tariff)."""

    service: str
    unit: str
    digits: int
    decimals: int
    monthly: tuple
    tariffs: tuple
    verification_years: int
    serial_prefix: str
    unregulated: bool = False  # a business's electricity: the price moves every month

    @property
    def zones(self):
        return len(self.tariffs)


def _d(*values):
    return tuple(Decimal(str(value)) for value in values)


GAS_HEATING = _d(410, 370, 300, 180, 80, 35, 28, 30, 70, 190, 300, 390)
GAS_COOKING = _d(15, 14, 14, 13, 12, 11, 10, 10, 11, 13, 14, 15)
HOUSE_ELECTRICITY = _d(330, 290, 260, 220, 200, 185, 195, 205, 220, 255, 290, 335)
BUSINESS_ELECTRICITY = _d(29000, 27000, 24500, 21500, 19500, 18000, 18500, 19000, 20500, 23500, 26500, 30000)
COLD_WATER = _d(6.4, 6.1, 6.3, 6.2, 6.8, 7.4, 7.9, 7.6, 6.7, 6.4, 6.2, 6.5)
HOT_WATER = _d(3.9, 3.7, 3.8, 3.6, 3.5, 3.1, 2.9, 3.0, 3.4, 3.7, 3.8, 4.0)

# The gas price of each region (roubles per m³, July 2025 – June 2026).
GAS_TARIFFS = {
    "pskov": "8.64", "pyatigorsk-dagestan": "7.12", "pyatigorsk-ingushetia": "7.05", "pyatigorsk-kbr": "7.31",
    "pyatigorsk-kchr": "7.27", "pyatigorsk-alania": "7.38", "rostov": "8.02", "ryazan": "8.17", "samara": "7.46",
}


def gas_usage(supplier, heating):
    return Usage("gas", "m3", 5, 3, GAS_HEATING if heating else GAS_COOKING, _d(GAS_TARIFFS.get(supplier, "7.9")),
                 10, "0")


ELECTRICITY_ONE_ZONE = Usage("electricity", "kWh", 6, 1, HOUSE_ELECTRICITY, _d(6.21), 16, "0112")
ELECTRICITY_TWO_ZONES = Usage("electricity", "kWh", 6, 1, HOUSE_ELECTRICITY, _d(7.08, 3.84), 16, "0113")
ELECTRICITY_BUSINESS = Usage("electricity", "kWh", 7, 2, BUSINESS_ELECTRICITY, _d(9.73), 16, "0127", unregulated=True)
COLD = Usage("cold_water", "m3", 5, 3, COLD_WATER, _d(51.62), 6, "22")
HOT = Usage("hot_water", "m3", 5, 3, HOT_WATER, _d(236.85), 4, "23")
# Two zones: day (T1) and night (T2) share of the consumption.
ZONE_SHARES = {1: (Decimal(1),), 2: (Decimal("0.68"), Decimal("0.32"))}


def tariff_of(usage, zone, period, seed):
    """The price of ``zone`` in ``period``: indexed by 10.5 % every 1 July (the base is the
    year from July 2025); a business's unregulated price also moves month by month."""
    year_start = period.year if period.month >= 7 else period.year - 1
    tariff = usage.tariffs[zone - 1] * Decimal("1.105") ** (year_start - 2025)
    if usage.unregulated:
        tariff *= Decimal(1) + Decimal(random.Random(f"{seed}:{period}").randint(-60, 60)) / 1000
    return tariff.quantize(KOPECK, ROUND_HALF_UP)


# --- Who the accounts are --------------------------------------------------------------


LAST_NAMES = [("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"), ("Попов", "Попова"),
              ("Васильев", "Васильева"), ("Петров", "Петрова"), ("Соколов", "Соколова"), ("Михайлов", "Михайлова"),
              ("Новиков", "Новикова"), ("Фёдоров", "Фёдорова"), ("Морозов", "Морозова"), ("Волков", "Волкова"),
              ("Алексеев", "Алексеева"), ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"), ("Егоров", "Егорова"),
              ("Павлов", "Павлова"), ("Козлов", "Козлова"), ("Степанов", "Степанова"), ("Никитин", "Никитина")]
MALE_NAMES = ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Михаил", "Николай", "Владимир", "Игорь", "Юрий"]
FEMALE_NAMES = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Марина", "Анна", "Людмила", "Галина"]
PATRONYMICS = [("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"), ("Петрович", "Петровна"),
               ("Иванович", "Ивановна"), ("Николаевич", "Николаевна"), ("Викторович", "Викторовна"),
               ("Владимирович", "Владимировна"), ("Юрьевич", "Юрьевна")]
STREETS = ["ул. Ленина", "ул. Советская", "ул. Садовая", "ул. Гагарина", "ул. Школьная", "ул. Мира", "ул. Победы",
           "ул. Молодёжная", "ул. Центральная", "ул. Лесная", "пр-т Строителей", "ул. Полевая", "ул. Весенняя"]
# Where each supplier's accounts live: region, towns.
PLACES = {
    "pskov": ("Псковская обл.", ["г. Псков", "г. Великие Луки", "г. Остров"]),
    "pyatigorsk-dagestan": ("Республика Дагестан", ["г. Махачкала", "г. Дербент", "г. Каспийск"]),
    "pyatigorsk-ingushetia": ("Республика Ингушетия", ["г. Магас", "г. Назрань", "г. Карабулак"]),
    "pyatigorsk-kbr": ("Кабардино-Балкарская Респ.", ["г. Нальчик", "г. Прохладный", "г. Баксан"]),
    "pyatigorsk-kchr": ("Карачаево-Черкесская Респ.", ["г. Черкесск", "г. Карачаевск", "г. Усть-Джегута"]),
    "pyatigorsk-alania": ("Респ. Северная Осетия — Алания", ["г. Владикавказ", "г. Моздок", "г. Беслан"]),
    "rostov": ("Ростовская обл.", ["г. Ростов-на-Дону", "г. Таганрог", "г. Новочеркасск", "г. Азов"]),
    "ryazan": ("Рязанская обл.", ["г. Рязань", "г. Касимов", "г. Скопин", "г. Рыбное"]),
    "samara": ("Самарская обл.", ["г. Самара", "г. Тольятти", "г. Сызрань"]),
    "mef": ("Калужская обл.", ["г. Калуга", "г. Обнинск", "г. Людиново"]),
    "rgmek": ("Рязанская обл.", ["г. Рязань"]),
    "rossetimr": ("Московская обл.", ["г. Подольск", "г. Химки", "г. Мытищи", "г. Балашиха"]),
}
# Gas accounts of guide 002 start with the supplier's two-digit sector code.
GAS_SECTORS = {"pskov": "07", "pyatigorsk-dagestan": "15", "pyatigorsk-ingushetia": "16", "pyatigorsk-kbr": "17",
               "pyatigorsk-kchr": "19", "pyatigorsk-alania": "25", "rostov": "31", "ryazan": "58", "samara": "63"}
CHANNELS_PEOPLE = ["Сбербанк Онлайн", "Сбербанк Онлайн", "Почта России", "Касса поставщика", "Банковская карта",
                   "Личный кабинет", "Терминал самообслуживания"]
CHANNELS_BUSINESS = ["Платёжное поручение"]

# Payment habits: how an account pays its invoices.
PUNCTUAL, LATE, IRREGULAR, PARTIAL, DEBTOR, OVERPAYER = "punctual", "late", "irregular", "partial", "debtor", "overpayer"
HABITS = [PUNCTUAL, PUNCTUAL, PUNCTUAL, LATE, LATE, IRREGULAR, PARTIAL, DEBTOR]


@dataclass
class MeterSpec:
    serial: str
    usage: Usage
    installed_on: date
    start: Decimal  # the reading before the first month


@dataclass
class AccountSpec:
    supplier: str
    number: str
    subscriber_type: str
    holder_name: str
    address: str
    habit: str
    meters: list
    seed: str
    scale: float
    contract_number: str = ""
    pin: str = ""
    phones: str = ""
    emails: str = ""


def _person(rng):
    male = rng.random() < 0.5
    last = rng.choice(LAST_NAMES)[0 if male else 1]
    first = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
    middle = rng.choice(PATRONYMICS)[0 if male else 1]
    return f"{last} {first} {middle}"


def _address(rng, supplier):
    region, towns = PLACES.get(supplier, ("", ["г. Москва"]))
    house = f"д. {rng.randint(1, 120)}"
    flat = f", кв. {rng.randint(1, 180)}" if rng.random() < 0.7 else ""
    return ", ".join(part for part in (region, rng.choice(towns), rng.choice(STREETS), house) if part) + flat


def _phone(rng):
    return f"+79{rng.choice(['10', '15', '20', '51', '53', '60', '61', '80', '85', '96'])}{rng.randint(0, 9999999):07d}"


def _meter(rng, usage, scale):
    installed = date(rng.randint(2016, 2023), rng.randint(1, 12), rng.randint(1, 28))
    serial = usage.serial_prefix + f"{rng.randint(0, 10 ** 8 - 1):08d}"
    typical = sum(usage.monthly) * Decimal(str(scale))
    start = (typical * Decimal(str(rng.uniform(1.5, 6)))).quantize(Decimal(1).scaleb(-usage.decimals))
    return MeterSpec(serial, usage, installed, start)


def household(tenant_slug, supplier, number, rng, *, habit=None, usages=None, holder=None, **extra):
    """A household's account with its meters (``usages``: the kinds of meter)."""
    if usages is None:
        usages = [gas_usage(supplier, heating=rng.random() < 0.7)]
    scale = rng.uniform(0.7, 1.4)
    return AccountSpec(
        supplier=supplier, number=number, subscriber_type="individual", holder_name=holder or _person(rng),
        address=_address(rng, supplier), habit=habit or rng.choice(HABITS), seed=f"{tenant_slug}:{supplier}:{number}",
        scale=scale, meters=[_meter(rng, usage, scale) for usage in usages],
        phones=_phone(rng) if rng.random() < 0.6 else "", **extra,
    )


# --- The demo's accounts ---------------------------------------------------------------

# The first two accounts of each tenant are its demo consumer's (accounts/demo.py).
DEMO_CONSUMER = {
    "gaz": "Кузнецов Андрей Викторович",
    "mygaz": "Смирнова Ольга Петровна",
    "mef": "Соколова Марина Сергеевна",
}
# rgmek: guide 000's registry, one account per contract; the address of each contract's site.
RGMEK_SITES = {
    "1001": "г. Рязань, ул. Промышленная, д. 12 (хлебозавод)",
    "1002": "г. Рязань, ул. Промышленная, д. 12, стр. 3 (склад готовой продукции)",
    "2001": "Рязанская обл., г. Рыбное, ул. Окская, д. 4 (склад)",
    "3001": "г. Рязань, Куйбышевское ш., д. 31 (административное здание)",
}


def _numbered(rng, supplier, tenant_slug):
    if tenant_slug == "gaz":
        return GAS_SECTORS[supplier] + f"{rng.randint(0, 10 ** 8 - 1):08d}"
    if tenant_slug == "mygaz":
        return str(rng.randint(10 ** 7, 9 * 10 ** 7 - 1))  # 8 digits; 9… is left to load tests
    return f"{rng.randint(10, 89)}{rng.randint(0, 10 ** 8 - 1):08d}"


def demo_pin(number):
    """A receipt PIN of four digits, the same for the same number in every run."""
    return f"{int(hashlib.sha256(f'demo-pin:{number}'.encode()).hexdigest(), 16) % 10000:04d}"


def demo_accounts(tenant_slug, registry=()):
    """The demo's accounts of a tenant; ``registry``: rgmek's contracts as (number, inn,
    short_name, phones, emails)."""
    rng = random.Random(f"demo-accounts:{tenant_slug}")
    if tenant_slug in ("gaz", "mygaz"):
        consumer = DEMO_CONSUMER[tenant_slug]
        plan = [("ryazan", consumer, PARTIAL), ("rostov", consumer, OVERPAYER), ("ryazan", None, None),
                ("ryazan", None, DEBTOR), ("rostov", None, None), ("samara", None, None), ("samara", None, LATE),
                ("pskov", None, None), ("pyatigorsk-kbr", None, IRREGULAR)]
        accounts = []
        for supplier, holder, habit in plan:
            pin = f"{rng.randint(0, 9999):04d}" if tenant_slug == "mygaz" else ""
            number = _numbered(rng, supplier, tenant_slug)
            # gaz's PINs come from the number, not from rng: the rest of its demo stays as it was.
            pin = pin or demo_pin(number)
            accounts.append(household(tenant_slug, supplier, number, rng, holder=holder, habit=habit, pin=pin))
        return accounts
    if tenant_slug == "mef":
        consumer = DEMO_CONSUMER["mef"]
        plan = [(consumer, PARTIAL, ELECTRICITY_TWO_ZONES), (consumer, OVERPAYER, ELECTRICITY_ONE_ZONE),
                (None, None, ELECTRICITY_ONE_ZONE), (None, DEBTOR, ELECTRICITY_ONE_ZONE),
                (None, LATE, ELECTRICITY_ONE_ZONE), (None, None, ELECTRICITY_ONE_ZONE)]
        return [household(tenant_slug, "mef", _numbered(rng, "mef", tenant_slug), rng, holder=holder, habit=habit,
                          usages=[electricity, COLD, HOT]) for holder, habit, electricity in plan]
    if tenant_slug == "rgmek":
        habits = {"1001": PARTIAL, "1002": OVERPAYER, "2001": PUNCTUAL, "3001": LATE}
        accounts = []
        for number, _inn, short_name, phones, emails in registry:
            scale = rng.uniform(0.4, 1.6)
            accounts.append(AccountSpec(
                supplier="rgmek", number=number, subscriber_type="legal", holder_name=short_name,
                address=RGMEK_SITES.get(number, _address(rng, "rgmek")), habit=habits.get(number, PUNCTUAL),
                seed=f"rgmek:rgmek:{number}", scale=scale, contract_number=number, phones=phones, emails=emails,
                meters=[_meter(rng, ELECTRICITY_BUSINESS, scale)],
            ))
        return accounts
    return []


def load_account(tenant_slug, suppliers, index):
    """Load tests' account ``index`` (numbers start with 9, which the demo's never do)."""
    rng = random.Random(f"load:{tenant_slug}:{index}")
    supplier = suppliers[index % len(suppliers)]
    if tenant_slug == "mygaz":
        number = f"9{index:07d}"
    else:
        number = f"9{index:09d}"
    if tenant_slug == "rgmek":
        scale = rng.uniform(0.2, 2)
        return AccountSpec(supplier=supplier, number=number, subscriber_type="legal",
                           holder_name=f"ООО «Нагрузка-{index}»", address=_address(rng, supplier), habit=rng.choice(HABITS),
                           seed=f"load:{tenant_slug}:{supplier}:{number}", scale=scale, contract_number=number,
                           meters=[_meter(rng, ELECTRICITY_BUSINESS, scale)])
    if tenant_slug in ("gaz", "mygaz"):
        usages = None
    elif tenant_slug == "mef":
        usages = [ELECTRICITY_ONE_ZONE, COLD, HOT]
    else:
        usages = [ELECTRICITY_ONE_ZONE]
    return household(f"load:{tenant_slug}", supplier, number, rng, usages=usages)


# --- 24 months of an account -----------------------------------------------------------


def months_until(today, count=MONTHS):
    """The first days of the ``count`` months that end with today's."""
    index = today.year * 12 + today.month - 1
    return [date(month // 12, month % 12 + 1, 1) for month in range(index - count + 1, index + 1)]


def _quantum(usage):
    return Decimal(1).scaleb(-usage.decimals)


def _money(value):
    return value.quantize(KOPECK, ROUND_HALF_UP)


def _text(value):
    return "" if value is None else format(value, "f")


def simulate(account, today):
    """The rows of every kind for one account: {kind: [row, ...]}."""
    rng = random.Random(f"{account.seed}:history")
    periods = months_until(today)
    reading_day = rng.randint(20, 26)
    primary_source = rng.choice(["amr", "amr", "controller"])
    scale = Decimal(str(account.scale))
    supplier, number = account.supplier, account.number
    rows = {kind: [] for kind in ("meters", "readings", "charges", "payments")}

    # Meters; per meter and zone: the true value and the value billing last showed.
    true_value, shown_value = {}, {}
    for meter in account.meters:
        usage = meter.usage
        verified = meter.installed_on.replace(year=meter.installed_on.year + usage.verification_years)
        while verified < today:
            verified = verified.replace(year=verified.year + usage.verification_years)  # verified again
        rows["meters"].append([supplier, number, meter.serial, usage.service, usage.zones, usage.digits, usage.decimals,
                               meter.installed_on.isoformat(), verified.isoformat()])
        for zone, share in enumerate(ZONE_SHARES[usage.zones], start=1):
            start = (meter.start * share).quantize(_quantum(usage))
            true_value[meter.serial, zone] = shown_value[meter.serial, zone] = start

    services = list(dict.fromkeys(meter.usage.service for meter in account.meters))
    # The invoice of the month before the first: paid in the first month.
    balance = {}
    for service in services:
        expected = sum(
            Decimal(str(meter.usage.monthly[(periods[0].month - 2) % 12])) * scale * meter.usage.tariffs[0]
            for meter in account.meters if meter.usage.service == service
        )
        balance[service] = _money(expected * Decimal("0.9"))
    previous_tariffs = {}
    channels = CHANNELS_BUSINESS if account.subscriber_type == "legal" else CHANNELS_PEOPLE
    channel = rng.choice(channels)

    for index, period in enumerate(periods):
        current = index == len(periods) - 1
        estimated = index > 0 and not current and rng.random() < 0.09

        # Payments made this month, for what was due at its start.
        due = sum(balance.values())
        paid_now = _pay(rng, account.habit, due, index, len(periods))
        if account.habit == OVERPAYER and index == len(periods) - 2:
            # An advance that outlasts this month's and the next one's charges.
            coming = sum(_typical_charge(account, month) for month in periods[index:])
            paid_now += (coming * Decimal("2.5") / 1000).to_integral_value(ROUND_CEILING) * 1000
        paid_by_service = {service: Decimal(0) for service in services}
        if paid_now > 0:
            day = rng.randint(3, 10) if account.habit in (PUNCTUAL, OVERPAYER) else rng.randint(3, 27)
            if current and day >= today.day:
                paid_now = Decimal(0)  # not paid yet this month
            else:
                moment = datetime.combine(date(period.year, period.month, day),
                                          time(rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59)), MOSCOW)
                rows["payments"].append([supplier, number, moment.isoformat(), _text(paid_now),
                                         channel if rng.random() < 0.8 else rng.choice(channels),
                                         f"{number}-{period:%Y%m}-1"])
                paid_by_service = _allocate(paid_now, balance, services)

        # Readings and consumption of the month, per meter and zone.
        taken_on = min(date(period.year, period.month, reading_day), today)
        volume = {service: Decimal(0) for service in services}
        charged = {service: Decimal(0) for service in services}
        catch_up = {service: Decimal(0) for service in services}  # money for what estimates missed
        catch_up_volume = {service: Decimal(0) for service in services}
        for meter in account.meters:
            usage = meter.usage
            typical = Decimal(str(usage.monthly[period.month - 1])) * scale
            for zone, share in enumerate(ZONE_SHARES[usage.zones], start=1):
                key = meter.serial, zone
                tariff = tariff_of(usage, zone, period, account.seed)
                consumed = (typical * share * Decimal(str(rng.uniform(0.85, 1.15)))).quantize(_quantum(usage))
                before_true, before_shown = true_value[key], shown_value[key]
                true_value[key] = before_true + consumed
                if estimated:
                    # Billing bills an average that falls short of the truth (0.8 < 0.85).
                    shown_value[key] = before_shown + (typical * share * Decimal("0.8")).quantize(_quantum(usage))
                    billed = shown_value[key] - before_shown
                else:
                    shown_value[key] = true_value[key]
                    billed = consumed
                    missed = before_true - before_shown  # what the estimates of earlier months missed
                    if missed:
                        catch_up_volume[usage.service] += missed
                        catch_up[usage.service] += missed * previous_tariffs.get(key, tariff)
                previous_tariffs[key] = tariff
                volume[usage.service] += billed
                charged[usage.service] += billed * tariff
                rows["readings"].append([supplier, number, meter.serial, zone, _text(shown_value[key]),
                                         taken_on.isoformat(), "estimated" if estimated else primary_source])

        # The month's charges, one per service.
        invoice = f"{number}/{period:%y%m}"
        due_on = date(period.year + period.month // 12, period.month % 12 + 1, 10)
        for service in services:
            usage = next(meter.usage for meter in account.meters if meter.usage.service == service)
            amount = _money(charged[service])
            tariff = (charged[service] / volume[service]).quantize(Decimal("0.0001"), ROUND_HALF_UP) \
                if volume[service] else tariff_of(usage, 1, period, account.seed)
            if usage.zones > 1:
                amount = _money(volume[service] * tariff)  # the receipt's average tariff × volume
            recalculated, reason = _money(catch_up[service]), ""
            if recalculated:
                reason = (f"Доначисление за {str(catch_up_volume[service]).replace('.', ',')} {numbers.unit_name(usage.unit)}: в прошлом периоде начислено "
                          f"по среднемесячному объёму, фактические показания от {taken_on:%d.%m.%Y}")
            elif usage.unregulated and index > 0 and rng.random() < 0.25:
                previous = periods[index - 1]
                recalculated = _money(volume[service] * Decimal(rng.randint(-25, 25)) / 100)
                if recalculated:
                    reason = f"Корректировка нерегулируемой цены за {previous:%m.%Y} по итогам расчёта АТС"
            opening = balance[service]
            closing = opening + amount + recalculated - paid_by_service[service]
            balance[service] = closing
            rows["charges"].append([supplier, number, period.strftime("%Y-%m"), service, _text(opening),
                                    _text(volume[service]), usage.unit, _text(tariff), _text(amount),
                                    _text(recalculated), reason, _text(paid_by_service[service]), _text(closing),
                                    invoice, due_on.isoformat()])
    return rows


def _typical_charge(account, period):
    scale = Decimal(str(account.scale))
    return sum(Decimal(str(meter.usage.monthly[period.month - 1])) * scale * share * tariff_of(meter.usage, zone, period, account.seed)
               for meter in account.meters for zone, share in enumerate(ZONE_SHARES[meter.usage.zones], start=1))


def _pay(rng, habit, due, index, months):
    """What an account with ``habit`` pays this month when ``due`` is owed."""
    if habit == OVERPAYER:
        amount = (max(due, Decimal(0)) / 500).to_integral_value(ROUND_CEILING) * 500
        return Decimal(amount) if index < months - 1 else Decimal(0)
    if due <= 0:
        return Decimal(0)
    if habit == DEBTOR and index >= months - 4:
        return Decimal(0)
    if habit == IRREGULAR and rng.random() < 0.25:
        return Decimal(0)
    if habit == LATE and rng.random() < 0.2:
        return Decimal(0)  # paid next month, with this one
    if habit == PARTIAL and (rng.random() < 0.3 or index >= months - 3):
        return _money(due * Decimal(str(rng.uniform(0.4, 0.8))))
    return due


def _allocate(amount, balance, services):
    """Split a payment over the services in proportion to what each owes (an advance goes
    to the first)."""
    owed = {service: max(balance[service], Decimal(0)) for service in services}
    total = sum(owed.values())
    if total <= 0:
        return {service: (amount if position == 0 else Decimal(0)) for position, service in enumerate(services)}
    shares, left = {}, amount
    for service in services[:-1]:
        shares[service] = _money(amount * owed[service] / total)
        left -= shares[service]
    shares[services[-1]] = left
    return shares


# --- Files -----------------------------------------------------------------------------


@dataclass
class Registry:
    """Guide 000's counterparties and contracts, as rows of their files."""

    counterparties: list = field(default_factory=list)
    contracts: list = field(default_factory=list)


def write_exchange_files(directory, accounts, today, registry=None):
    """Write the exchange files of ``accounts`` (an iterable of AccountSpec, consumed one at
    a time) into ``directory``; the names of the files written (kinds with rows only)."""
    directory = Path(directory)
    streams, writers, counts = {}, {}, dict.fromkeys(FILE_KINDS, 0)
    try:
        for kind in FILE_KINDS:
            streams[kind] = open(directory / f"{kind}.csv", "w", encoding="utf-8", newline="")
            writers[kind] = csv.writer(streams[kind], delimiter=";", lineterminator="\n")
            writers[kind].writerow(COLUMNS[kind])
        if registry:
            writers["counterparties"].writerows(registry.counterparties)
            writers["contracts"].writerows(registry.contracts)
            counts["counterparties"], counts["contracts"] = len(registry.counterparties), len(registry.contracts)
        for account in accounts:
            writers["accounts"].writerow([account.supplier, account.number, account.subscriber_type,
                                          account.holder_name, account.address, account.contract_number,
                                          account.pin, account.phones, account.emails])
            counts["accounts"] += 1
            for kind, rows in simulate(account, today).items():
                writers[kind].writerows(rows)
                counts[kind] += len(rows)
    finally:
        for stream in streams.values():
            stream.close()
    written = []
    for kind in FILE_KINDS:
        if counts[kind]:
            written.append(directory / f"{kind}.csv")
        else:
            (directory / f"{kind}.csv").unlink()
    return written


class DemoImportFailed(Exception):
    """The generated files did not import cleanly: a bug in the generator or the import."""


def import_accounts(tenant, accounts, *, registry=None, today=None):
    """Generate the files of ``accounts`` in a temporary directory and import them into
    ``tenant`` (portal.exchange, as import_billing does). Returns the import's report (closed); raises
    DemoImportFailed when a file was refused or a row rejected."""
    from django.utils import timezone

    from portal.exchange.files import sources_from_paths
    from portal.exchange.report import ImportReport
    from portal.exchange.staging import import_files

    today = today or timezone.localdate()
    with tempfile.TemporaryDirectory(prefix=f"demo-{tenant.slug}-") as directory:
        paths = write_exchange_files(directory, accounts, today, registry)
        if not paths:
            return ImportReport()
        report = import_files(tenant, sources_from_paths(paths))
        try:
            problems = [f"{item.file}: {item.problem}" for item in report.files if item.problem]
            problems += [f"{item.file} line {rejected.line}: {rejected.reason()}"
                         for item in report.files for rejected in item.rejected()]
        finally:
            report.close()
    if problems:
        raise DemoImportFailed("the demo's billing files did not import cleanly:\n" + "\n".join(problems[:20]))
    return report
