"""Which roles may do what, where the rule is a role rather than a department."""

from __future__ import annotations

from collections.abc import Collection

from plaint.errors import PermissionDeniedError
from plaint.service.directory import StaffIdentity

__all__ = ["MANAGER_ROLES", "RoleRequiredError", "require_role"]

# A property manager (物业经理) and above: may go beyond the limits others work within.
MANAGER_ROLES = frozenset({"property_manager", "regional_manager", "admin"})


class RoleRequiredError(PermissionDeniedError):
    """The acting member's role does not allow the action (``code`` "role_not_allowed")."""

    code = "role_not_allowed"


def require_role(actor: StaffIdentity, roles: Collection[str], *, action: str) -> None:
    """Raise RoleRequiredError unless ``actor``'s role is one of ``roles``."""
    if actor.role not in roles:
        raise RoleRequiredError(f"role {actor.role} may not {action}")
