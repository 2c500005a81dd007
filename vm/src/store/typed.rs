//! Statically typed calls in both directions: [`TypedFunc`] (host → wasm) and [`IntoFunc`] (Rust closures
//! as host functions).

use std::marker::PhantomData;
use std::sync::Arc;

use super::func::raw_host;
use super::{AsContext, AsContextMut, Caller, Func, RawHostFn};
use crate::error::{Error, Result, Trap};
use crate::exec;
use crate::types::{FuncType, ValType};

/// A Rust type that corresponds to a wasm value type (`u128` is `v128`).
pub trait WasmTy: Copy + Send + 'static {
    #[doc(hidden)]
    const SLOTS: usize = 1;
    #[doc(hidden)]
    fn ty() -> ValType;
    #[doc(hidden)]
    fn from_raw(raw: &[u64]) -> Self;
    #[doc(hidden)]
    fn into_raw(self, out: &mut [u64]);
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, |$r:ident| $from:expr, |$v:ident| $into:expr;)*) => {$(
        impl WasmTy for $t {
            fn ty() -> ValType { ValType::$vt }
            #[inline]
            fn from_raw(raw: &[u64]) -> Self { let $r = raw[0]; $from }
            #[inline]
            fn into_raw(self, out: &mut [u64]) { let $v = self; out[0] = $into }
        }
    )*};
}

impl WasmTy for u128 {
    const SLOTS: usize = 2;
    fn ty() -> ValType {
        ValType::V128
    }
    #[inline]
    fn from_raw(raw: &[u64]) -> Self {
        raw[0] as u128 | (raw[1] as u128) << 64
    }
    #[inline]
    fn into_raw(self, out: &mut [u64]) {
        out[0] = self as u64;
        out[1] = (self >> 64) as u64;
    }
}
wasm_ty! {
    i32 => I32, |r| r as u32 as i32, |v| v as u32 as u64;
    u32 => I32, |r| r as u32, |v| v as u64;
    i64 => I64, |r| r as i64, |v| v as u64;
    u64 => I64, |r| r, |v| v;
    f32 => F32, |r| f32::from_bits(r as u32), |v| v.to_bits() as u64;
    f64 => F64, |r| f64::from_bits(r), |v| v.to_bits();
}

/// A tuple of [`WasmTy`] used as parameters.
pub trait WasmParams: Send {
    #[doc(hidden)]
    fn types() -> Vec<ValType>;
    /// Frame slots the values occupy.
    #[doc(hidden)]
    fn count() -> usize;
    #[doc(hidden)]
    fn store_raw(self, out: &mut [u64]);
    #[doc(hidden)]
    fn load_raw(raw: &[u64]) -> Self;
}

/// Results of a typed function: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmResults: Sized {
    #[doc(hidden)]
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn count() -> usize;
    #[doc(hidden)]
    fn load_raw(raw: &[u64]) -> Self;
    #[doc(hidden)]
    fn store_raw(self, out: &mut [u64]);
}

/// Read a tuple's values from consecutive slots (a `v128` takes two).
macro_rules! load_tuple {
    ($raw:ident; $($t:ident),*) => {{
        let mut _at = 0;
        ($({ let v = $t::from_raw(&$raw[_at..]); _at += $t::SLOTS; v },)*)
    }};
}

/// Write a tuple's values to consecutive slots.
macro_rules! store_tuple {
    ($self:ident, $out:ident; $($t:ident $i:tt),*) => {{
        let mut _at = 0;
        $( $self.$i.into_raw(&mut $out[_at..]); _at += $t::SLOTS; )*
    }};
}

macro_rules! tuples {
    ($( ($($t:ident $i:tt),*) )*) => {$(
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            fn types() -> Vec<ValType> { vec![$($t::ty()),*] }
            fn count() -> usize { 0 $(+ $t::SLOTS)* }
            #[allow(unused_variables)]
            fn store_raw(self, out: &mut [u64]) { store_tuple!(self, out; $($t $i),*) }
            #[allow(unused_variables, clippy::unused_unit)]
            fn load_raw(raw: &[u64]) -> Self { load_tuple!(raw; $($t),*) }
        }
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {
            fn types() -> Vec<ValType> { vec![$($t::ty()),*] }
            fn count() -> usize { 0 $(+ $t::SLOTS)* }
            #[allow(unused_variables, clippy::unused_unit)]
            fn load_raw(raw: &[u64]) -> Self { load_tuple!(raw; $($t),*) }
            #[allow(unused_variables)]
            fn store_raw(self, out: &mut [u64]) { store_tuple!(self, out; $($t $i),*) }
        }
    )*};
}
tuples! {
    ()
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
}

macro_rules! single_param {
    ($($t:ty),*) => {$(
        impl WasmParams for $t {
            fn types() -> Vec<ValType> { vec![<$t>::ty()] }
            fn count() -> usize { <$t>::SLOTS }
            fn store_raw(self, out: &mut [u64]) { self.into_raw(out) }
            fn load_raw(raw: &[u64]) -> Self { <$t>::from_raw(raw) }
        }
        impl WasmResults for $t {
            fn types() -> Vec<ValType> { vec![<$t>::ty()] }
            fn count() -> usize { <$t>::SLOTS }
            fn load_raw(raw: &[u64]) -> Self { <$t>::from_raw(raw) }
            fn store_raw(self, out: &mut [u64]) { self.into_raw(out) }
        }
    )*};
}
single_param!(i32, u32, i64, u64, f32, f64, u128);

