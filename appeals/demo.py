"""The demo's topics and applications: guide 003's ten topics for mef, a support topic and
«Общие вопросы» for every tenant; contract applications at mef (guide 003), grid connection
at rosseti (guide 001). seed_demo (portal/demo.py) calls ``seed``."""

SUPPORT_TOPIC = "Вопрос в техподдержку"
MEF_TOPICS = [
    "Внесение изменений в лицевой счёт", "Другие тематики", "Качество услуги", "Обращение", "Общие вопросы",
    "Платные услуги", "Предложения", "Приборы учёта", "Противодействие коррупции", "Расчёты и задолженность",
]
APPLICATIONS = {"mef": {"contract_applications": True}, "rosseti": {"grid_connection_applications": True}}


def seed(tenants):
    """The topics and application settings above, for tenants that lack them; idempotent."""
    from portal.scoping import tenant_scope

    from .models import AppealsPolicy, Topic

    for tenant in tenants:
        with tenant_scope(tenant):
            topics = MEF_TOPICS if tenant.slug == "mef" else ["Общие вопросы"]
            for order, name in enumerate(topics):
                Topic.objects.get_or_create(tenant=tenant, name=name, defaults={"order": order})
            Topic.objects.get_or_create(tenant=tenant, name=SUPPORT_TOPIC,
                                        defaults={"is_support": True, "order": 100})
            AppealsPolicy.objects.update_or_create(tenant=tenant, defaults=APPLICATIONS.get(tenant.slug, {}))
    return []
