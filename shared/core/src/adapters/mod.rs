//! AWS adapters behind the storage ports.

mod dynamodb;
mod secrets_manager;

pub use dynamodb::DynamoAccountStore;
pub use secrets_manager::SecretsManagerStore;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;

use crate::ports::{BoxError, StoreError};

/// Error codes that AWS services use for throttling.
const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

/// Wraps an SDK error, keeping it as the source and telling throttling apart.
pub(crate) fn store_error<E>(service: &'static str, operation: &'static str, error: E) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let throttled = error
        .code()
        .is_some_and(|code| THROTTLING_CODES.contains(&code));
    let source: BoxError = Box::new(error);
    if throttled {
        StoreError::Throttled {
            service,
            operation,
            source,
        }
    } else {
        StoreError::Failed {
            service,
            operation,
            source,
        }
    }
}