/// What a host closure may return: results, or `Result<results, Trap>`.
pub trait HostResult {
    #[doc(hidden)]
    type Results: WasmResults;
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::Results, Trap>;
}

impl<R: WasmResults> HostResult for R {
    type Results = R;
    fn into_result(self) -> Result<R, Trap> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResult for Result<R, Trap> {
    type Results = R;
    fn into_result(self) -> Result<R, Trap> {
        self
    }
}

/// A host function ready to be added to a store (opaque).
#[doc(hidden)]
pub struct HostFuncDef(pub(crate) FuncType, pub(crate) Arc<RawHostFn>);

/// Rust closures usable as host functions: `Fn(Caller<T>, A, B, ...) -> R` or, when the function needs
/// neither the store's data nor the instance's exports, `Fn(A, B, ...) -> R`, as in wasmtime.
///
/// `Params` only tells the two forms apart (it is `(Caller<T>, A, B, ...)` for the first and
/// `(A, B, ...)` for the second): a closure implements one of the two `Fn` traits, and the marker lets
/// both sets of impls coexist. `R` is any [`WasmResults`] or `Result<R, Trap>`.
///
/// ```
/// use wasmvm::{Caller, Engine, Linker};
/// let engine = Engine::default();
/// let mut linker = Linker::<u32>::new(&engine);
/// linker.func_wrap("m", "inc", |x: i32| x + 1).unwrap();
/// linker.func_wrap("m", "count", |caller: Caller<'_, u32>, x: i32| x + *caller.data() as i32).unwrap();
/// ```
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_raw(self) -> HostFuncDef;
}

macro_rules! into_func {
    ($( ($($t:ident $i:tt),*) )*) => {$(
        impl<'a, T: 'static, F, R, $($t: WasmTy),*> IntoFunc<T, (Caller<'a, T>, $($t,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($t),*) -> R + Send + Sync + 'static,
            R: HostResult,
        {
            fn into_raw(self) -> HostFuncDef {
                let ty = FuncType::new(vec![$($t::ty()),*], R::Results::types());
                let raw = raw_host(move |caller: Caller<'_, T>, slots: &mut [u64]| {
                    #[allow(unused_variables, non_snake_case)]
                    let ($($t,)*) = <($($t,)*) as WasmParams>::load_raw(slots);
                    let r = (self)(caller, $($t),*).into_result()?;
                    r.store_raw(slots);
                    Ok(())
                });
                HostFuncDef(ty, raw)
            }
        }

        impl<T: 'static, F, R, $($t: WasmTy),*> IntoFunc<T, ($($t,)*), R> for F
        where
            F: Fn($($t),*) -> R + Send + Sync + 'static,
            R: HostResult,
        {
            fn into_raw(self) -> HostFuncDef {
                let ty = FuncType::new(vec![$($t::ty()),*], R::Results::types());
                let raw = raw_host(move |_: Caller<'_, T>, slots: &mut [u64]| {
                    #[allow(unused_variables, non_snake_case)]
                    let ($($t,)*) = <($($t,)*) as WasmParams>::load_raw(slots);
                    let r = (self)($($t),*).into_result()?;
                    r.store_raw(slots);
                    Ok(())
                });
                HostFuncDef(ty, raw)
            }
        }
    )*};
}
into_func! {
    ()
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F1 5)
    (A 0, B 1, C 2, D 3, E 4, F1 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7, I 8, J 9)
}

/// A function whose signature was checked once, called without dynamic type checks.
pub struct TypedFunc<Params, Results> {
    func: Func,
    _marker: PhantomData<fn(Params) -> Results>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl Func {
    /// View this function with a static signature; fails if the signature differs.
    pub fn typed<P: WasmParams, R: WasmResults>(&self, store: impl AsContext) -> Result<TypedFunc<P, R>> {
        let ty = self.ty(store)?;
        if ty.params() != P::types().as_slice() || ty.results() != R::types().as_slice() {
            return Err(Error::api(format!("function has type {ty}, not the requested one")));
        }
        Ok(TypedFunc { func: *self, _marker: PhantomData })
    }
}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// The underlying function.
    pub fn func(&self) -> Func {
        self.func
    }

    /// Call the function.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let s = store.inner_mut();
        let entry = *self.func.entry(s)?;
        let mut slots = [0u64; 16];
        let n = P::count().max(R::count());
        let mut heap;
        let buf: &mut [u64] = if n <= 16 {
            &mut slots[..n]
        } else {
            heap = vec![0u64; n];
            &mut heap
        };
        params.store_raw(buf);
        let ptr: *mut crate::store::StoreInner = s;
        // SAFETY: `entry` belongs to this store; `buf` holds max(params, results) slots.
        unsafe { exec::call::invoke(ptr, &entry, buf)? };
        Ok(R::load_raw(buf))
    }
}
