"""ORM models, one module per table family, all on one `Base`."""

from maxwork_leads.models.base import Base
from maxwork_leads.models.credentials import Credential
from maxwork_leads.models.directory import Agency, DirectoryEpoch, Listing, User
from maxwork_leads.models.integration import IdempotencyKey, IntegrationRequest
from maxwork_leads.models.leads import Contact, Lead, LeadActivity, LeadLink, Qualification
from maxwork_leads.models.operators import Operator, OperatorSession
from maxwork_leads.models.privacy import Erasure

__all__ = [
    "Agency",
    "Base",
    "Contact",
    "Credential",
    "DirectoryEpoch",
    "Erasure",
    "IdempotencyKey",
    "IntegrationRequest",
    "Lead",
    "LeadActivity",
    "LeadLink",
    "Listing",
    "Operator",
    "OperatorSession",
    "Qualification",
    "User",
]
