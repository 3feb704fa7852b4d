"""The payment sandbox, a provider of its own: ``remote`` plays the provider's side (its
payments, pages' rules and signed notifications, as a remote provider would keep them),
``provider`` is the portal's client for it, like ``providers/yookassa.py`` for YooKassa."""
