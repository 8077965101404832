"""The participatory audit's states and the moves between them.

    planned → self_assessment → conversation → submitted → (moderation) → signed_off

"Send back" returns the audit to the previous holder with a comment: the auditor sends the
conversation back to the practitioner; whoever signs off, or the moderator, sends it back to the
auditor. A signed-off audit is locked: nothing moves it and nothing edits it.

``set_status`` is the only way to change an audit's status. It refuses illegal moves, claims the
move with a conditional update (two people pressing the button at once move it once), and records
who moved it and when. Who may make a move is decided in ``accounts.access``.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.models import Audit, AuditMove, AuditStatus

S = AuditStatus

FORWARD: dict[str, set[str]] = {
    S.PLANNED: {S.SELF_ASSESSMENT},
    S.SELF_ASSESSMENT: {S.CONVERSATION},
    S.CONVERSATION: {S.SUBMITTED},
    S.SUBMITTED: {S.MODERATION, S.SIGNED_OFF},
    S.MODERATION: {S.SIGNED_OFF},
    S.SIGNED_OFF: set(),
}
SEND_BACK: dict[str, str] = {
    S.CONVERSATION: S.SELF_ASSESSMENT,
    S.SUBMITTED: S.CONVERSATION,
    S.MODERATION: S.CONVERSATION,
}


class IllegalMove(ValidationError):
    """The audit cannot move from its state to the one asked for."""


def allowed_moves(status: str) -> set[str]:
    moves = set(FORWARD.get(status, set()))
    if status in SEND_BACK:
        moves.add(SEND_BACK[status])
    return moves


def is_send_back(from_status: str, to_status: str) -> bool:
    return SEND_BACK.get(from_status) == to_status


def _now():
    return timezone.now()


@transaction.atomic
def set_status(audit: Audit, to_status: str, *, acting_user, comment: str = "") -> AuditMove:
    """Move the audit; raises IllegalMove (with the reason) when the move is not allowed."""
    from_status = audit.status
    label = dict(S.choices)
    if to_status not in allowed_moves(from_status):
        raise IllegalMove(
            f"An audit that is {label[from_status].lower()} cannot move to {label.get(to_status, to_status).lower()}."
        )
    send_back = is_send_back(from_status, to_status)
    if send_back and not comment.strip():
        raise IllegalMove("Say why the audit is sent back: the comment goes to the person who gets it.")
    if from_status == S.SUBMITTED and to_status == S.SIGNED_OFF and audit.for_moderation:
        raise IllegalMove(
            "This audit was sampled for moderation: it is signed off after the moderator re-rates it."
        )
    if from_status == S.SUBMITTED and to_status == S.MODERATION and not audit.for_moderation:
        raise IllegalMove("This audit was not sampled for moderation.")
    now = _now()
    changes: dict = {"status": to_status, "revision": audit.revision + 1}
    if to_status == S.SUBMITTED:
        changes["submitted_at"] = now
    if to_status == S.SIGNED_OFF:
        changes["signed_off_at"] = now
        changes["signed_off_by"] = acting_user
    claimed = Audit.objects.filter(pk=audit.pk, status=from_status).update(**changes)
    if claimed != 1:
        raise IllegalMove("Someone else moved this audit a moment ago: reload the page to see where it is.")
    for name, value in changes.items():
        setattr(audit, name, value)
    return AuditMove.objects.create(
        audit=audit,
        from_status=from_status,
        to_status=to_status,
        moved_by=acting_user,
        comment=comment.strip(),
        is_send_back=send_back,
    )
