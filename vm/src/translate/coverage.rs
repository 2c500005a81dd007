//! Which wasm operators the translator handles, checked by the compiler.
//!
//! wasmparser's `for_each_operator!` lists every operator with its proposal. From it, [`check`] is one
//! exhaustive match: each operator is either of a proposal the translator implements (`translated`) or is
//! rejected with "unsupported feature: PROPOSAL". The translator calls it for every operator it does not
//! translate (so it costs nothing on the translated path). [`translated!`] has one arm per proposal and no catch-all,
//! so an operator of a proposal wasmparser adds later does not compile until it is classified here.

use wasmparser::Operator;

use crate::error::{Error, Result};

/// `true` for the proposals the translator implements, `false` for the others: one arm each.
#[rustfmt::skip]
macro_rules! translated {
    (mvp) => { true };
    (sign_extension) => { true };
    (saturating_float_to_int) => { true };
    (bulk_memory) => { true };
    (reference_types) => { true };
    (threads) => { true };
    (simd) => { true };
    (relaxed_simd) => { true };
    (exceptions) => { true };
    (legacy_exceptions) => { false };
    (tail_call) => { true };
    (function_references) => { true };
    (gc) => { true };
    (memory_control) => { false };
    (stack_switching) => { false };
    (wide_arithmetic) => { true };
    (shared_everything_threads) => { false };
    (custom_descriptors) => { false };
    (acquire_release_atomics) => { false };
}

macro_rules! define_check {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        /// `Ok` if the translator implements `op`'s proposal; otherwise an "unsupported feature" error.
        pub(super) fn check(op: &Operator<'_>, offset: u64) -> Result<()> {
            #[allow(unreachable_patterns)]
            let (translated, proposal) = match op {
                $( Operator::$op { .. } => (translated!($proposal), stringify!($proposal)), )*
                _ => (false, "unknown"),
            };
            if translated {
                Ok(())
            } else {
                let name = format!("{op:?}");
                let name = name.split([' ', '{', '(']).next().unwrap_or_default();
                Err(Error::Unsupported(format!(
                    "{} ({name} at offset {offset:#x})",
                    proposal.replace('_', " ")
                )))
            }
        }
    };
}
wasmparser::for_each_operator!(define_check);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_proposals_pass_and_others_are_named() {
        assert!(check(&Operator::I32Add, 0).is_ok());
        assert!(check(&Operator::MemoryFill { mem: 0 }, 0).is_ok());
        assert!(check(&Operator::ReturnCall { function_index: 0 }, 0).is_ok());
        assert!(check(&Operator::ReturnCallRef { type_index: 0 }, 0).is_ok());
        assert!(check(&Operator::I64Add128, 0).is_ok());
        assert!(check(&Operator::RefI31, 0x2a).is_ok());
        let e = check(&Operator::StructNewDesc { struct_type_index: 0 }, 0x2a).unwrap_err();
        assert_eq!(e.to_string(), "unsupported feature: custom descriptors (StructNewDesc at offset 0x2a)");
        assert!(check(&Operator::I8x16Popcnt, 0).is_ok());
        let e = check(&Operator::MemoryDiscard { mem: 0 }, 7).unwrap_err().to_string();
        assert!(e.contains("unsupported feature: memory control (MemoryDiscard"), "{e}");
    }
}
