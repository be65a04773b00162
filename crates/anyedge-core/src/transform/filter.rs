//! jq filters through jaq: compiling with positions, running with the
//! route's variables, and converting between `serde_json` and jaq values.

use jaq_core::box_iter::box_once;
use jaq_core::load::{lex, parse, Arena, File, Loader};
use jaq_core::{data, native, Compiler, Ctx, Exn, Native, Vars};
use jaq_json::Val;
use serde_json::{Map, Number, Value};

/// Global variables every filter sees, in the order [`Filter::run`] binds them.
pub(crate) const GLOBAL_VARS: [&str; 3] = ["$body", "$params", "$query"];

/// Deepest value converted back to JSON: deeper output is an error, not a
/// stack overflow.
const MAX_DEPTH: usize = 256;

type Data = data::JustLut<Val>;

/// A compiled filter.
pub(crate) struct Filter(jaq_core::Filter<Data>);

/// Where and why a filter does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompileError {
    /// 1-based line in the filter text.
    pub(crate) line: usize,
    /// 1-based column (in characters) in the filter text.
    pub(crate) column: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// Why a filter failed at run time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RunError {
    /// `error(v)` or a failing built-in: the error value.
    Raised(Value),
    /// `halt` or `halt_error`.
    Halted(i32),
    /// The filter gave no value (0) or more than one (2).
    Outputs(usize),
    /// The output is not representable as JSON.
    NotJson(String),
}

/// Line and 1-based character column of byte `offset` in `text`.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Byte offset of `part` inside `whole`, or the end when `part` is not a
/// slice of `whole` (jaq reports "end of input" with an empty slice).
fn offset_in(whole: &str, part: &str) -> usize {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    match p.checked_sub(w) {
        Some(off) if off + part.len() <= whole.len() => off,
        _ => whole.len(),
    }
}

fn error_at(code: &str, part: &str, message: String) -> CompileError {
    let (line, column) = position(code, offset_in(code, part));
    CompileError { line, column, message }
}

fn lex_message(e: &lex::Expect<&str>) -> String {
    match e {
        lex::Expect::Digit => "expected a digit".into(),
        lex::Expect::Ident => "expected an identifier".into(),
        lex::Expect::Delim(open) => format!("`{open}` is not closed"),
        lex::Expect::Escape => "invalid string escape sequence".into(),
        lex::Expect::Unicode => "expected a 4-digit hexadecimal code point".into(),
        _ => "unexpected character".into(),
    }
}

fn parse_message(e: &parse::Expect<&str>, found: &str) -> String {
    let found = if found.is_empty() {
        "the end of the filter".to_owned()
    } else {
        format!("`{}`", found.chars().take(20).collect::<String>())
    };
    format!("expected {}, found {found}", e.as_str())
}

/// A native filter that always fails: `now` reads a clock that panics on
/// `wasm32-unknown-unknown`, and `env` would expose the native host's
/// environment (secrets included). Replacing both keeps filters pure and the
/// same on every runtime.
fn unavailable<D: jaq_core::DataT>(name: &'static str) -> native::Fun<D>
where
    for<'a> D::V<'a>: jaq_core::ValT,
{
    let run: jaq_core::RunPtr<D> = |_| {
        box_once(Err(Exn::from(jaq_core::Error::str(
            "`now` and `env` are not available in anyedge filters",
        ))))
    };
    (name, native::v(0), Native::new(run))
}

fn funs() -> impl Iterator<Item = native::Fun<Data>> {
    jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, args, _)| !(args.is_empty() && matches!(*name, "now" | "env")))
        .chain([unavailable("now"), unavailable("env")])
}

