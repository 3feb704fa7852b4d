"""The five demo tenants of PRODUCT.md, one per guide in shared/seeds/, as plain data.

seed_demo writes them; later issues add their billing data next to these definitions.
"""

from django.utils.translation import gettext_noop as _noop

STAFF_USERNAME = "staff"
STAFF_PASSWORD = "demo-staff-2026"
SUPERUSER_USERNAME = "admin"
SUPERUSER_PASSWORD = "demo-admin-2026"
# The admin asks staff for a TOTP code. Every demo staff user and the superuser share this
# demo key (RFC 4226's test key): add OTP_DEMO_SECRET to an authenticator app, or print the
# current code with the command in README.
OTP_DEMO_KEY = "3132333435363738393031323334353637383930"
OTP_DEMO_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
STAFF_GROUP = _noop("Сотрудники организации")
# What tenant staff may do in the admin; the tenant scope limits it to their own rows.
STAFF_PERMISSIONS = [
    "portal.view_tenant",
    "portal.view_tenantpolicy",
    "portal.view_tenantdomain",
    "portal.view_supplier",
    "portal.add_supplier",
    "portal.change_supplier",
    "portal.view_consentdocument",
    "portal.add_consentdocument",
    "portal.change_consentdocument",
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
]

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


def _consent(kind, title, checkbox_label, text, *, required=True, moment="signup"):
    return {
        "kind": kind, "version": 1, "title": title, "checkbox_label": checkbox_label,
        "text": text, "required": required, "moment": moment,
    }


def _user_agreement(company):
    return _consent(
        "user_agreement", "Пользовательское соглашение",
        "Я принимаю условия Пользовательского соглашения",
        f"Настоящее соглашение определяет условия использования личного кабинета {company}: "
        "регистрацию, вход, просмотр начислений, передачу показаний, оплату и обращения. "
        "Пользователь отвечает за сохранность своего логина и пароля и за достоверность "
        "переданных показаний.",
    )


def _personal_data(company, *, moment="signup"):
    return _consent(
        "personal_data", "Согласие на обработку персональных данных",
        f"Я даю согласие {company} на обработку моих персональных данных",
        f"Я даю согласие {company} на обработку моих персональных данных (фамилия, имя, "
        "отчество, адрес электронной почты, номер телефона, номера лицевых счетов и договоров) "
        "в целях предоставления доступа к личному кабинету и исполнения договора. Согласие "
        "действует до его отзыва; отзыв направляется через личный кабинет или в офис.",
        moment=moment,
    )


