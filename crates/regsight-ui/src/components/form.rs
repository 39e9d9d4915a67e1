use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::session::{Login, registry_of};
use crate::state::Page;

/// The reference input, the options, Verify and Cancel. Enter in any field verifies.
#[component]
pub fn ReferenceForm(page: Page) -> impl IntoView {
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        page.start(true);
    };
    // The sign-in is kept in this tab's sessionStorage while (and only while) "remember" is on:
    // written as it is typed, removed the moment the box is unchecked.
    Effect::new(move |_| {
        let login = page.login.get();
        Login::remember(page.remember.get().then_some(&login));
    });
    let registry = move || {
        let registry = page.reference.with(|r| registry_of(r));
        if registry.is_empty() { "the registry in use".to_owned() } else { registry }
    };
    // A sign-in typed for another registry is not sent to this one: say so.
    let elsewhere = move || {
        let registry = page.reference.with(|r| registry_of(r));
        page.login
            .with(|l| (l.is_given() && !l.registry.is_empty() && l.registry != registry).then(|| l.registry.clone()))
            .map(|other| {
                view! {
                    <p class="small bad" data-testid="login-elsewhere">
                        "The sign-in below is for " {other} ": it is not sent to this registry. Type it again to use it here."
                    </p>
                }
            })
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
                <button type="submit" data-testid="verify" disabled=move || !page.loaded.get() || page.reference.with(|r| r.trim().is_empty())>
                    "Verify"
                </button>
                <button type="button" data-testid="inspect" disabled=move || !page.loaded.get() on:click=move |_| page.start(false)>"Inspect"</button>
                <button type="button" data-testid="cancel" disabled=move || !page.busy.get() on:click=move |_| page.cancel()>
                    "Cancel"
                </button>
            </div>
            <fieldset class="login">
                <legend>"Sign in to " <span data-testid="login-registry">{registry}</span> " (optional; kept in this tab's memory only)"</legend>
                {elsewhere}
                <LoginField page label="Username" kind="text" testid="username" autocomplete="username"
                    get=|l| &l.username set=|l| &mut l.username />
                <LoginField page label="Password" kind="password" testid="password" autocomplete="current-password"
                    get=|l| &l.password set=|l| &mut l.password />
                <LoginField page label="or a token" kind="password" testid="token" autocomplete="off"
                    get=|l| &l.token set=|l| &mut l.token />
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="remember"
                        prop:checked=move || page.remember.get()
                        on:change=move |ev| page.remember.set(event_target_checked(&ev))
                    />
                    "Remember in this tab (sessionStorage, gone when the tab closes)"
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

/// One input of the sign-in fieldset, bound to one field of the page's [`Login`].
#[component]
fn LoginField(
    page: Page,
    label: &'static str,
    kind: &'static str,
    testid: &'static str,
    autocomplete: &'static str,
    get: fn(&Login) -> &String,
    set: fn(&mut Login) -> &mut String,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                type=kind
                data-testid=testid
                autocomplete=autocomplete
                prop:value=move || page.login.with(|l| get(l).clone())
                on:input=move |ev| {
                    let registry = page.reference.with_untracked(|r| registry_of(r));
                    page.login.update(|l| {
                        *set(l) = event_target_value(&ev);
                        l.registry = registry;
                    })
                }
            />
        </label>
    }
}
