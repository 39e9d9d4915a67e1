//! The regsight page's entry point: mounts [`regsight_ui::App`].

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(regsight_ui::App);
}