TENANTS = [
    {
        "slug": "rgmek",
        "name": "Общество с ограниченной ответственностью «Рязанская городская муниципальная энергосбытовая компания»",
        "short_name": "ООО «РГМЭК»",
        "kind": "electricity_retail",
        "support_phones": "+7 (4912) 90-87-90\n8 (800) 250-50-78",
        "support_email": "lk@rgmek.example",
        "primary_colour": "#00529b",
        "accent_colour": "#f5a623",
        "policy": {
            "login_kind": "contract", "full_name_field": "off", "email_field": "off", "phone_field": "off",
            "password_at_signup": True, "signup_captcha": False,
            "subscriber_individual": False, "subscriber_legal": True,
            "password_min_length": 8, "password_max_length": 128, "password_charset": "any",
            "password_needs_latin_letter": True, "password_needs_upper_and_lower": False, "password_needs_digit": False,
            "phone_confirmation": "code", "email_confirmation": "code", "code_length": 6,
            "code_ttl_seconds": 600, "resend_cooldown_seconds": 60, "code_max_attempts": 5,
            "activation_window_hours": 1, "login_before_activation": False, "delete_unactivated": True,
            "consent_after_first_login": False, "account_linking": "by_registration", "extended_access": False,
            "question_meter_serial": False, "question_last_charge": False, "question_pin": False,
        },
        "suppliers": [
            {"code": "rgmek", "name": "ООО «РГМЭК»", "account_number_separators": " -",
             "account_number_pattern": r"\d{1,12}", "account_number_hint": "Номер договора энергоснабжения — цифры."},
        ],
        "consents": [_user_agreement("ООО «РГМЭК»"), _personal_data("ООО «РГМЭК»")],
    },
    {
        "slug": "rosseti",
        "name": "Публичное акционерное общество «Россети Московский регион»",
        "short_name": "Россети Московский регион",
        "kind": "grid",
        "support_phones": "8 (800) 700-40-70",
        "support_email": "lk@rosseti.example",
        "primary_colour": "#1d4f91",
        "accent_colour": "#00a3e0",
        "policy": {
            "login_kind": "email", "full_name_field": "required", "email_field": "required", "phone_field": "required",
            "password_at_signup": False, "signup_captcha": False,
            "subscriber_individual": True, "subscriber_legal": True,
            "password_min_length": 12, "password_max_length": 128, "password_charset": "any",
            "password_needs_latin_letter": False, "password_needs_upper_and_lower": False, "password_needs_digit": False,
            "phone_confirmation": "code", "email_confirmation": "link", "code_length": 6,
            "code_ttl_seconds": 300, "resend_cooldown_seconds": 60, "code_max_attempts": 5,
            "activation_window_hours": 24, "login_before_activation": False, "delete_unactivated": True,
            "consent_after_first_login": False, "account_linking": "by_number", "extended_access": False,
            "question_meter_serial": False, "question_last_charge": False, "question_pin": False,
        },
        "suppliers": [
            {"code": "rossetimr", "name": "ПАО «Россети Московский регион»", "account_number_separators": " ",
             "account_number_pattern": r"\d{6,12}", "account_number_hint": "Номер договора — от 6 до 12 цифр."},
        ],
        "consents": [
            _consent(
                "personal_data_law", "Ознакомление с Федеральным законом № 152-ФЗ",
                "Я ознакомлен(а) с положениями Федерального закона от 27.07.2006 № 152-ФЗ «О персональных данных»",
                "Федеральный закон от 27.07.2006 № 152-ФЗ «О персональных данных» регулирует обработку "
                "персональных данных и права субъекта персональных данных, в том числе право на доступ "
                "к своим данным и право отозвать согласие на их обработку.",
            ),
            _personal_data("ПАО «Россети Московский регион»"),
            _consent(
                "marketing", "Согласие на рекламно-информационную рассылку",
                "Я согласен(на) получать рекламно-информационную рассылку ПАО «Россети Московский регион»",
                "Рассылка о новых услугах и изменениях в обслуживании по e-mail и SMS. "
                "От рассылки можно отказаться в любой момент в настройках личного кабинета.",
                required=False,
            ),
        ],
    },
    {
        "slug": "gaz",
        "name": "ООО «Газпром межрегионгаз» — региональные поставщики газа",
        "short_name": "Межрегионгаз",
        "kind": "gas",
        "support_phones": "8 (800) 100-00-00",
        "support_email": "support@gaz.example",
        "primary_colour": "#0055a5",
        "accent_colour": "#ffb81c",
        "policy": {
            "login_kind": "email", "full_name_field": "off", "email_field": "required", "phone_field": "off",
            "password_at_signup": True, "signup_captcha": True,
            "subscriber_individual": True, "subscriber_legal": False,
            "password_min_length": 5, "password_max_length": 10, "password_charset": "latin_alnum",
            "password_needs_latin_letter": False, "password_needs_upper_and_lower": False, "password_needs_digit": False,
            "phone_confirmation": "none", "email_confirmation": "link", "code_length": 6,
            "code_ttl_seconds": 600, "resend_cooldown_seconds": 60, "code_max_attempts": 5,
            "activation_window_hours": 72, "login_before_activation": True, "delete_unactivated": True,
            "consent_after_first_login": False, "account_linking": "by_number", "extended_access": False,
            "question_meter_serial": False, "question_last_charge": False, "question_pin": False,
        },
        "suppliers": [{"code": code, "name": name, **GAZ_ACCOUNT_FORMAT} for code, name in GAS_REGIONS],
        "consents": [_user_agreement("ООО «Газпром межрегионгаз»"), _personal_data("ООО «Газпром межрегионгаз»")],
    },
    {
        "slug": "mef",
        "name": "ООО «Металлэнергофинанс»",
        "short_name": "Металлэнергофинанс",
        "kind": "electricity_retail",
        "support_phones": "+7 (4842) 00-00-00",
        "support_email": "lk@mef.example",
        "primary_colour": "#7a1f1f",
        "accent_colour": "#d4a017",
        "policy": {
            "login_kind": "email", "full_name_field": "required", "email_field": "required", "phone_field": "required",
            "password_at_signup": True, "signup_captcha": True,
            "subscriber_individual": True, "subscriber_legal": True,
            "password_min_length": 8, "password_max_length": 128, "password_charset": "latin_alnum",
            "password_needs_latin_letter": False, "password_needs_upper_and_lower": True, "password_needs_digit": True,
            "phone_confirmation": "none", "email_confirmation": "link", "code_length": 6,
            "code_ttl_seconds": 600, "resend_cooldown_seconds": 60, "code_max_attempts": 5,
            "activation_window_hours": 72, "login_before_activation": False, "delete_unactivated": False,
            "consent_after_first_login": False, "account_linking": "wizard", "extended_access": False,
            "question_meter_serial": False, "question_last_charge": False, "question_pin": False,
        },
        "suppliers": [
            {"code": "mef", "name": "ООО «Металлэнергофинанс»", "account_number_separators": " -",
             "account_number_pattern": r"\d{8,12}", "account_number_hint": "Номер лицевого счёта — от 8 до 12 цифр."},
        ],
        "consents": [_user_agreement("ООО «Металлэнергофинанс»"), _personal_data("ООО «Металлэнергофинанс»")],
    },
    {
        "slug": "mygaz",
        "name": "ООО «Газпром межрегионгаз» — личный кабинет «Мой ГАЗ»",
        "short_name": "Мой ГАЗ",
        "kind": "gas",
        "support_phones": "8 (800) 100-00-00",
        "support_email": "support@mygaz.example",
        "primary_colour": "#003f7d",
        "accent_colour": "#ffb81c",
        "policy": {
            "login_kind": "phone_or_email", "full_name_field": "off", "email_field": "off", "phone_field": "off",
            "password_at_signup": True, "signup_captcha": False,
            "subscriber_individual": True, "subscriber_legal": False,
            "password_min_length": 5, "password_max_length": 10, "password_charset": "latin_alnum",
            "password_needs_latin_letter": False, "password_needs_upper_and_lower": False, "password_needs_digit": False,
            "phone_confirmation": "code", "email_confirmation": "link_and_code", "code_length": 6,
            "code_ttl_seconds": 600, "resend_cooldown_seconds": 60, "code_max_attempts": 5,
            "activation_window_hours": 24, "login_before_activation": False, "delete_unactivated": True,
            "consent_after_first_login": True, "account_linking": "by_number", "extended_access": True,
            "question_meter_serial": True, "question_last_charge": True, "question_pin": True,
        },
        "suppliers": [{"code": code, "name": name, **MYGAZ_ACCOUNT_FORMAT} for code, name in GAS_REGIONS],
        "consents": [_personal_data("ООО «Газпром межрегионгаз»", moment="first_login")],
    },
]


