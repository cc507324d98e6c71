//! A branch's pattern, rewritten so that it can be *tried* on a reference
//! to the branch's output without moving anything out of it.
//!
//! `select!` must know whether a branch's output matches its pattern before
//! it decides to finish (a mismatch disables the branch and the others go
//! on), but the handler, which binds the pattern by value, runs later,
//! outside the poll. So the poll tests `match &output { CHECK => .. }` and
//! the handler matches `output` itself with the pattern as written.
//!
//! `CHECK` is the pattern with every binding modifier (`ref`, `mut`) and
//! every reference pattern (`&p`, `&mut p`) removed: under the by-reference
//! binding mode that matching a `&T` starts in, those are refused (edition
//! 2024) or would move out of the reference (earlier editions). Removing
//! them does not change which values match: a binding matches anything
//! however it binds, and `&p` matches a reference exactly when `p` matches
//! what it points to, which is what the default binding mode tries.

use syn::Pat;

/// Rewrites `pat` in place into its check form (see the module docs).
pub(crate) fn into_check(pat: &mut Pat) {
    match pat {
        Pat::Ident(ident) => {
            ident.by_ref = None;
            ident.mutability = None;
            if let Some((_, sub)) = &mut ident.subpat {
                into_check(sub);
            }
        }
        Pat::Reference(reference) => {
            let mut inner = (*reference.pat).clone();
            into_check(&mut inner);
            *pat = inner;
        }
        Pat::Or(or) => or.cases.iter_mut().for_each(into_check),
        Pat::Paren(paren) => into_check(&mut paren.pat),
        Pat::Slice(slice) => slice.elems.iter_mut().for_each(into_check),
        Pat::Tuple(tuple) => tuple.elems.iter_mut().for_each(into_check),
        Pat::TupleStruct(tuple) => tuple.elems.iter_mut().for_each(into_check),
        Pat::Struct(s) => s.fields.iter_mut().for_each(|f| into_check(&mut f.pat)),
        Pat::Type(typed) => into_check(&mut typed.pat),
        // Literals, ranges, paths, wildcards, rests and macros bind nothing.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn check(src: &str) -> String {
        let mut pat = Pat::parse_multi_with_leading_vert
            .parse_str(src)
            .expect("a pattern");
        into_check(&mut pat);
        pat.to_token_stream().to_string()
    }

    use syn::parse::Parser;

    #[test]
    fn binding_modifiers_are_removed() {
        assert_eq!(check("mut x"), "x");
        assert_eq!(check("ref mut x"), "x");
        assert_eq!(check("Some(ref y)"), "Some (y)");
    }

    #[test]
    fn reference_patterns_are_removed() {
        assert_eq!(check("Some(&x)"), "Some (x)");
        assert_eq!(check("&mut (a, &b)"), "(a , b)");
    }

    #[test]
    fn refutable_parts_stay() {
        assert_eq!(check("Ok(1..=3) | Err(_)"), "Ok (1 ..= 3) | Err (_)");
        assert_eq!(check("Point { x: 0, ref y }"), "Point { x : 0 , y }");
        assert_eq!(check("whole @ Some(mut v)"), "whole @ Some (v)");
        assert_eq!(check("None"), "None");
    }
}
