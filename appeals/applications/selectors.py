"""Applications: what the pages read (the person's applications and a draft's documents)."""

from ..models import Appeal, ApplicationStageChange, Attachment
from ..selectors import policy_of

KINDS = (Appeal.Kind.CONTRACT, Appeal.Kind.GRID_CONNECTION)

def offered_kinds(tenant):
    """The kinds of application the tenant's customers may make here."""
    policy = policy_of(tenant)
    return [kind for kind, offered in ((Appeal.Kind.CONTRACT, policy.contract_applications),
                                       (Appeal.Kind.GRID_CONNECTION, policy.grid_connection_applications))
            if offered]


def applications_of(user):
    """The user's applications, drafts included, newest first."""
    return list(Appeal.objects.filter(author=user, kind__in=KINDS).order_by("-created_at")[:200])


def application_of(user, public_id):
    """The user's own application by its public id, or None (another's is None alike)."""
    return Appeal.objects.filter(author=user, public_id=public_id, kind__in=KINDS).first()


def documents_of(appeal):
    """A draft's documents (once sent, they belong to the first message of its thread)."""
    return list(Attachment.objects.filter(appeal=appeal, message__isnull=True).order_by("pk"))


def stage_steps(appeal):
    """A sent grid-connection application's stages in their order, each with its state
    (done, current, ahead) and when it was reached (the last move to it, or None): the
    progress list on its page. Empty for a draft or another kind."""
    if not appeal.stage:
        return []
    reached = {change.stage: change.moved_at
               for change in ApplicationStageChange.objects.filter(appeal=appeal).order_by("moved_at", "pk")}
    stages = list(Appeal.Stage)
    current = stages.index(Appeal.Stage(appeal.stage))
    return [{"stage": stage, "label": stage.label, "number": index + 1,
             "state": "done" if index < current else "current" if index == current else "ahead",
             "at": reached.get(stage.value) if index <= current else None}
            for index, stage in enumerate(stages)]
