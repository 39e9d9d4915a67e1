use leptos::prelude::*;
use regsight_core::ErrorCode;

use crate::state::Page;

/// A failure of the whole operation: its code, its message and, for NETWORK, what CORS has to do with it.
#[component]
pub fn ErrorPanel(page: Page) -> impl IntoView {
    move || {
        page.error.get().map(|error| {
            let cors = (error.code == ErrorCode::Network).then(|| {
                view! {
                    <div class="hint">
                        <p>
                            "The browser refused or could not complete the request. When the registry is up, this is almost always "
                            <strong>"CORS"</strong>
                            ": a page may only read a registry's answers if the registry sends "
                            <code>"Access-Control-Allow-Origin"</code>
                            " (and answers the preflight for "
                            <code>"Authorization"</code>
                            " and "
                            <code>"Accept"</code>
                            "). Most public registries do not."
                        </p>
                        <p data-testid="cors-fix">
                            "The fix that works for every registry: serve this page as a "
                            <strong>"regsight site with its gateway"</strong>
                            " (" <code>"cargo xtask site --upstream <registry>"</code>
                            ", see deploy/README.md). The page then reaches the registry through its own origin, "
                            "and the gateway follows blob redirects and proxies the token service. "
                            "Otherwise fix it on the registry (distribution's " <code>"http.headers"</code>
                            ", or the nginx front in deploy/), or use a CORS-enabled mirror in Options."
                        </p>
                        <pre>
                            "add_header Access-Control-Allow-Origin $http_origin always;\n"
                            "add_header Access-Control-Allow-Headers \"Authorization, Accept\" always;\n"
                            "add_header Access-Control-Expose-Headers \"Docker-Content-Digest, Link, WWW-Authenticate\" always;"
                        </pre>
                    </div>
                }
            });
            view! {
                <section class="error" data-testid="error" role="alert">
                    <h2>"Could not complete: " <code>{error.code.as_str()}</code></h2>
                    <p>{error.message.clone()}</p>
                    {cors}
                </section>
            }
        })
    }
}
