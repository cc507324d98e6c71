//! The parser and code generator behind `weft::select!`.
//!
//! `weft::select!` is a `macro_rules!` macro in the `weft` crate that
//! forwards its input here with `$crate` in front, so every path in the
//! expansion names the `weft` the user depends on, under whatever name.
//!
//! # What the expansion does
//!
//! ```text
//! {
//!     enum Out<T0, T1, ..> { B0(T0), B1(T1), .., Disabled }
//!     let mut disabled = [!precondition0, false, ..];   // 1. preconditions
//!     let out = {
//!         let mut fut0 = pin!(into_future(future0));     // 2. every future
//!         ..
//!         poll_fn(|cx| {                                 // 3. poll
//!             take one unit of the task's budget, or yield;
//!             from a random branch (the first if `biased;`), for each enabled
//!             branch: poll it; Ready(v) and v matches the pattern:
//!             return Ready(Out::Bi(v)); Ready(v) and it does not: disable
//!             the branch, go on; Pending: remember it;
//!             none pending: Ready(Out::Disabled), else Pending
//!         }).await
//!     };                                                 // 4. futures dropped
//!     match out {                                        // 5. the handler
//!         Out::B0(pattern0) => handler0, ..
//!         Out::Disabled => else handler, or a panic that says there is none,
//!     }
//! }
//! ```
//!
//! The handlers run in the caller's own body, after every future has been
//! dropped: `break`, `continue`, `return`, `?` and `.await` in a handler
//! mean what they mean around the `select!`, and a handler may use again
//! what a future borrowed.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{token, Expr, Ident, Pat, Token};

use crate::pattern;

struct Branch {
    pat: Pat,
    future: Expr,
    precondition: Option<Expr>,
    handler: Expr,
}

pub(crate) struct Select {
    krate: TokenStream,
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

/// Reads the weft path that the `macro_rules!` front put in parentheses.
pub(crate) fn parse_krate(input: ParseStream) -> syn::Result<TokenStream> {
    let content;
    syn::parenthesized!(content in input);
    content.parse()
}

/// A handler: a block (a comma after it is optional, as after a `match`
/// arm's block) or an expression followed by a comma or the end.
fn parse_handler(input: ParseStream, what: &str) -> syn::Result<Expr> {
    if input.peek(token::Brace) {
        let block: syn::ExprBlock = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        return Ok(Expr::Block(block));
    }
    let handler: Expr = input.parse()?;
    if input.is_empty() {
        return Ok(handler);
    }
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
        return Ok(handler);
    }
    Err(input.error(format!(
        "expected `,` after {what}'s handler: a handler that is not a block ends with a comma"
    )))
}

impl Parse for Select {
    fn parse(input: ParseStream) -> syn::Result<Select> {
        let krate = parse_krate(input)?;
        let biased = if input.peek(Ident) && input.peek2(Token![;]) {
            let fork = input.fork();
            let ident: Ident = fork.parse()?;
            if ident == "biased" {
                input.parse::<Ident>()?;
                input.parse::<Token![;]>()?;
                true
            } else {
                false
            }
        } else {
            false
        };
        let mut branches = Vec::new();
        let mut otherwise: Option<Expr> = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                let else_token: Token![else] = input.parse()?;
                if otherwise.is_some() {
                    return Err(syn::Error::new_spanned(
                        else_token,
                        "a second `else` branch: weft::select! takes at most one",
                    ));
                }
                if !input.peek(Token![=>]) {
                    return Err(input.error("expected `=>` after `else`: `else => handler`"));
                }
                input.parse::<Token![=>]>()?;
                otherwise = Some(parse_handler(input, "the `else` branch")?);
                continue;
            }
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            // `=>` peeks as `=` too: look for it first.
            if input.peek(Token![=>]) || !input.peek(Token![=]) {
                return Err(input
                    .error("expected `=` after the pattern: a branch reads `pattern = future => handler`"));
            }
            input.parse::<Token![=]>()?;
            let future: Expr = input.parse()?;
            let precondition = if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                Some(input.parse::<Expr>()?)
            } else {
                None
            };
            if !input.peek(Token![=>]) {
                return Err(input.error(
                    "expected `=>` after the future (or after `, if precondition`): \
                     a branch reads `pattern = future => handler`",
                ));
            }
            input.parse::<Token![=>]>()?;
            let handler = parse_handler(input, "the branch")?;
            branches.push(Branch {
                pat,
                future,
                precondition,
                handler,
            });
        }
        if branches.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "weft::select! needs at least one `pattern = future => handler` branch",
            ));
        }
        Ok(Select {
            krate,
            biased,
            branches,
            otherwise,
        })
    }
}

