//! Conversions between `.wast` argument/result syntax and wasmvm values, and result matching
//! (including the `nan:canonical` / `nan:arithmetic` patterns and `either`).

use std::fmt::Write;

use wasmvm::{AnyRef, AnyRefKind, Extern, ExternRef, Func, Store, Val};
use wast::core::{HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// An externref argument `(ref.extern n)` is a host value holding `n`.
pub fn arg(store: &mut Store<()>, a: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(a) = a else { return Err("component-model arguments are not supported".into()) };
    Ok(match a {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract { ty: wast::core::AbstractHeapType::Extern, .. }) => {
            Val::ExternRef(None)
        }
        WastArgCore::RefNull(HeapType::Abstract { ty: wast::core::AbstractHeapType::Exn, .. }) => Val::ExnRef(None),
        WastArgCore::RefNull(HeapType::Abstract {
            ty:
                wast::core::AbstractHeapType::Any
                | wast::core::AbstractHeapType::Eq
                | wast::core::AbstractHeapType::I31
                | wast::core::AbstractHeapType::Struct
                | wast::core::AbstractHeapType::Array
                | wast::core::AbstractHeapType::None,
            ..
        }) => Val::AnyRef(None),
        WastArgCore::RefNull(_) => Val::FuncRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(store, *n))),
        // A host value as an `anyref` (as `any.convert_extern` makes it).
        WastArgCore::RefHost(n) => Val::AnyRef(Some(AnyRef::from_extern(ExternRef::new(store, *n)))),
    })
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// Lane by lane: integers exactly, floats by their NaN patterns.
fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    let lane = |i: usize, n: usize| b[i * n..(i + 1) * n].iter().rev().fold(0u64, |acc, x| acc << 8 | *x as u64);
    match p {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, x)| *x as u8 as u64 == lane(i, 1)),
        V128Pattern::I16x8(l) => l.iter().enumerate().all(|(i, x)| *x as u16 as u64 == lane(i, 2)),
        V128Pattern::I32x4(l) => l.iter().enumerate().all(|(i, x)| *x as u32 as u64 == lane(i, 4)),
        V128Pattern::I64x2(l) => l.iter().enumerate().all(|(i, x)| *x as u64 == lane(i, 8)),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, p)| f32_matches(p, lane(i, 4) as u32)),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, p)| f64_matches(p, lane(i, 8))),
    }
}

fn core_matches(store: &Store<()>, expected: &WastRetCore<'_>, actual: &Val) -> bool {
    match (expected, actual) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(p), Val::F32(a)) => f32_matches(p, *a),
        (WastRetCore::F64(p), Val::F64(a)) => f64_matches(p, *a),
        (WastRetCore::V128(p), Val::V128(a)) => v128_matches(p, *a),
        (
            WastRetCore::RefNull(_),
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None),
        ) => true,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(e))) => {
            e.data(store).and_then(|d| d.downcast_ref::<u32>()) == Some(n)
        }
        (WastRetCore::RefAny, Val::AnyRef(Some(_))) => true,
        (WastRetCore::RefEq, Val::AnyRef(Some(a))) => {
            matches!(a.kind(store), Some(AnyRefKind::I31 | AnyRefKind::Struct | AnyRefKind::Array))
        }
        (WastRetCore::RefI31, Val::AnyRef(Some(a))) => a.kind(store) == Some(AnyRefKind::I31),
        (WastRetCore::RefStruct, Val::AnyRef(Some(a))) => a.kind(store) == Some(AnyRefKind::Struct),
        (WastRetCore::RefArray, Val::AnyRef(Some(a))) => a.kind(store) == Some(AnyRefKind::Array),
        (WastRetCore::RefHost(n), Val::AnyRef(Some(a))) => {
            a.to_extern().data(store).and_then(|d| d.downcast_ref::<u32>()) == Some(n)
        }
        (WastRetCore::Either(options), a) => options.iter().any(|o| core_matches(store, o, a)),
        _ => false,
    }
}

/// Does `actual` match the expected result pattern?
pub fn matches(store: &Store<()>, expected: &WastRet<'_>, actual: &Val) -> bool {
    match expected {
        WastRet::Core(c) => core_matches(store, c, actual),
        _ => false,
    }
}

/// Render a value for failure messages.
pub fn show(store: &Store<()>, v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:{} ({b:#010x})", f32::from_bits(*b)),
        Val::F64(b) => format!("f64:{} ({b:#018x})", f64::from_bits(*b)),
        Val::V128(v) => format!("v128:{v:#034x}"),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "ref.func".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(e)) => match e.data(store).and_then(|d| d.downcast_ref::<u32>()) {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern ?".into(),
        },
        Val::ExnRef(None) => "ref.null exn".into(),
        Val::ExnRef(Some(_)) => "exnref".into(),
        Val::AnyRef(None) => "ref.null any".into(),
        Val::AnyRef(Some(a)) => match a.kind(store) {
            Some(AnyRefKind::I31) => format!("ref.i31 {}", a.as_i31().unwrap_or_default()),
            Some(AnyRefKind::Host) => match a.to_extern().data(store).and_then(|d| d.downcast_ref::<u32>()) {
                Some(n) => format!("ref.host {n}"),
                None => "ref.host ?".into(),
            },
            kind => format!("{kind:?}"),
        },
    }
}

pub fn show_all(store: &Store<()>, vs: &[Val]) -> String {
    let mut s = String::from("[");
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{}", show(store, v));
    }
    s.push(']');
    s
}

pub fn show_expected(rets: &[WastRet<'_>]) -> String {
    let parts: Vec<String> = rets
        .iter()
        .map(|r| match r {
            WastRet::Core(WastRetCore::I32(x)) => format!("i32:{x}"),
            WastRet::Core(WastRetCore::I64(x)) => format!("i64:{x}"),
            WastRet::Core(WastRetCore::F32(NanPattern::Value(v))) => format!("f32:{}", f32::from_bits(v.bits)),
            WastRet::Core(WastRetCore::F64(NanPattern::Value(v))) => format!("f64:{}", f64::from_bits(v.bits)),
            WastRet::Core(WastRetCore::F32(_) | WastRetCore::F64(_)) => "nan".into(),
            other => format!("{other:?}"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Is this extern a function? (used when printing exports)
#[allow(dead_code)]
pub fn is_func(e: &Extern) -> Option<Func> {
    e.clone().into_func()
}
