//! `#[weft::main]` and `#[weft::test]`: an `async fn` becomes a plain `fn`
//! that builds a runtime and blocks on the body.
//!
//! ```text
//! #[weft::main(worker_threads = 2)]        fn main() -> R {
//! async fn main() -> R { BODY }      =>        let body = async { BODY };
//!                                              ::weft::Builder::new_multi_thread()
//!                                                  .worker_threads(2)
//!                                                  .build()
//!                                                  .expect("..")
//!                                                  .block_on(body)
//!                                          }
//! ```
//!
//! `#[weft::test]` does the same under `#[test]`, with the current-thread
//! flavour by default. Every path in the expansion starts at `::weft` (or
//! the `crate = "path"` override), so the user's crate needs no other
//! dependency and no imports.
//!
//! Misuse is reported at the offending tokens: the `fn` of a non-async
//! function, an unknown argument's name, a value of the wrong type,
//! `worker_threads` next to `flavor = "current_thread"`. When only the
//! arguments are wrong, the function is still expanded (with the defaults),
//! so the one error is all the user sees.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Lit, Meta, Token};

/// Which attribute is being expanded; it sets the default flavour and the
/// name used in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Main,
    Test,
}

impl Entry {
    fn name(self) -> &'static str {
        match self {
            Entry::Main => "#[weft::main]",
            Entry::Test => "#[weft::test]",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

struct Config {
    flavor: Flavor,
    /// Where `flavor` was given, to point at it when `worker_threads`
    /// contradicts it.
    flavor_span: Option<Span>,
    worker_threads: Option<(usize, Span)>,
    crate_path: TokenStream,
}

impl Config {
    fn new(entry: Entry) -> Config {
        Config {
            // tokio's defaults: tests get a runtime of their own on the test
            // thread, a program gets every core.
            flavor: match entry {
                Entry::Main => Flavor::MultiThread,
                Entry::Test => Flavor::CurrentThread,
            },
            flavor_span: None,
            worker_threads: None,
            crate_path: quote!(::weft),
        }
    }
}

type Args = Punctuated<Meta, Token![,]>;

/// Parses the attribute's arguments into `config`, returning every error
/// found (not only the first).
fn parse_args(entry: Entry, args: TokenStream, config: &mut Config) -> Result<(), syn::Error> {
    let args = Args::parse_terminated.parse2(args)?;
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in args {
        let name = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_else(|| meta.path().to_token_stream().to_string().replace(' ', ""));
        let known = matches!(name.as_str(), "flavor" | "worker_threads" | "crate");
        if !known {
            push(syn::Error::new_spanned(
                meta.path(),
                format!(
                    "unknown argument `{name}` to {}: the arguments are \
                     `flavor = \"multi_thread\" | \"current_thread\"`, `worker_threads = N` \
                     and `crate = \"path::to::weft\"`",
                    entry.name()
                ),
            ));
            continue;
        }
        let value = match &meta {
            Meta::NameValue(nv) => &nv.value,
            _ => {
                push(syn::Error::new_spanned(
                    &meta,
                    format!("`{name}` needs a value: write `{name} = {}`", example(&name)),
                ));
                continue;
            }
        };
        if seen.contains(&name) {
            push(syn::Error::new_spanned(
                meta.path(),
                format!("`{name}` is given twice; keep one"),
            ));
            continue;
        }
        seen.push(name.clone());
        if let Err(e) = apply(&name, value, config) {
            push(e);
        }
    }
    if let (Flavor::CurrentThread, Some((_, span))) = (config.flavor, config.worker_threads) {
        let how = if config.flavor_span.is_some() {
            "use `flavor = \"multi_thread\"`, or remove `worker_threads`"
        } else {
            "the default flavor of #[weft::test] is current_thread; add \
             `flavor = \"multi_thread\"`, or remove `worker_threads`"
        };
        push(syn::Error::new(
            span,
            format!(
                "`worker_threads` needs the multi_thread flavor: a current_thread runtime \
                 runs every task on the thread that calls it; {how}"
            ),
        ));
        config.worker_threads = None;
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "flavor" => "\"multi_thread\"",
        "worker_threads" => "4",
        _ => "\"my_weft\"",
    }
}

/// Applies one `name = value` argument.
fn apply(name: &str, value: &Expr, config: &mut Config) -> Result<(), syn::Error> {
    let lit = match value {
        Expr::Lit(l) => Some(&l.lit),
        _ => None,
    };
    match name {
        "flavor" => {
            let Some(Lit::Str(s)) = lit else {
                return Err(syn::Error::new_spanned(
                    value,
                    "`flavor` takes a string: `flavor = \"multi_thread\"` or \
                     `flavor = \"current_thread\"`",
                ));
            };
            config.flavor = match s.value().as_str() {
                "multi_thread" => Flavor::MultiThread,
                "current_thread" => Flavor::CurrentThread,
                other => {
                    return Err(syn::Error::new_spanned(
                        s,
                        format!(
                            "unknown flavor \"{other}\": the flavors are \"multi_thread\" \
                             and \"current_thread\""
                        ),
                    ))
                }
            };
            config.flavor_span = Some(s.span());
        }
        "worker_threads" => {
            let Some(Lit::Int(n)) = lit else {
                return Err(syn::Error::new_spanned(
                    value,
                    "`worker_threads` takes an integer literal: `worker_threads = 4`",
                ));
            };
            let n_value: usize = n.base10_parse()?;
            if n_value == 0 {
                return Err(syn::Error::new_spanned(
                    n,
                    "`worker_threads = 0`: a runtime needs at least one worker thread",
                ));
            }
            config.worker_threads = Some((n_value, n.span()));
        }
        "crate" => {
            let Some(Lit::Str(s)) = lit else {
                return Err(syn::Error::new_spanned(
                    value,
                    "`crate` takes the path to weft as a string: `crate = \"my_weft\"`",
                ));
            };
            let path: syn::Path = s.parse().map_err(|_| {
                syn::Error::new_spanned(s, format!("`crate = \"{}\"` is not a path to a crate", s.value()))
            })?;
            config.crate_path = path.into_token_stream();
        }
        _ => unreachable!("only known names are applied"),
    }
    Ok(())
}

/// Expands `#[weft::main]` or `#[weft::test]` on `item`.
pub(crate) fn expand(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                format!("{} goes on an `async fn`", entry.name()),
            );
            let mut out = e.to_compile_error();
            out.extend(item);
            return out;
        }
    };
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };

    if func.sig.asyncness.is_none() {
        // Emitted as the user wrote it: the body may use no `.await`, and
        // an unchanged `fn` adds no second error.
        let hint = match entry {
            // `use weft::*` makes a plain `#[test]` name this attribute.
            Entry::Test => {
                " (a plain `#[test]` names this one after `use weft::*`: import from weft by name)"
            }
            Entry::Main => "",
        };
        let e = syn::Error::new_spanned(
            func.sig.fn_token,
            format!(
                "{} needs an `async fn`: write `async fn {}`{hint}",
                entry.name(),
                func.sig.ident
            ),
        );
        let mut out = e.to_compile_error();
        out.extend(item);
        return out;
    }

    let mut config = Config::new(entry);
    if let Err(e) = parse_args(entry, args, &mut config) {
        push(e);
    }

    if !func.sig.inputs.is_empty() {
        push(syn::Error::new_spanned(
            &func.sig.inputs,
            format!(
                "{} functions take no arguments: the runtime has nothing to pass them",
                entry.name()
            ),
        ));
        func.sig.inputs.clear();
    }
    if !func.sig.generics.params.is_empty() {
        push(syn::Error::new_spanned(
            &func.sig.generics,
            format!("{} functions cannot be generic", entry.name()),
        ));
    }
    if entry == Entry::Test {
        if let Some(attr) = func.attrs.iter().find(|a| is_test_attr(a)) {
            push(syn::Error::new_spanned(
                attr,
                "a second test attribute: #[weft::test] already makes this a #[test]; \
                 remove this one",
            ));
            func.attrs.retain(|a| !is_test_attr(a));
        }
    }

    let mut out = expand_fn(entry, &config, func);
    if let Some(e) = errors {
        out.extend(e.to_compile_error());
    }
    out
}

