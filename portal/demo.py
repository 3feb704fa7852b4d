"""The five demo tenants of PRODUCT.md, one per guide in shared/seeds/, as plain data:
branding, policy and consent documents. Each app keeps its own demo data in its own
``demo`` module (accounts/demo.py, billing/demo.py); seed_demo runs them all.
"""

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


# What the five policies share; each tenant's entry below says only how it differs.
_POLICY_COMMON = {
    "password_at_signup": True, "signup_captcha": False,
    "password_needs_latin_letter": False, "password_needs_upper_and_lower": False, "password_needs_digit": False,
    "code_length": 6, "code_ttl_seconds": 600, "resend_cooldown_seconds": 60, "code_max_attempts": 5,
    "login_before_activation": False, "delete_unactivated": True, "consent_after_first_login": False,
    "extended_access": False, "question_meter_serial": False, "question_last_charge": False, "question_pin": False,
}


def _policy(**differences):
    return {**_POLICY_COMMON, **differences}


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
        "policy": _policy(login_kind="contract", full_name_field="off", email_field="off", phone_field="off",
            subscriber_individual=False, subscriber_legal=True, password_min_length=8, password_max_length=128,
            password_charset="any", password_needs_latin_letter=True, phone_confirmation="code",
            email_confirmation="code", activation_window_hours=1, account_linking="by_registration"),
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
        "policy": _policy(login_kind="email", full_name_field="required", email_field="required",
            phone_field="required", password_at_signup=False, subscriber_individual=True, subscriber_legal=True,
            password_min_length=12, password_max_length=128, password_charset="any", phone_confirmation="code",
            email_confirmation="link", code_ttl_seconds=300, activation_window_hours=24,
            staff_register_customers=True, account_linking="none"),
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
        "policy": _policy(login_kind="email", full_name_field="off", email_field="required", phone_field="off",
            signup_captcha=True, subscriber_individual=True, subscriber_legal=False, password_min_length=5,
            password_max_length=10, password_charset="latin_alnum", phone_confirmation="none",
            email_confirmation="link", activation_window_hours=72, login_before_activation=True,
            account_linking="by_number", basic_access="pay", extended_access=True, question_meter_serial=True,
            question_pin=True),
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
        "policy": _policy(login_kind="email", full_name_field="required", email_field="required",
            phone_field="required", signup_captcha=True, subscriber_individual=True, subscriber_legal=True,
            password_min_length=8, password_max_length=128, password_charset="latin_alnum",
            password_needs_upper_and_lower=True, password_needs_digit=True, phone_confirmation="none",
            email_confirmation="link", activation_window_hours=72, delete_unactivated=False,
            account_linking="wizard"),
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
        "policy": _policy(login_kind="phone_or_email", full_name_field="off", email_field="off", phone_field="off",
            subscriber_individual=True, subscriber_legal=False, password_min_length=5, password_max_length=10,
            password_charset="latin_alnum", phone_confirmation="code", email_confirmation="link_and_code",
            activation_window_hours=24, consent_after_first_login=True, account_linking="by_number",
            basic_access="status", extended_access=True, question_meter_serial=True, question_last_charge=True,
            question_pin=True),
        "consents": [_personal_data("ООО «Газпром межрегионгаз»", moment="first_login")],
    },
]


def seed_demo():
    """Create or update the demo: the kernel writes the tenants, their policies and consent
    documents, then every installed app that has a ``demo`` module adds its part through
    ``seed(tenants)``, in INSTALLED_APPS order unless a module asks to come after others
    (``SEED_AFTER``): billing's suppliers, registry and billing data, then accounts' staff,
    superuser and demo consumers (who link billing's accounts). The kernel names no app:
    Django's app registry finds them.

    Idempotent: a second run finds every row as the first left it and changes nothing.
    Returns the tenants and the notes the apps want printed for the person running it.
    """
    from django.db import transaction

    with transaction.atomic():
        tenants = _seed_tenants()
        notes = []
        for module in _app_demo_modules():
            notes += module.seed(tenants) or []
    return tenants, notes


def _app_demo_modules():
    """Every app's ``demo`` module, in INSTALLED_APPS order, except that a module naming
    apps in ``SEED_AFTER`` (e.g. accounts' demo consumer needs billing's accounts) comes
    after them."""
    from importlib import import_module

    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import module_has_submodule

    modules = {
        app_config.name: import_module(f"{app_config.name}.demo")
        for app_config in apps.get_app_configs()
        if app_config.name != "portal" and module_has_submodule(app_config.module, "demo")
    }
    ordered, visiting = [], set()

    def visit(name):
        if name in ordered or name not in modules:
            return
        if name in visiting:
            raise ImproperlyConfigured(f"demo modules wait for each other: {name}")
        visiting.add(name)
        for before in getattr(modules[name], "SEED_AFTER", ()):
            visit(before)
        ordered.append(name)

    for name in modules:
        visit(name)
    return [modules[name] for name in ordered]


def app_demo_hooks(name):
    """The apps' demo functions called ``name`` (e.g. seed_accounts for ``seed_demo --accounts``)."""
    return [getattr(module, name) for module in _app_demo_modules() if hasattr(module, name)]


def _seed_tenants():
    from .models import ConsentDocument, Tenant, TenantPolicy
    from .scoping import tenant_scope

    tenants = []
    for definition in TENANTS:
        fields = {k: v for k, v in definition.items() if k not in ("slug", "policy", "consents")}
        tenant, _created = Tenant.objects.update_or_create(slug=definition["slug"], defaults=fields)
        tenant.full_clean()
        policy, _created = TenantPolicy.objects.update_or_create(tenant=tenant, defaults=definition["policy"])
        policy.full_clean()
        with tenant_scope(tenant):
            for consent in definition["consents"]:
                ConsentDocument.objects.update_or_create(
                    tenant=tenant, kind=consent["kind"], version=consent["version"], defaults=consent
                )
        tenants.append(tenant)
    return tenants
