use leptos::prelude::*;
use regsight_core::{BaseUrl, ErrorCode};

use crate::session::registry_of;
use crate::state::Page;

/// Registries `cargo xtask site --upstream NAME` knows without a URL (xtask/src/site.rs `WELL_KNOWN`).
const WELL_KNOWN: [&str; 8] = [
    "docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "registry.k8s.io",
    "mcr.microsoft.com",
    "public.ecr.aws",
    "registry.gitlab.com",
];

/// A failure of the whole operation: its code, its message (registry text, shown as text), for
/// UNAUTHORIZED and DENIED a pointer to the sign-in, and for NETWORK what CORS has to do with it
/// and the three ways to fix it.
#[component]
pub fn ErrorPanel(page: Page) -> impl IntoView {
    move || {
        page.error.get().map(|error| {
            let cors = (error.code == ErrorCode::Network).then(|| cors_fix(page));
            let signed_in = page.login.with_untracked(|l| !l.username.trim().is_empty() || !l.token.trim().is_empty());
            let sign_in = matches!(error.code, ErrorCode::Unauthorized | ErrorCode::Denied).then(|| {
                let text = if signed_in {
                    "The registry refused the sign-in above: check the username and password, or the token."
                } else {
                    "This registry wants a sign-in: type a username and password, or a token, above and press Verify."
                };
                view! { <p class="hint" data-testid="sign-in-hint">{text}</p> }
            });
            view! {
                <section class="error" data-testid="error" role="alert">
                    <h2>"Could not complete: " <code>{error.code.as_str()}</code></h2>
                    <p>{error.message.clone()}</p>
                    {sign_in}
                    {cors}
                </section>
            }
        })
    }
}

/// Why a NETWORK failure is usually CORS, and the exact fixes for the registry in use: the
/// site's gateway, the registry's `http.headers`, or the nginx front in `deploy/nginx/`.
fn cors_fix(page: Page) -> impl IntoView {
    let registry = registry_of(&page.reference.get_untracked());
    let registry = if registry.is_empty() { "REGISTRY".to_owned() } else { registry };
    let upstream = if WELL_KNOWN.contains(&registry.as_str()) {
        registry.clone()
    } else {
        let origin = BaseUrl::for_registry(&registry)
            .map(|b| b.origin().to_string())
            .unwrap_or_else(|_| format!("https://{registry}"));
        format!("{registry}={origin}")
    };
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_else(|| "*".into());
    let headers = format!(
        "http:\n  headers:\n    Access-Control-Allow-Origin: [\"{origin}\"]\n    \
         Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]\n    \
         Access-Control-Allow-Headers: [Authorization, Accept, Range, If-None-Match]\n    \
         Access-Control-Expose-Headers: [WWW-Authenticate, Docker-Content-Digest, Link, Content-Length, Content-Range, ETag]"
    );
    view! {
        <div class="hint" data-testid="cors-fix">
            <p>
                "The browser refused or could not complete the request. When the registry is up, this is almost always "
                <strong>"CORS"</strong>
                ": a page may only read a registry's answers if the registry sends "
                <code>"Access-Control-Allow-Origin"</code>
                " (and answers the preflight for " <code>"Authorization"</code> " and " <code>"Accept"</code>
                "). Most public registries do not. Any one of these fixes it:"
            </p>
            <ol class="fixes">
                <li>
                    <strong>"Serve this page as a regsight site with its gateway"</strong>
                    " (works for every registry, yours or not): the page then reaches the registry through its own origin."
                    <pre>"cargo xtask site --out ./regsight-site --upstream " {upstream}</pre>
                    "See " <code>"deploy/README.md"</code> "."
                </li>
                <li>
                    <strong>"A registry you run, without auth"</strong>
                    ": add CORS headers to its config.yml ("
                    <code>"http.headers"</code>
                    "):"
                    <pre>{headers}</pre>
                </li>
                <li>
                    <strong>"A registry you run, with token or htpasswd auth"</strong>
                    ": it answers the preflight 401, so put nginx in front: "
                    <code>"deploy/nginx/registry-server.conf"</code>
                    " (a server block that includes "
                    <code>"deploy/nginx/regsight-cors.conf"</code>
                    ")."
                </li>
            </ol>
            <p class="muted small">"For docker.io, a CORS-enabled mirror in Options works too."</p>
        </div>
    }
}
