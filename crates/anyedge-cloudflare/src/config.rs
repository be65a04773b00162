//! [`CloudflareConfig`]: configuration over the Worker's `Env`: `[vars]` and
//! `--var` values as variables, secrets (`wrangler secret put`, `.dev.vars`)
//! as [`Secret`](anyedge_core::Secret)s.

/// Reads variables and secrets from the Worker's `Env`. A binding that is
/// missing or not a string reads as not set.
#[derive(Debug, Clone)]
pub struct CloudflareConfig {
    #[cfg(target_arch = "wasm32")]
    env: worker::Env,
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::{Config, Secret};
    use worker::js_sys::Reflect;
    use worker::wasm_bindgen::JsValue;

    use super::CloudflareConfig;

    impl CloudflareConfig {
        /// Configuration read from `env`.
        pub fn new(env: worker::Env) -> Self {
            CloudflareConfig { env }
        }

        /// The Worker's environment, for bindings anyedge does not wrap (KV, D1, …).
        pub fn env(&self) -> &worker::Env {
            &self.env
        }

        /// The binding `name` when it is a string (vars and secrets both are).
        /// One property read: unlike `Env::var`, a missing binding costs no
        /// error value.
        fn string(&self, name: &str) -> Option<String> {
            Reflect::get(&self.env, &JsValue::from_str(name)).ok()?.as_string()
        }
    }

    impl Config for CloudflareConfig {
        fn var(&self, name: &str) -> Option<String> {
            self.string(name)
        }

        fn secret(&self, name: &str) -> Option<Secret> {
            self.string(name).map(Secret::new)
        }
    }
}