fn is_test_attr(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    path.segments.last().is_some_and(|s| s.ident == "test")
}

fn expand_fn(entry: Entry, config: &Config, mut func: syn::ItemFn) -> TokenStream {
    func.sig.asyncness = None;
    let krate = &config.crate_path;
    let body = &func.block;
    // Spans at the body: a body whose value does not match the return type
    // is reported there, not at the attribute.
    let span = body.span();
    let builder = match (config.flavor, config.worker_threads) {
        (Flavor::CurrentThread, _) => quote_spanned!(span=> #krate::Builder::new_current_thread()),
        (Flavor::MultiThread, None) => quote_spanned!(span=> #krate::Builder::new_multi_thread()),
        (Flavor::MultiThread, Some((n, _))) => {
            quote_spanned!(span=> #krate::Builder::new_multi_thread().worker_threads(#n))
        }
    };
    let message = format!(
        "{} could not build its weft runtime (the OS refused a thread or an I/O poller)",
        entry.name()
    );
    let body_ident = syn::Ident::new("__weft_body", Span::mixed_site());
    let block = quote_spanned! {span=>
        {
            let #body_ident = async #body;
            #[allow(clippy::expect_used, clippy::diverging_sub_expression, clippy::needless_return)]
            {
                return #builder.build().expect(#message).block_on(#body_ident);
            }
        }
    };
    let test_attr = match entry {
        Entry::Test => quote!(#[::core::prelude::v1::test]),
        Entry::Main => quote!(),
    };
    let attrs = &func.attrs;
    let vis = &func.vis;
    let sig = &func.sig;
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig #block
    }
}
