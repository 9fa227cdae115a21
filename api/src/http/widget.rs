//! The operator panel (`iframe-widget/`), embedded in the binary and served at `/widget/`.
//!
//! The CRM frames `/widget/?organization=<id>`: the page's `Content-Security-Policy` lets only
//! that organization's CRM origins frame it (`frame-ancestors`, L2) and lets the panel frame
//! only the organization's integration slot (`frame-src`, L1). Without an organization the
//! panel still works as a page of its own (password sign-in) but nobody may frame it. Scripts
//! come only from the panel's own files: nothing inline, nothing from elsewhere.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use omnipanel_domain::crm::PanelEmbedding;
use omnipanel_domain::ids::OrganizationId;
use rust_embed::RustEmbed;
use serde::Deserialize;
use serde_json::json;

use super::header_text;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../iframe-widget/"]
#[exclude = "*.md"]
struct Assets;

const PAGE: &str = "index.html";
/// Where the page's settings go: a JSON data block, never executed.
const CONFIG_SLOT: &str = "{{CONFIG}}";

#[derive(Deserialize)]
pub struct PanelParams {
    organization: Option<String>,
}

/// `GET /widget`: the panel lives under `/widget/` (its files are relative to it).
pub async fn redirect(uri: axum::http::Uri) -> Redirect {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Redirect::permanent(&format!("/widget/{query}"))
}

/// `GET /widget/`: the panel's page.
pub async fn page(State(state): State<AppState>, Query(params): Query<PanelParams>) -> Response {
    let (organization_id, embedding) = match params.organization.as_deref() {
        None | Some("") => (None, PanelEmbedding::default()),
        Some(raw) => {
            let Ok(id) = raw.parse::<OrganizationId>() else {
                return not_found("No such organization");
            };
            match state.domain.crm().panel_embedding(id).await {
                Ok(embedding) => (Some(id), embedding),
                Err(error) if error.is_internal() => {
                    tracing::error!(?error, "panel settings unavailable");
                    return (StatusCode::SERVICE_UNAVAILABLE, "Try again later").into_response();
                }
                Err(_) => return not_found("No such organization"),
            }
        }
    };
    let Some(file) = Assets::get(PAGE) else {
        return not_found("The panel is not built into this binary");
    };
    let config = json!({
        "organizationId": organization_id,
        "hostOrigins": embedding.frame_ancestors,
        "crmSignIn": embedding.crm_sign_in,
    });
    // `<` escaped, the JSON cannot close the data block it sits in.
    let config = config.to_string().replace('<', "\\u003c");
    let body = String::from_utf8_lossy(&file.data).replace(CONFIG_SLOT, &config);
    // Never without its policy: a page that cannot say who may frame it is not served.
    let Ok(policy) = HeaderValue::from_str(&content_security_policy(&embedding)) else {
        tracing::error!(organization = ?organization_id, "the panel's policy is not a header value");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Try again later").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CONTENT_SECURITY_POLICY, policy),
        ],
        body,
    )
        .into_response()
}

/// The page's policy: its own scripts, styles, pictures (files and previews) and connections
/// (GraphQL over HTTP and WebSocket); framed only by the organization's CRM origins; framing
/// only the organization's integration slot.
pub fn content_security_policy(embedding: &PanelEmbedding) -> String {
    let sources = |origins: &[String]| {
        if origins.is_empty() {
            "'none'".to_owned()
        } else {
            origins.join(" ")
        }
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
         connect-src 'self'; frame-src {slot}; form-action 'none'; base-uri 'none'; \
         frame-ancestors {ancestors}",
        slot = sources(embedding.slot_origin.as_slice()),
        ancestors = sources(&embedding.frame_ancestors),
    )
}

/// `GET /widget/{*path}`: the panel's scripts and styles, revalidated by their digest.
pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if path == PAGE {
        return Redirect::permanent("/widget/").into_response();
    }
    let Some(file) = Assets::get(&path) else {
        return not_found("No such file");
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    let fresh = header_text(&headers, header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(header::CONTENT_TYPE, file.metadata.mimetype().to_owned())],
        file.data.into_owned(),
    )
        .into_response()
}

fn not_found(message: &'static str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_frames_a_panel_without_origins() {
        let policy = content_security_policy(&PanelEmbedding::default());
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("frame-src 'none';"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
    }

    #[test]
    fn the_organizations_origins_are_named() {
        let policy = content_security_policy(&PanelEmbedding {
            frame_ancestors: vec![
                "https://a.creatio.com".into(),
                "https://b.example.com".into(),
            ],
            slot_origin: Some("https://tools.example.com".into()),
            crm_sign_in: false,
        });
        assert!(
            policy.ends_with("frame-ancestors https://a.creatio.com https://b.example.com"),
            "{policy}"
        );
        assert!(
            policy.contains("frame-src https://tools.example.com;"),
            "{policy}"
        );
    }

    #[test]
    fn the_page_has_a_place_for_its_settings() {
        let page = Assets::get(PAGE).expect("index.html is embedded");
        assert!(String::from_utf8_lossy(&page.data).contains(CONFIG_SLOT));
        assert!(Assets::get("README.md").is_none());
    }
}
