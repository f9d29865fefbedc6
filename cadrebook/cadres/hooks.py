"""What cadre records tell the capabilities below them, registered by `apps.py` at start-up
through the hooks the inspections app left (`inspections.services.discipline`):

- `POST_HOLDER_HOOKS`: whether a member holds a post on a day (a removal from post is a form
  of discipline only for a member who holds one);
- `POST_REMOVAL_HOOKS`: a decided removal from post ends the member's posts, for removal by
  discipline, in the decision's transaction;
- `POST_RESTORE_HOOKS`: a removal from post annulled on appeal (or changed to a form that is
  no removal from post) voids the ends it caused and runs the posts again, in the appeal
  decision's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cadrebook.cadres import selectors


def member_holds_post(member: Any, day: dt.date) -> bool:
    return selectors.holds_post(member, day)


def end_posts_on_removal(actor: Any, discipline: Any) -> None:
    from cadrebook.cadres.services import holdings_end_by_discipline

    holdings_end_by_discipline(actor=actor, discipline=discipline)


def restore_posts_on_annulment(actor: Any, discipline: Any, reason: str, document: str) -> None:
    from cadrebook.cadres.services import holdings_restore_by_appeal

    holdings_restore_by_appeal(
        actor=actor, discipline=discipline, reason=reason, document_text=document
    )


def register() -> None:
    """Fill the inspections' hooks (once, however often it is called)."""
    from cadrebook.inspections.services.discipline import (
        POST_HOLDER_HOOKS,
        POST_REMOVAL_HOOKS,
        POST_RESTORE_HOOKS,
    )

    if member_holds_post not in POST_HOLDER_HOOKS:
        POST_HOLDER_HOOKS.append(member_holds_post)
    if end_posts_on_removal not in POST_REMOVAL_HOOKS:
        POST_REMOVAL_HOOKS.append(end_posts_on_removal)
    if restore_posts_on_annulment not in POST_RESTORE_HOOKS:
        POST_RESTORE_HOOKS.append(restore_posts_on_annulment)
