//! The JS API: the `Client` class and `parseReference`, thin wrappers over [`ClientCore`] that read
//! JS options and return plain JS objects (`js.rs`).

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::client::{self, ClientCore};
use crate::error::ClientError;
use crate::js;

/// Parses an image reference like `docker pull` does.
#[wasm_bindgen(js_name = parseReference, unchecked_return_type = "ParsedReference")]
pub fn parse_reference(reference: &str) -> Result<JsValue, JsValue> {
    let parsed: regsight_core::reference::Reference = reference.parse().map_err(ClientError::from)?;
    js::to_js(&parsed)
}

/// A registry client: mirrors, credentials and a token cache shared by its calls.
#[wasm_bindgen]
pub struct Client {
    core: Rc<ClientCore>,
}

#[wasm_bindgen]
impl Client {
    /// A client with `options` (`mirrors`, `credentials`, `platform`, `concurrency`, `limits`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: Option<JsValue>,
    ) -> Result<Client, JsValue> {
        let settings = js::settings(&options.unwrap_or(JsValue::UNDEFINED))?;
        Ok(Client { core: Rc::new(ClientCore::new(settings)) })
    }

    /// Every tag of the reference's repository (all pages).
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn tags(
        &self,
        reference: String,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        self.call(reference, options, false, |core, reference, call| async move {
            let tags = core.tags(&reference, call.signal.as_ref()).await?;
            js::to_js(&tags)
        })
    }

    /// The manifest or index the reference names, and for an index its platforms and the chosen
    /// platform's manifest.
    #[wasm_bindgen(unchecked_return_type = "Promise<ManifestResult>")]
    pub fn manifest(
        &self,
        reference: String,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        self.call(reference, options, false, |core, reference, call| async move {
            let resolved = core.resolve(&reference, call.platform.as_ref(), call.signal.as_ref()).await?;
            js::manifest_result(&resolved)
        })
    }

    /// The image config of the reference (through its index for the chosen platform).
    #[wasm_bindgen(unchecked_return_type = "Promise<ConfigResult>")]
    pub fn config(
        &self,
        reference: String,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        self.call(reference, options, false, |core, reference, call| async move {
            let resolved = core.resolve(&reference, call.platform.as_ref(), call.signal.as_ref()).await?;
            let bytes = core.fetch_config(&resolved, call.signal.as_ref()).await?;
            js::config_result(&resolved, &bytes)
        })
    }

    /// Verifies the whole chain; resolves with `ok: false` when content is wrong, throws only when
    /// it cannot check at all.
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        reference: String,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyCallOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        self.call(reference, options, true, |core, reference, call| async move {
            let on_progress = |layer: usize, progress: regsight_core::verify::Progress| {
                js::report_progress(call.on_progress.as_ref(), layer, progress);
            };
            let verify_call = client::VerifyCall {
                platform: call.platform.clone(),
                signal: call.signal.as_ref(),
                list_files: call.list_files,
                on_progress: &on_progress,
                on_layer: &|_| {},
                expected_image_id: call.expected_image_id.clone(),
            };
            let verification = core.verify(&reference, verify_call).await?;
            js::verify_result(&verification)
        })
    }
}

impl Client {
    /// Runs one call as a JS promise: reads its options (with `verify`'s own keys when `verify`),
    /// parses the reference, then does `work`.
    fn call<F, Fut>(
        &self,
        reference: String,
        options: Option<JsValue>,
        verify: bool,
        work: F,
    ) -> js_sys::Promise
    where
        F: FnOnce(Rc<ClientCore>, regsight_core::Reference, js::CallOptions) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        let core = self.core.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let call = js::CallOptions::read(&options.unwrap_or(JsValue::UNDEFINED), verify)?;
            let reference = reference.parse().map_err(ClientError::from)?;
            work(core, reference, call).await
        })
    }
}
