//! Who is asking. Every request resolves once to an `Actor`; every service takes it and checks
//! the role or scope it needs here, beside the rules, never in resolvers (ARCHITECTURE.md 1).

use crate::enums::{ApiKeyScope, Role};
use crate::error::{DomainError, Result};
use crate::ids::{ApiKeyId, OperatorId, OrganizationId, SessionId};

/// An authenticated caller, always inside one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub organization_id: OrganizationId,
    pub principal: Principal,
}

/// A person (through a session) or a machine client (through an API key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    Operator {
        id: OperatorId,
        role: Role,
        session_id: Option<SessionId>,
    },
    ApiKey {
        id: ApiKeyId,
        scope: ApiKeyScope,
    },
}

impl Actor {
    /// The signed-in operator; machine clients are refused.
    pub fn operator(&self) -> Result<(OperatorId, Role)> {
        match self.principal {
            Principal::Operator { id, role, .. } => Ok((id, role)),
            Principal::ApiKey { .. } => Err(DomainError::forbidden(
                "This operation is for signed-in operators, not API keys",
            )),
        }
    }

    /// An operator of at least `role`.
    pub fn require_role(&self, role: Role) -> Result<(OperatorId, Role)> {
        let (id, own) = self.operator()?;
        if own.at_least(role) {
            Ok((id, own))
        } else {
            Err(DomainError::forbidden(format!(
                "This operation needs the {} role or higher",
                role.as_str()
            )))
        }
    }

    /// An administrator: an operator with role ADMIN or OWNER, or an API key of scope ADMIN.
    pub fn require_admin(&self) -> Result<()> {
        match self.principal {
            Principal::ApiKey {
                scope: ApiKeyScope::Admin,
                ..
            } => Ok(()),
            Principal::ApiKey { .. } => Err(DomainError::forbidden(
                "This operation needs an API key of scope ADMIN",
            )),
            Principal::Operator { .. } => self.require_role(Role::Admin).map(|_| ()),
        }
    }

    /// A machine client of `scope`, or (where `operators_too`) any signed-in operator.
    pub fn require_scope(&self, scope: ApiKeyScope) -> Result<()> {
        match self.principal {
            Principal::ApiKey { scope: own, .. } if own == scope => Ok(()),
            _ => Err(DomainError::forbidden(format!(
                "This operation needs an API key of scope {}",
                scope.as_str()
            ))),
        }
    }

    /// The operator's id, if a person is asking.
    pub fn operator_id(&self) -> Option<OperatorId> {
        match self.principal {
            Principal::Operator { id, .. } => Some(id),
            Principal::ApiKey { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(role: Role) -> Actor {
        Actor {
            organization_id: OrganizationId::new(),
            principal: Principal::Operator {
                id: OperatorId::new(),
                role,
                session_id: None,
            },
        }
    }

    fn key(scope: ApiKeyScope) -> Actor {
        Actor {
            organization_id: OrganizationId::new(),
            principal: Principal::ApiKey {
                id: ApiKeyId::new(),
                scope,
            },
        }
    }

    #[test]
    fn administration_needs_admin_role_or_admin_key() {
        let admin = |actor: Actor| actor.require_admin();
        assert!(admin(operator(Role::Owner)).is_ok());
        assert!(admin(operator(Role::Admin)).is_ok());
        assert!(matches!(
            admin(operator(Role::Manager)),
            Err(DomainError::Forbidden(_))
        ));
        assert!(admin(key(ApiKeyScope::Admin)).is_ok());
        assert!(matches!(
            admin(key(ApiKeyScope::Chatbot)),
            Err(DomainError::Forbidden(_))
        ));
    }

    #[test]
    fn roles_and_scopes() {
        assert!(
            key(ApiKeyScope::Admin).operator().is_err(),
            "a key is no operator"
        );
        let supervisor = |role| operator(role).require_role(Role::Supervisor).is_ok();
        assert!(!supervisor(Role::Operator));
        assert!(supervisor(Role::Supervisor));
        let crm = |actor: Actor| actor.require_scope(ApiKeyScope::Crm).is_ok();
        assert!(crm(key(ApiKeyScope::Crm)));
        assert!(!crm(operator(Role::Owner)));
    }
}