impl Select {
    pub(crate) fn expand(self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let n = self.branches.len();
        let site = Span::mixed_site();
        let out_ty = Ident::new("__WeftSelectOut", Span::call_site());
        let disabled = Ident::new("__weft_disabled", site);
        let cx = Ident::new("__weft_cx", site);
        let budget = Ident::new("__weft_budget", site);
        let start = Ident::new("__weft_start", site);
        let pending = Ident::new("__weft_pending", site);
        let index = Ident::new("__weft_index", site);
        let value = Ident::new("__weft_value", site);
        let out = Ident::new("__weft_out", site);

        let variants: Vec<Ident> = (0..n).map(|i| format_ident!("B{}", i)).collect();
        let generics: Vec<Ident> = (0..n).map(|i| format_ident!("T{}", i)).collect();
        let futs: Vec<Ident> = (0..n)
            .map(|i| Ident::new(&format!("__weft_fut{i}"), site))
            .collect();

        let initially_disabled = self.branches.iter().map(|b| match &b.precondition {
            Some(cond) => quote_spanned!(cond.span()=> !(#cond)),
            None => quote!(false),
        });
        let pin_futures = self.branches.iter().zip(&futs).map(|(b, fut)| {
            let future = &b.future;
            quote_spanned! {future.span()=>
                let mut #fut = #private::pin!(#private::IntoFuture::into_future(#future));
            }
        });
        let poll_arms = self.branches.iter().enumerate().map(|(i, b)| {
            let fut = &futs[i];
            let variant = &variants[i];
            let mut check = b.pat.clone();
            pattern::into_check(&mut check);
            quote! {
                #i => {
                    if #disabled[#i] {
                        continue;
                    }
                    match #private::Future::poll(#fut.as_mut(), #cx) {
                        #private::Poll::Ready(#value) => {
                            #[allow(unused_variables, unreachable_patterns)]
                            match &#value {
                                #check => {}
                                _ => {
                                    // A completed branch that does not
                                    // match is disabled; the others go on.
                                    #disabled[#i] = true;
                                    continue;
                                }
                            }
                            #budget.made_progress();
                            return #private::Poll::Ready(#out_ty::#variant(#value));
                        }
                        #private::Poll::Pending => #pending = true,
                    }
                }
            }
        });
        let start_expr = if self.biased {
            quote!(0usize)
        } else {
            quote!(#private::select_start(#n))
        };
        let handler_arms = self.branches.iter().enumerate().map(|(i, b)| {
            let variant = &variants[i];
            let pat = &b.pat;
            let handler = &b.handler;
            quote!(#out_ty::#variant(#pat) => #handler,)
        });
        let otherwise = match &self.otherwise {
            Some(handler) => quote!(#handler),
            None => quote! {
                ::core::panic!(
                    "weft::select!: every branch is disabled (its precondition was false, or \
                     its future finished with a value its pattern does not match) and there is \
                     no `else` branch; add `else => ...` to handle that case"
                )
            },
        };

        quote! {{
            #[allow(dead_code)]
            enum #out_ty<#(#generics),*> {
                #(#variants(#generics),)*
                Disabled,
            }
            #[allow(clippy::nonminimal_bool)]
            let mut #disabled: [bool; #n] = [#(#initially_disabled),*];
            let #out = {
                #(#pin_futures)*
                #private::poll_fn(|#cx: &mut #private::Context<'_>| {
                    // A select! loop over always-ready futures must still
                    // let its neighbours run: each finished select! spends
                    // one unit of the task's budget.
                    let #budget = match #private::coop::poll_proceed(#cx) {
                        #private::Poll::Ready(#budget) => #budget,
                        #private::Poll::Pending => return #private::Poll::Pending,
                    };
                    let #start: usize = #start_expr;
                    let mut #pending = false;
                    #[allow(clippy::modulo_one)]
                    #[allow(clippy::modulo_one)]
                for #index in 0..#n {
                        match (#start + #index) % #n {
                            #(#poll_arms)*
                            _ => ::core::unreachable!(),
                        }
                    }
                    if #pending {
                        #private::Poll::Pending
                    } else {
                        #private::Poll::Ready(#out_ty::Disabled)
                    }
                })
                .await
            };
            match #out {
                #(#handler_arms)*
                #out_ty::Disabled => #otherwise,
                #[allow(unreachable_patterns)]
                _ => ::core::unreachable!("weft::select!: the branch's pattern matched in the poll"),
            }
        }}
    }
}