impl Filter {
    /// Parses and compiles `code` with jq's standard library and [`GLOBAL_VARS`].
    pub(crate) fn compile(code: &str) -> Result<Filter, CompileError> {
        let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
        let arena = Arena::default();
        let modules = Loader::new(defs).load(&arena, File { code, path: () }).map_err(|errs| {
            let first = errs.into_iter().next().map(|(_, e)| e);
            match first {
                Some(jaq_core::load::Error::Lex(errs)) => match errs.first() {
                    // An unclosed delimiter is reported where it opens.
                    Some((expect @ lex::Expect::Delim(open), _)) => {
                        error_at(code, open, lex_message(expect))
                    }
                    Some((expect, at)) => error_at(code, at, lex_message(expect)),
                    None => error_at(code, "", "syntax error".into()),
                },
                Some(jaq_core::load::Error::Parse(errs)) => match errs.first() {
                    Some((expect, at)) => error_at(code, at, parse_message(expect, at)),
                    None => error_at(code, "", "syntax error".into()),
                },
                Some(jaq_core::load::Error::Io(_)) => {
                    error_at(code, "", "modules cannot be imported or included".into())
                }
                None => error_at(code, "", "syntax error".into()),
            }
        })?;
        Compiler::default()
            .with_funs(funs())
            .with_global_vars(GLOBAL_VARS)
            .compile(modules)
            .map(Filter)
            .map_err(|errs| match errs.into_iter().flat_map(|(_, errs)| errs).next() {
                Some((name, jaq_core::compile::Undefined::Filter(arity))) => {
                    error_at(code, name, format!("undefined filter {name}/{arity}"))
                }
                Some((name, undefined)) => {
                    error_at(code, name, format!("undefined {} {name}", undefined.as_str()))
                }
                None => error_at(code, "", "does not compile".into()),
            })
    }

    /// Runs the filter on `input` with `$body`, `$params` and `$query` bound;
    /// it must give exactly one value, which is returned as JSON.
    pub(crate) fn run(&self, input: Val, vars: [Val; 3]) -> Result<Value, RunError> {
        let ctx = Ctx::<Data>::new(&self.0.lut, Vars::new(vars));
        let mut outputs = self.0.id.run((ctx, input));
        let first = match outputs.next() {
            None => return Err(RunError::Outputs(0)),
            Some(r) => r.map_err(exn_to_error)?,
        };
        if let Some(second) = outputs.next() {
            second.map_err(exn_to_error)?;
            return Err(RunError::Outputs(2));
        }
        to_json(&first, 0).map_err(RunError::NotJson)
    }
}

fn exn_to_error(exn: Exn<'_, Val>) -> RunError {
    match exn.get_err() {
        Ok(err) => {
            let value = err.into_val();
            RunError::Raised(
                to_json(&value, 0).unwrap_or_else(|_| Value::String(value.to_string())),
            )
        }
        Err(exn) => RunError::Halted(exn.get_halt().unwrap_or(5)),
    }
}

/// A jaq value from JSON bytes (serde_json's parser: 128 levels at most).
pub(crate) fn from_json_slice(bytes: &[u8]) -> serde_json::Result<Val> {
    serde_json::from_slice(bytes)
}

/// A jaq string.
pub(crate) fn string(s: &str) -> Val {
    Val::utf8_str(s.as_bytes().to_vec())
}

/// A jaq object of strings.
pub(crate) fn object<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Val {
    Val::obj(pairs.into_iter().map(|(k, v)| (string(k), string(v))).collect())
}

fn number(n: &jaq_json::Num) -> Value {
    use jaq_json::Num;
    let float = |f: f64| {
        if f.is_nan() {
            // As jq: NaN prints as null, infinities as the largest finite numbers.
            Value::Null
        } else {
            Number::from_f64(f.clamp(f64::MIN, f64::MAX)).map_or(Value::Null, Value::Number)
        }
    };
    match n {
        Num::Int(i) => Value::Number(Number::from(*i as i64)),
        Num::Float(f) => float(*f),
        Num::BigInt(_) | Num::Dec(_) => {
            let text = n.to_string();
            match serde_json::from_str::<Number>(&text) {
                Ok(n) => Value::Number(n),
                Err(_) => float(text.parse().unwrap_or(f64::NAN)),
            }
        }
    }
}

