"""factory-boy factories for the kernel's rows: a tenant with its policy. Tests build what
they need with these; the five demo tenants (conftest's demo_tenants) are for tests about
the demo or about one guide's policy."""

from datetime import timedelta

import factory
from django.utils import timezone

from . import sealing
from .models import OutgoingMessage, Tenant, TenantPolicy


class ScopeFreeFactory(factory.django.DjangoModelFactory):
    """Creates through the model's base manager: a factory runs outside any tenant scope,
    where a scoped default manager refuses every query."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class._base_manager


class TenantPolicyFactory(ScopeFreeFactory):
    """The platform's default policy (e-mail login, confirmed by link), a field at a time
    changeable: TenantFactory(policy__login_kind=...)."""

    class Meta:
        model = TenantPolicy
        django_get_or_create = ["tenant"]

    tenant = None


class TenantFactory(ScopeFreeFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True  # the policy is its own row

    slug = factory.Sequence(lambda n: f"tenant{n}")
    name = factory.LazyAttribute(lambda tenant: f"ООО «{tenant.slug.capitalize()}»")
    short_name = factory.LazyAttribute(lambda tenant: tenant.slug.capitalize())
    kind = Tenant.Kind.ELECTRICITY_RETAIL
    policy = factory.RelatedFactory(TenantPolicyFactory, factory_related_name="tenant")


class OutgoingMessageFactory(ScopeFreeFactory):
    """A queued SMS with its text kept, as portal.services._queue writes one (without
    publishing it): OutgoingMessageFactory(tenant=..., text="Код: 1", has_code=True, ...);
    ``text=None``: a row queued before texts were kept."""

    class Meta:
        model = OutgoingMessage

    class Params:
        text = "Уведомление"
        subject = ""

    tenant = factory.SubFactory(TenantFactory)
    channel = OutgoingMessage.Channel.SMS
    to = factory.Sequence(lambda n: f"+7900{n:07d}")
    payload = factory.LazyAttribute(lambda message: "" if message.text is None else sealing.seal(
        {"subject": message.subject, "body": message.text, "headers": {}}))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(seconds=60))


def admin_form_data(page):
    """The values a browser would submit from an admin page's form (a change form): the
    data a test edits and posts back, as a person would."""
    from html.parser import HTMLParser

    class FormFields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self._select, self._textarea = {}, None, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name")
            if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
                if attrs.get("type") in ("checkbox", "radio"):
                    if "checked" in attrs:
                        self.data[name] = attrs.get("value", "on")
                else:
                    self.data[name] = attrs.get("value", "")
            elif tag == "select" and name:
                self._select = name
            elif tag == "option" and self._select and "selected" in attrs:
                self.data[self._select] = attrs.get("value", "")
            elif tag == "textarea" and name:
                self._textarea = name
                self.data[name] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self._select = None
            elif tag == "textarea":
                self._textarea = None

        def handle_data(self, data):
            if self._textarea:
                self.data[self._textarea] += data

    parser = FormFields()
    parser.feed(page.content.decode())
    return parser.data


def tenant_policy(tenant, **fields):
    """``tenant``'s policy with ``fields`` set and saved (extended_access=True,
    question_pin=True…)."""
    for name, value in fields.items():
        setattr(tenant.policy, name, value)
    tenant.policy.save()
    return tenant.policy
