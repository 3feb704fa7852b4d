"""The demo's reading windows (issue 10), as the guides describe each utility: seed_demo
(portal/demo.py) calls ``seed``. A tenant without a window takes readings from the 15th to
the 25th, not strictly (ПП 354); rosseti, grid connection, has no meters.

- gaz (guide 002): 15–25; out of the window a reading counts for the next period.
- mygaz (guide 004): 15–25, strict: out of the window readings are refused.
- mef (guide 003): 20–25, not strict.
- rgmek (guide 000, legal entities): 1–5, not strict.
"""

# slug -> [(subscriber type or "" for all, first day, last day, strict)], for every supplier.
WINDOWS = {
    "gaz": [("", 15, 25, False)],
    "mygaz": [("", 15, 25, True)],
    "mef": [("", 20, 25, False)],
    "rgmek": [("legal", 1, 5, False)],
}


def seed(tenants):
    """The windows of WINDOWS, set to those values whatever they were; idempotent."""
    from portal.scoping import tenant_scope

    from .models import ReadingWindow

    for tenant in tenants:
        with tenant_scope(tenant):
            for subscriber_type, first_day, last_day, strict in WINDOWS.get(tenant.slug, []):
                window, _created = ReadingWindow.objects.update_or_create(
                    tenant=tenant, supplier=None, subscriber_type=subscriber_type,
                    defaults={"first_day": first_day, "last_day": last_day, "strict": strict},
                )
                window.full_clean()
    return []
