"""Every write of an appeal stales its author's unread counter (appeals.services, portal.versions)."""

from portal.versions import Watch

from .models import Appeal
from .services import UNREAD

WATCHES = [Watch(Appeal, UNREAD, "author_id")]