def _seed_registry(tenant):
    from billing.models import Contract, Counterparty

    from .models import Supplier

    supplier, _created = Supplier.objects.update_or_create(
        tenant=tenant, code="rgmek", defaults=next(d for d in TENANTS if d["slug"] == "rgmek")["suppliers"][0]
    )
    for definition in RGMEK_COUNTERPARTIES:
        fields = {k: v for k, v in definition.items() if k not in ("inn", "contracts")}
        counterparty, _created = Counterparty.objects.update_or_create(tenant=tenant, inn=definition["inn"], defaults=fields)
        for contract in definition["contracts"]:
            Contract.objects.update_or_create(
                tenant=tenant, supplier=supplier, number=contract["number"],
                defaults={"counterparty": counterparty, "phones": contract["phones"], "emails": contract["emails"]},
            )


def _ensure_demo_totp(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=user, name="demo", defaults={"key": OTP_DEMO_KEY, "confirmed": True})


def seed_demo():
    """Create or update the demo tenants, their staff and the platform superuser.

    Idempotent: a second run finds every row as the first left it and changes nothing
    (passwords are set only when a user is created).
    """
    # Imported here: this module is also read as plain data (e.g. by tests) at import time.
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction

    from accounts.models import User

    from .models import ConsentDocument, Supplier, Tenant, TenantPolicy
    from .scoping import tenant_scope

    with transaction.atomic():
        staff_group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
        staff_group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in (name.split(".") for name in STAFF_PERMISSIONS)
        )
        tenants = []
        for definition in TENANTS:
            fields = {k: v for k, v in definition.items() if k not in ("slug", "policy", "suppliers", "consents")}
            tenant, _created = Tenant.objects.update_or_create(slug=definition["slug"], defaults=fields)
            tenant.full_clean()
            policy, _created = TenantPolicy.objects.update_or_create(tenant=tenant, defaults=definition["policy"])
            policy.full_clean()
            with tenant_scope(tenant):
                if definition["slug"] == "rgmek":
                    _seed_registry(tenant)
                for supplier_fields in definition["suppliers"]:
                    supplier, _created = Supplier.objects.update_or_create(
                        tenant=tenant, code=supplier_fields["code"], defaults=supplier_fields
                    )
                    supplier.full_clean()
                for consent in definition["consents"]:
                    ConsentDocument.objects.update_or_create(
                        tenant=tenant, kind=consent["kind"], version=consent["version"], defaults=consent
                    )
                staff, created = User.objects.get_or_create(
                    tenant=tenant, username=STAFF_USERNAME,
                    defaults={"is_staff": True, "email": f"{STAFF_USERNAME}@{tenant.slug}.example",
                              "first_name": "Сотрудник", "last_name": tenant.short_name[:150]},
                )
                if created:
                    staff.set_password(STAFF_PASSWORD)
                    staff.save()
                    staff.groups.add(staff_group)
                _ensure_demo_totp(staff)
            tenants.append(tenant)
        with tenant_scope(None):
            admin, created = User.objects.get_or_create(
                tenant=None, username=SUPERUSER_USERNAME,
                defaults={"is_staff": True, "is_superuser": True, "email": "admin@localhost"},
            )
            if created:
                admin.set_password(SUPERUSER_PASSWORD)
                admin.save()
            _ensure_demo_totp(admin)
    return tenants
