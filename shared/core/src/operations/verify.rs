use sitelink_validation::SiteToken;

use crate::error::ApiError;
use crate::model::{AuthorizedUser, Site};
use crate::ports::WebflowApi;
use crate::webflow::{SCOPE_AUTHORIZED_USER_READ, WebflowError};

/// The site and user Webflow reports for a working token.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub site: Site,
    pub authorized_user: AuthorizedUser,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenCheckError {
    #[error(transparent)]
    Webflow(#[from] WebflowError),
    #[error("the token sees {site_count} sites, not one")]
    NotASiteToken { site_count: usize },
}

impl From<TokenCheckError> for ApiError {
    fn from(error: TokenCheckError) -> Self {
        match error {
            TokenCheckError::Webflow(error) => error.into(),
            TokenCheckError::NotASiteToken { site_count } => Self::NotASiteToken { site_count },
        }
    }
}

/// Proves a token works by asking Webflow, concurrently, which site it is bound to and who
/// created it.
///
/// `GET /sites` decides whether the token is valid. When it accepts the token but
/// `GET /token/authorized_by` refuses it (401 or 403), the token is valid and only lacks
/// the "Authorized user: read-only" permission, so the result is a missing scope.
pub async fn verify_token<W: WebflowApi>(
    webflow: &W,
    token: &SiteToken,
) -> Result<VerifiedToken, TokenCheckError> {
    let (sites, user) = tokio::join!(webflow.sites(token), webflow.authorized_by(token));

    let sites = sites?;
    let [site] = sites.as_slice() else {
        return Err(TokenCheckError::NotASiteToken {
            site_count: sites.len(),
        });
    };
    let user = match user {
        Ok(user) => user,
        Err(WebflowError::TokenInvalid) => {
            return Err(WebflowError::MissingScope {
                scope: SCOPE_AUTHORIZED_USER_READ.to_owned(),
            }
            .into());
        }
        Err(other) => return Err(other.into()),
    };

    Ok(VerifiedToken {
        site: Site {
            id: site.id.clone(),
            display_name: site.display_name.clone(),
            short_name: site.short_name.clone(),
            workspace_id: site.workspace_id.clone(),
        },
        authorized_user: AuthorizedUser {
            id: user.id,
            email: user.email,
        },
    })
}
