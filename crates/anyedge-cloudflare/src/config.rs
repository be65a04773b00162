//! Configuration over the Worker's `Env` ([`EnvConfig`]): `[vars]` and
//! `--var` values as variables, secrets (`wrangler secret put`, `.dev.vars`)
//! as [`Secret`](anyedge_core::Secret)s.

/// Reads variables with `env.var` and secrets with `env.secret`. A binding
/// that is missing or not a string reads as not set.
#[derive(Debug, Clone)]
pub struct EnvConfig {
    #[cfg(target_arch = "wasm32")]
    env: worker::Env,
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::{Config, Secret};
    use worker::js_sys::Reflect;
    use worker::wasm_bindgen::JsValue;

    use super::EnvConfig;

    impl EnvConfig {
        /// Configuration read from `env`.
        pub fn new(env: worker::Env) -> Self {
            EnvConfig { env }
        }

        /// The Worker's environment, for bindings anyedge does not wrap (KV, D1, …).
        pub fn env(&self) -> &worker::Env {
            &self.env
        }
    }

    impl EnvConfig {
        /// The binding `name` when it is a string (vars and secrets both are).
        /// One property read: unlike `Env::var`, a missing binding costs no
        /// error value.
        fn string(&self, name: &str) -> Option<String> {
            Reflect::get(&self.env, &JsValue::from_str(name))
                .ok()?
                .as_string()
        }
    }

    impl Config for EnvConfig {
        fn var(&self, name: &str) -> Option<String> {
            self.string(name)
        }

        fn secret(&self, name: &str) -> Option<Secret> {
            self.string(name).map(Secret::new)
        }
    }
}
