//! Wasm values as command-line text: parsing `--invoke` arguments by parameter type and printing
//! results so that they parse back to the same bits.
//!
//! - `i32`/`i64`: decimal (optionally signed) or `0x` hexadecimal; anything from the signed
//!   minimum to the unsigned maximum is accepted (so `0xffffffff` and `-1` are the same `i32`).
//!   Printed as signed decimal.
//! - `f32`/`f64`: decimal or scientific notation, `inf`, `-inf`, `nan`, `-nan`, and `nan:0xP` for a
//!   NaN with payload `P`. Printed in the shortest form that round-trips (`1.0`, `1e30`, `nan`).
//! - `v128`: the vector as one 128-bit integer (lane 0 in the least significant bits), `0x` hexadecimal
//!   or decimal. Printed as `0x` and 32 hexadecimal digits.
//! - References: only null can be passed, as `null` (or `ref.null`) for a nullable reference type (a
//!   function, host value or exception has no text form); results print as `ref.null func`, `funcref`,
//!   `ref.null exn`, `exnref`, and so on.

use wasmvm::{Val, ValType};

/// Parse `text` as a value of type `ty`.
pub fn parse_val(text: &str, ty: ValType) -> Result<Val, String> {
    let bad = || format!("invalid {ty} argument '{text}'");
    Ok(match ty {
        ValType::I32 => {
            let v = parse_int(text).ok_or_else(bad)?;
            if v < i128::from(i32::MIN) || v > i128::from(u32::MAX) {
                return Err(format!("{} (out of range)", bad()));
            }
            Val::I32(v as i32)
        }
        ValType::I64 => {
            let v = parse_int(text).ok_or_else(bad)?;
            if v < i128::from(i64::MIN) || v > i128::from(u64::MAX) {
                return Err(format!("{} (out of range)", bad()));
            }
            Val::I64(v as i64)
        }
        ValType::F32 => {
            Val::F32(parse_float(text, 23, |s| s.parse::<f32>().ok().map(|f| u64::from(f.to_bits()))).ok_or_else(bad)?
                as u32)
        }
        ValType::F64 => Val::F64(parse_float(text, 52, |s| s.parse::<f64>().ok().map(f64::to_bits)).ok_or_else(bad)?),
        ValType::V128 => {
            let v = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) if !hex.is_empty() && !hex.starts_with(['+', '-']) => u128::from_str_radix(hex, 16).ok(),
                Some(_) => None,
                None if !text.starts_with(['+', '-']) => text.parse::<u128>().ok(),
                None => None,
            };
            Val::V128(v.ok_or_else(bad)?)
        }
        ValType::FuncRef | ValType::ExternRef | ValType::ExnRef | ValType::Ref(_) => match ty.as_ref() {
            Some(r) if r.nullable && matches!(text, "null" | "ref.null") => {
                if r.heap.is_func() {
                    Val::FuncRef(None)
                } else if r.heap.is_exn() {
                    Val::ExnRef(None)
                } else if r.heap.is_any() {
                    Val::AnyRef(None)
                } else {
                    Val::ExternRef(None)
                }
            }
            _ => return Err(format!("cannot pass a {ty} argument '{text}' from the command line (only null)")),
        },
    })
}

/// Signed decimal or `0x` hexadecimal.
fn parse_int(text: &str) -> Option<i128> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && !hex.starts_with(['+', '-']) => u64::from_str_radix(hex, 16).ok()?,
        Some(_) => return None,
        None if !digits.is_empty() && !digits.starts_with(['+', '-']) => digits.parse::<u64>().ok()?,
        None => return None,
    };
    let m = i128::from(magnitude);
    Some(if neg { -m } else { m })
}

/// A float's bits from text; `mantissa` is the number of mantissa bits of the format.
fn parse_float(text: &str, mantissa: u32, parse: impl Fn(&str) -> Option<u64>) -> Option<u64> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let exp_bits = if mantissa == 23 { 8 } else { 11 };
    let sign_bit = 1u64 << (mantissa + exp_bits);
    let exp_mask = ((1u64 << exp_bits) - 1) << mantissa;
    let payload = if body.eq_ignore_ascii_case("nan") {
        Some(1u64 << (mantissa - 1))
    } else if let Some(hex) = body.strip_prefix("nan:0x") {
        let p = u64::from_str_radix(hex, 16).ok()?;
        if p == 0 || p >= 1 << mantissa {
            return None;
        }
        Some(p)
    } else {
        None
    };
    let bits = match payload {
        Some(p) => exp_mask | p,
        None => {
            if body.starts_with(['+', '-']) || body.is_empty() {
                return None;
            }
            parse(body)?
        }
    };
    Some(if sign { bits ^ sign_bit } else { bits })
}

