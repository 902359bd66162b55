//! How much the service stores: a bounded number of connections, each field of a bounded size.
//! The bounds are generous for real credentials (an STS session token is often 1–2 KiB, so
//! 8 KiB are allowed) and keep a client from filling the disk or the memory of every listing.

use connector_core::{Connection, Error, ErrorKind, Result};

/// The most connections the store keeps.
pub const MAX_CONNECTIONS: usize = 1_000;

/// The longest value of each stored field, in bytes (UTF-8), with the field's input name.
pub const FIELD_LIMITS: [(&str, usize); 10] = [
    ("name", 256),
    ("connection.access_key_id", 128),
    ("connection.secret_access_key", 1024),
    ("connection.session_token", 8 * 1024),
    ("connection.region", 64),
    ("connection.endpoint_url", 2048),
    ("connection.role_arn", 2048),
    ("connection.external_id", 1224),
    ("connection.role_session_name", 64),
    ("connection.expiration", 64),
];

/// Refuses a connection with a field longer than its limit, naming the field.
pub fn check_fields(name: &str, connection: &Connection) -> Result<()> {
    let values: [Option<&str>; 10] = [
        Some(name),
        Some(&connection.access_key_id),
        Some(connection.secret_access_key.expose()),
        connection.session_token.as_ref().map(|t| t.expose()),
        Some(&connection.region),
        connection.endpoint_url.as_deref(),
        connection.role_arn.as_deref(),
        connection.external_id.as_deref(),
        connection.role_session_name.as_deref(),
        connection.expiration.as_deref(),
    ];
    for ((field, limit), value) in FIELD_LIMITS.iter().zip(values) {
        let length = value.map_or(0, str::len);
        if length > *limit {
            return Err(Error::invalid_input(
                *field,
                format!(
                    "{field} is {length} bytes long; the connection store keeps at most {limit} \
                     bytes"
                ),
            ));
        }
    }
    Ok(())
}

/// The refusal when the store is full.
pub fn full() -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "the connection store is full ({MAX_CONNECTIONS} connections, the most it keeps): \
             delete connections you no longer use (DELETE /v1/connections/{{id}}) and try again"
        ),
    )
    .with_retryable(false)
}
