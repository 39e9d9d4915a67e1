use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::state::Page;

/// The reference input, the options, Verify and Cancel.
#[component]
pub fn ReferenceForm(page: Page) -> impl IntoView {
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        page.start(true);
    };
    view! {
        <form class="reference" on:submit=on_submit>
            <label class="wide">
                "Image reference"
                <input
                    type="text"
                    data-testid="reference"
                    placeholder="registry.example/repo:tag or python:3.12"
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || page.reference.get()
                    on:input=move |ev| page.reference.set(event_target_value(&ev))
                />
            </label>
            <label>
                "Image ID you have (optional)"
                <input
                    type="text"
                    data-testid="image-id"
                    placeholder="f67e752245d6 (from docker images)"
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || page.image_id.get()
                    on:input=move |ev| page.image_id.set(event_target_value(&ev))
                />
            </label>
            <div class="buttons">
                <button type="submit" data-testid="verify" disabled=move || page.reference.with(|r| r.trim().is_empty())>
                    "Verify"
                </button>
                <button type="button" data-testid="inspect" on:click=move |_| page.start(false)>"Inspect"</button>
                <button type="button" data-testid="cancel" disabled=move || !page.busy.get() on:click=move |_| page.cancel()>
                    "Cancel"
                </button>
            </div>
            <fieldset class="login">
                <legend>"Sign in to the registry in use (optional; kept in this tab's memory only)"</legend>
                <label>
                    "Username"
                    <input
                        type="text"
                        data-testid="username"
                        autocomplete="username"
                        prop:value=move || page.login.with(|l| l.username.clone())
                        on:input=move |ev| page.login.update(|l| l.username = event_target_value(&ev))
                    />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        data-testid="password"
                        autocomplete="current-password"
                        prop:value=move || page.login.with(|l| l.password.clone())
                        on:input=move |ev| page.login.update(|l| l.password = event_target_value(&ev))
                    />
                </label>
                <label>
                    "or a token"
                    <input
                        type="password"
                        data-testid="token"
                        autocomplete="off"
                        prop:value=move || page.login.with(|l| l.token.clone())
                        on:input=move |ev| page.login.update(|l| l.token = event_target_value(&ev))
                    />
                </label>
            </fieldset>
            <details class="options">
                <summary>"Options"</summary>
                <label>
                    "Mirror for docker.io (a CORS-enabled base URL)"
                    <input
                        type="url"
                        placeholder="https://mirror.example"
                        prop:value=move || page.mirror.get()
                        on:input=move |ev| page.mirror.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Platform for multi-arch images"
                    <input
                        type="text"
                        placeholder="linux/amd64"
                        prop:value=move || page.platform.get()
                        on:input=move |ev| page.platform.set(event_target_value(&ev))
                    />
                </label>
            </details>
        </form>
    }
}