/// Text for a value, as `parse_val` reads it back.
pub fn format_val(v: &Val) -> String {
    match *v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => {
            let f = f32::from_bits(bits);
            if f.is_nan() { format_nan(u64::from(bits), 23, 8) } else { format!("{f:?}") }
        }
        Val::F64(bits) => {
            let f = f64::from_bits(bits);
            if f.is_nan() { format_nan(bits, 52, 11) } else { format!("{f:?}") }
        }
        Val::V128(v) => format!("{v:#034x}"),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(_)) => "externref".into(),
        Val::ExnRef(None) => "ref.null exn".into(),
        Val::ExnRef(Some(_)) => "exnref".into(),
        Val::AnyRef(None) => "ref.null any".into(),
        Val::AnyRef(Some(a)) => match a.as_i31() {
            Some(v) => format!("i31 {v}"),
            None => "anyref".into(),
        },
    }
}

fn format_nan(bits: u64, mantissa: u32, exp_bits: u32) -> String {
    let sign = if bits >> (mantissa + exp_bits) & 1 == 1 { "-" } else { "" };
    let payload = bits & ((1u64 << mantissa) - 1);
    if payload == 1 << (mantissa - 1) { format!("{sign}nan") } else { format!("{sign}nan:{payload:#x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, ty: ValType) -> String {
        format_val(&parse_val(text, ty).unwrap())
    }

    #[test]
    fn integers() {
        assert_eq!(round_trip("-1", ValType::I32), "-1");
        assert_eq!(round_trip("0xffffffff", ValType::I32), "-1");
        assert_eq!(round_trip("4294967295", ValType::I32), "-1");
        assert_eq!(round_trip("0x7fffffffffffffff", ValType::I64), "9223372036854775807");
        assert_eq!(round_trip("-0x10", ValType::I64), "-16");
        assert!(parse_val("4294967296", ValType::I32).is_err());
        assert!(parse_val("-2147483649", ValType::I32).is_err());
        assert!(parse_val("12a", ValType::I32).is_err());
        assert!(parse_val("0x", ValType::I32).is_err());
        assert!(parse_val("--1", ValType::I32).is_err());
        assert!(parse_val("", ValType::I64).is_err());
    }

    #[test]
    fn references_take_only_null_and_only_where_nullable() {
        use wasmvm::{HeapType, RefType};
        assert_eq!(round_trip("null", ValType::FuncRef), "ref.null func");
        assert_eq!(round_trip("ref.null", ValType::ExternRef), "ref.null extern");
        let typed = ValType::Ref(RefType { nullable: true, heap: HeapType::Concrete(0) });
        assert_eq!(round_trip("null", typed), "ref.null func");
        let non_null = ValType::Ref(RefType { nullable: false, heap: HeapType::Func });
        assert!(parse_val("null", non_null).is_err());
        assert!(parse_val("0", ValType::FuncRef).is_err());
    }

    #[test]
    fn vectors() {
        assert_eq!(round_trip("1", ValType::V128), "0x00000000000000000000000000000001");
        let max = "0xffffffffffffffffffffffffffffffff";
        assert_eq!(round_trip(max, ValType::V128), max);
        assert_eq!(parse_val("0x0102", ValType::V128), Ok(Val::V128(0x0102)));
        assert!(parse_val("0x1ffffffffffffffffffffffffffffffff", ValType::V128).is_err());
        assert!(parse_val("-1", ValType::V128).is_err());
    }

    #[test]
    fn floats() {
        assert_eq!(round_trip("1.5", ValType::F32), "1.5");
        assert_eq!(round_trip("0.1", ValType::F64), "0.1");
        assert_eq!(round_trip("1e30", ValType::F64), "1e30");
        assert_eq!(round_trip("3", ValType::F64), "3.0");
        assert_eq!(round_trip("-0", ValType::F32), "-0.0");
        assert_eq!(round_trip("inf", ValType::F32), "inf");
        assert_eq!(round_trip("-inf", ValType::F64), "-inf");
        assert_eq!(round_trip("nan", ValType::F32), "nan");
        assert_eq!(round_trip("-nan", ValType::F64), "-nan");
        assert_eq!(round_trip("nan:0x1", ValType::F32), "nan:0x1");
        assert_eq!(parse_val("nan:0x1", ValType::F32), Ok(Val::F32(0x7f80_0001)));
        assert!(parse_val("nan:0x800000", ValType::F32).is_err());
        assert!(parse_val("x1.0", ValType::F32).is_err());
        for x in [0.1f32, 1.0 / 3.0, f32::MAX, f32::MIN_POSITIVE, 1e-45] {
            let s = format_val(&Val::f32(x));
            assert_eq!(parse_val(&s, ValType::F32), Ok(Val::f32(x)), "{s}");
        }
        for x in [0.1f64, 1.0 / 3.0, f64::MAX, 5e-324, 123456789.125] {
            let s = format_val(&Val::f64(x));
            assert_eq!(parse_val(&s, ValType::F64), Ok(Val::f64(x)), "{s}");
        }
    }
}
