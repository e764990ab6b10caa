"""Who may do what to a ticket, in one place for the REST API and the CLI.

- **See and act.** Members and department heads see and act on their own department's
  tickets only; the desk, the property and regional managers and admins on every ticket
  (:func:`plaint.service.directory.can_see_department`). Another department's ticket is
  answered as if it did not exist (NotFoundError), so a number reveals nothing.
- **Acknowledge an escalation.** Everyone who sees the ticket except plain members: an
  acknowledgement stops the escalation ladder, which is the heads' and managers' call
  (PermissionDeniedError for a member).
- **The resident's contact** (phone number, email address, building and unit). The desk,
  managers and admins see it on every ticket (they call residents back); the head of the
  ticket's department sees it (they arrange the visit); a member sees it only on a ticket
  assigned to them (they are the one at the door). Everyone else who may see the ticket
  sees the resident's name and community only: the fewest people hold the contact.
"""

from __future__ import annotations

from plaint.errors import NotFoundError, PermissionDeniedError
from plaint.models import Ticket
from plaint.service.directory import StaffIdentity, can_see_department

__all__ = [
    "ACKNOWLEDGING_ROLES",
    "may_acknowledge",
    "require_acknowledger",
    "require_visible",
    "sees_contact",
]

# The roles that may acknowledge an escalation (every role but ``member``).
ACKNOWLEDGING_ROLES = frozenset(
    {"department_head", "property_manager", "regional_manager", "desk", "admin"}
)
# The roles that handle a resident's contact on every ticket they see.
_CONTACT_ROLES = frozenset({"property_manager", "regional_manager", "desk", "admin"})


def require_visible(who: StaffIdentity, ticket: Ticket) -> Ticket:
    """Return ``ticket`` if ``who`` may see it; raise NotFoundError (the same error as for
    a number that does not exist) otherwise."""
    if not can_see_department(who, ticket.department.code):
        raise NotFoundError(f"no ticket numbered {ticket.number!r}")
    return ticket


def may_acknowledge(who: StaffIdentity) -> bool:
    """Whether ``who``'s role may acknowledge an escalation."""
    return who.role in ACKNOWLEDGING_ROLES


def require_acknowledger(who: StaffIdentity) -> None:
    """Raise PermissionDeniedError unless ``who`` may acknowledge an escalation."""
    if not may_acknowledge(who):
        raise PermissionDeniedError(
            f"{who.code} ({who.role}) may not acknowledge an escalation: a department head, "
            "a manager, the desk or an admin does"
        )


def sees_contact(who: StaffIdentity, ticket: Ticket) -> bool:
    """Whether ``who`` (who may see ``ticket``) may see its resident's phone number, email
    address, building and unit (the module docstring says why)."""
    if who.role in _CONTACT_ROLES:
        return True
    if who.role == "department_head":
        return can_see_department(who, ticket.department.code)
    return ticket.assignee is not None and ticket.assignee == who.code
