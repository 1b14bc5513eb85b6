"""The consent face as a source of data-subject data (access and erasure requests).

Consent records are keyed by consent id, which requesters give on the contact
form; the e-mail address is never part of a consent record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from gateway.consent import services
from gateway.timeutil import utcnow


def export_consent(
    session: Session, _email: str, consent_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Every kept record of the requester's consent ids, oldest first."""
    return services.records_for(session, consent_ids)


def erase_consent(session: Session, _email: str, consent_ids: Sequence[str]) -> int:
    """Withdraw what is still granted, then reduce every record to its chain link."""
    return services.erase_consents(session, consent_ids, utcnow())
