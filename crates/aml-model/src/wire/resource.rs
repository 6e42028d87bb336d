//! Parts of the ARM resource envelope (common-types v3): SKU, system data, managed identity.

use serde_json::{Map, Value};

wire_object! {
    /// The SKU of a resource (common-types `Sku`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Sku {
        /// The SKU name, such as `P3`.
        pub name: Option<String> = "name",
        /// The tier (`Free`, `Basic`, `Standard`, `Premium`).
        pub tier: Option<String> = "tier",
        /// The SKU size.
        pub size: Option<String> = "size",
        /// The hardware generation.
        pub family: Option<String> = "family",
        /// The scale-out capacity.
        pub capacity: Option<i64> = "capacity",
    }
}

wire_object! {
    /// Who created and last modified a resource, and when (common-types `systemData`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SystemData {
        /// The identity that created the resource.
        pub created_by: Option<String> = "createdBy",
        /// The kind of that identity (`User`, `Application`, `ManagedIdentity`, `Key`).
        pub created_by_type: Option<String> = "createdByType",
        /// When the resource was created (RFC 3339 text, as sent).
        pub created_at: Option<String> = "createdAt",
        /// The identity that last modified the resource.
        pub last_modified_by: Option<String> = "lastModifiedBy",
        /// The kind of that identity.
        pub last_modified_by_type: Option<String> = "lastModifiedByType",
        /// When the resource was last modified (RFC 3339 text, as sent).
        pub last_modified_at: Option<String> = "lastModifiedAt",
    }
}

wire_object! {
    /// The managed identity of a resource (common-types `ManagedServiceIdentity`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ManagedServiceIdentity {
        /// `None`, `SystemAssigned`, `UserAssigned` or `SystemAssigned,UserAssigned`.
        pub type_: Option<String> = "type",
        /// The principal id of the system-assigned identity.
        pub principal_id: Option<String> = "principalId",
        /// The tenant id of the system-assigned identity.
        pub tenant_id: Option<String> = "tenantId",
        /// User-assigned identities, keyed by their ARM resource id (values may be `{}` in
        /// requests).
        pub user_assigned_identities: Option<Map<String, Value>> = "userAssignedIdentities",
    }
}
