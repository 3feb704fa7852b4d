"""What staff change of a person in the admin, on the trail and told to the person.

The trail records a user's login, contacts and active flag like every other field
(audit.apps.TRACKED); the password hash it never sees, so a password that staff set, reset
or disable is recorded here as that, without the value (audit.services). Either way the
person hears of it by their usual channel (e-mail, else SMS), and a replaced e-mail or
phone hears of it too: if the change was not the person's wish, that is the contact they
still hold. Who may change whom is portal.roles.
"""

from django.utils.translation import gettext_lazy as _

from audit.services import entry_secret_changed

from . import messages
from .messages import notify_user

TEMPLATE = "changed_by_staff"
# What the message names, of the fields it is about (a person's way in).
WATCHED = {"username": _("логин"), "email": _("e-mail"), "phone": _("телефон")}
ACTIVE = {True: _("вход в личный кабинет открыт"), False: _("вход в личный кабинет закрыт")}


def password_set_by_staff(*, user, was_set):
    """``user``'s password was just set, reset or disabled by staff (``was_set``: whether
    there was a usable one before)."""
    entry_secret_changed(user, field="password", was_set=was_set, is_set=user.has_usable_password())
    what = _("пароль") if user.has_usable_password() else _("вход по паролю отключён")
    _tell(user, [what])


def user_changed_by_staff(*, user, before):
    """``user`` was just saved by staff; ``before``: the values the form started with.
    A change of the login, e-mail, phone or active flag is told to the person."""
    changed = [name for name in (*WATCHED, "is_active") if name in before and before[name] != getattr(user, name)]
    if not changed:
        return
    what = [ACTIVE[user.is_active] if name == "is_active" else WATCHED[name] for name in changed]
    replaced = {name: before[name] for name in ("email", "phone") if name in changed and before[name]}
    _tell(user, what, replaced=replaced)


def _tell(user, what, *, replaced=None):
    if user.tenant_id is None:
        return  # a platform superuser: no tenant to write from, and no customer
    context = {"template": TEMPLATE, "changes": ", ".join(str(item) for item in what)}
    notify_user(user=user, **context)
    replaced = replaced or {}
    if replaced.get("email"):
        messages.send_email(tenant=user.tenant, to=replaced["email"], user=user, **context)
    if replaced.get("phone"):
        messages.send_sms(tenant=user.tenant, to=replaced["phone"], user=user, **context)