/// Converts a jaq value to JSON: byte strings become (lossy UTF-8) strings;
/// objects with non-string keys and values nested deeper than [`MAX_DEPTH`]
/// are errors.
pub(crate) fn to_json(v: &Val, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the output is nested deeper than {MAX_DEPTH} levels"));
    }
    Ok(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => number(n),
        Val::TStr(b) | Val::BStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(a) => {
            Value::Array(a.iter().map(|x| to_json(x, depth + 1)).collect::<Result<_, _>>()?)
        }
        Val::Obj(o) => {
            let mut map = Map::with_capacity(o.len());
            for (k, x) in o.iter() {
                let key = match k {
                    Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
                    other => return Err(format!("object key {other} is not a string")),
                };
                map.insert(key, to_json(x, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: &str, input: &str) -> Result<Value, RunError> {
        let f = Filter::compile(code).unwrap();
        let vars = [string("b"), object([("id", "7")]), object([("q", "x")])];
        f.run(from_json_slice(input.as_bytes()).unwrap(), vars)
    }

    #[test]
    fn runs_with_variables() {
        assert_eq!(
            run("[., $body, $params.id, $query.q]", "1").unwrap(),
            serde_json::json!([1, "b", "7", "x"])
        );
        assert_eq!(
            run(".a | sort_by(-.) | map(. * 2)", r#"{"a":[1,3,2]}"#).unwrap(),
            serde_json::json!([6, 4, 2])
        );
        assert_eq!(run("1 / 0", "null").unwrap(), serde_json::json!(f64::MAX));
        assert_eq!(run("nan", "null").unwrap(), Value::Null);
        assert_eq!(
            run("12345678901234567890123", "null").unwrap().to_string(),
            "1.2345678901234568e+22"
        );
    }

    #[test]
    fn run_errors() {
        assert_eq!(run(r#"error("boom")"#, "null"), Err(RunError::Raised("boom".into())));
        assert_eq!(
            run(r#"error({field: "a"})"#, "null"),
            Err(RunError::Raised(serde_json::json!({"field": "a"})))
        );
        assert!(
            matches!(run(".a + 1", r#"{"a":[]}"#), Err(RunError::Raised(Value::String(s))) if s.contains("cannot"))
        );
        assert_eq!(run("empty", "null"), Err(RunError::Outputs(0)));
        assert_eq!(run("1, 2", "null"), Err(RunError::Outputs(2)));
        assert!(matches!(run("halt_error", "null"), Err(RunError::Halted(5))));
        assert!(matches!(run("now", "null"), Err(RunError::Raised(_))));
        assert!(matches!(run("env", "null"), Err(RunError::Raised(_))));
        assert!(matches!(run("{(1): 2}", "null"), Err(RunError::NotJson(_))));
        assert!(matches!(
            run("reduce range(300) as $i (0; [.])", "null"),
            Err(RunError::NotJson(_))
        ));
    }

    #[test]
    fn compile_errors_have_positions() {
        let e = |code| Filter::compile(code).err().unwrap();
        assert_eq!(
            e(".a | $x"),
            CompileError { line: 1, column: 6, message: "undefined variable $x".into() }
        );
        assert_eq!(e(".a |\n  nosuch(1)").message, "undefined filter nosuch/1");
        assert_eq!((e(".a |\n  nosuch(1)").line, e(".a |\n  nosuch(1)").column), (2, 3));
        let unclosed = e("[1, 2");
        assert_eq!((unclosed.line, unclosed.column), (1, 1));
        assert!(unclosed.message.contains("`[` is not closed"), "{unclosed:?}");
        let parse = e(".a | | .b");
        assert!(parse.message.starts_with("expected term"), "{parse:?}");
        assert_eq!(parse.column, 6);
        assert!(e("input").message.contains("input/0"));
        assert!(e("$__loc__").message.contains("$__loc__"));
        assert!(e("import \"m\" as m; .").message.contains("import"));
        assert!(e("").message.contains("end of the filter"));
    }
}
