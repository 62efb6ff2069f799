//! The Rust side of the traceability tooling, parsed with `syn`.
//!
//! - [`library`]: the public functions of `src/` (every `pub fn` reachable
//!   from the crate root through `pub mod`, inline or in its own file, and
//!   the functions that `pub use` re-exports), with the line of each name;
//! - [`Imports`]: what the `use softmax_cross_entropy::…` trees of a file
//!   bring into scope;
//! - [`References`]: a `syn::visit` pass that collects every path expression
//!   (a call `f(…)`, `m::f(…)`, or a function passed by name) and resolves it
//!   against the library, and the names of the helpers (functions and
//!   macros) a body uses;
//! - [`suite_functions`] and [`book_test_calls`]: the test functions of a
//!   suite file and the calls of a book test block.
//!
//! `syn` does not expand macros. The tokens of a macro invocation are parsed
//! as what they are in practice: comma-separated expressions (`assert!`,
//! `assert_eq!`, `prop_assert!`, approx's `assert_relative_eq!`, `vec![…]`,
//! `format!`), statements, or `proptest!`'s test functions; whatever else
//! remains is split at its top-level `,`/`;`/`=>` and each piece that is an
//! expression is visited, and the groups of the others recursively. The
//! bodies of `macro_rules!` macros defined in a test file are token trees
//! with `$` fragments; their paths are read from the tokens, and a test that
//! invokes the macro reaches what its rules call, like a helper function.

use super::PubFn;
use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, Expr, Ident, ImplItem, Item, Macro, Pat, Token, Type, UseTree};

/// The crate's name as written in Rust code.
pub(super) const CRATE: &str = "softmax_cross_entropy";

/// The 1-based line of an identifier in its file.
fn line_of(ident: &Ident) -> usize {
    ident.span().start().line
}

// ---------------------------------------------------------------------------
// Use trees

/// The leaves of a use tree: `(path as written, name it binds)`; the name is
/// `None` for a glob.
fn use_leaves(tree: &UseTree, prefix: &[String], out: &mut Vec<(Vec<String>, Option<String>)>) {
    let with = |last: &Ident| {
        let mut path = prefix.to_vec();
        if last != "self" {
            path.push(last.to_string());
        }
        path
    };
    match tree {
        UseTree::Path(p) => use_leaves(&p.tree, &with(&p.ident), out),
        UseTree::Name(n) => {
            let path = with(&n.ident);
            let name = path.last().cloned().unwrap_or_else(|| n.ident.to_string());
            out.push((path, Some(name)));
        }
        UseTree::Rename(r) => out.push((with(&r.ident), Some(r.rename.to_string()))),
        UseTree::Glob(_) => out.push((prefix.to_vec(), None)),
        UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The library

/// A module of the library: its path from the crate root, its file, whether
/// every module on its path is `pub`, its functions `(name, line, pub)`, its
/// child modules `(name, pub)` and its `pub use` leaves (target from the
/// crate root, exported name or `None` for a glob).
#[derive(Debug, Default)]
struct Module {
    path: Vec<String>,
    file: String,
    public: bool,
    fns: Vec<(String, usize, bool)>,
    children: Vec<(String, bool)>,
    uses: Vec<(Vec<String>, Option<String>)>,
}

/// Make a use path written in `module` absolute (from the crate root).
fn absolute(module: &[String], written: &[String]) -> Vec<String> {
    let mut base = module.to_vec();
    let mut rest = written;
    match written.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &written[1..];
        }
        Some("self") => rest = &written[1..],
        _ => {}
    }
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    base
}

/// The modules of the library, read from the files of `src/`.
struct Walk<'a> {
    files: &'a BTreeMap<String, String>,
    modules: Vec<Module>,
    problems: Vec<String>,
}

impl Walk<'_> {
    /// Read the items of the module at `path` (declared in `file`; `public`
    /// if every module on its path is `pub`), then its child modules: inline,
    /// or in `DIR/NAME.rs` or `DIR/NAME/mod.rs`, where `DIR` is the module's
    /// directory `dir`.
    fn module(&mut self, file: &str, items: &[Item], path: Vec<String>, public: bool, dir: &str) {
        let mut module = Module {
            path: path.clone(),
            file: file.to_string(),
            public,
            ..Module::default()
        };
        let mut children = Vec::new();
        for item in items {
            match item {
                Item::Fn(f) => module.fns.push((
                    f.sig.ident.to_string(),
                    line_of(&f.sig.ident),
                    matches!(f.vis, syn::Visibility::Public(_)),
                )),
                Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_)) => {
                    let mut leaves = Vec::new();
                    use_leaves(&u.tree, &[], &mut leaves);
                    for (written, name) in leaves {
                        module.uses.push((absolute(&path, &written), name));
                    }
                }
                Item::Mod(m) => {
                    let is_pub = matches!(m.vis, syn::Visibility::Public(_));
                    module.children.push((m.ident.to_string(), is_pub));
                    children.push(m);
                }
                _ => {}
            }
        }
        self.modules.push(module);
        for m in children {
            let name = m.ident.to_string();
            let child_dir = format!("{dir}{name}/");
            let mut child_path = path.clone();
            child_path.push(name.clone());
            let is_pub = public && matches!(m.vis, syn::Visibility::Public(_));
            if let Some((_, items)) = &m.content {
                self.module(file, items, child_path, is_pub, &child_dir);
                continue;
            }
            let candidates = [format!("{dir}{name}.rs"), format!("{child_dir}mod.rs")];
            let files = self.files;
            let Some((child_file, text)) = candidates
                .iter()
                .find_map(|c| files.get_key_value(c.as_str()))
            else {
                self.problems.push(format!(
                    "src/{file}: module `{name}` has no file {} or {}",
                    candidates[0], candidates[1]
                ));
                continue;
            };
            match syn::parse_file(text) {
                Ok(parsed) => {
                    self.module(child_file, &parsed.items, child_path, is_pub, &child_dir)
                }
                Err(e) => self
                    .problems
                    .push(format!("src/{child_file} is not valid Rust: {e}")),
            }
        }
    }
}

/// The public functions of the library and every public path to each
/// (`path → canonical path`), from the files of `src/` (`files` maps a path
/// relative to `src/`, such as `jacobian/steps.rs`, to its text); problems
/// are files that do not parse or modules without a file.
pub(super) fn library(
    files: &BTreeMap<String, String>,
) -> (Vec<PubFn>, BTreeMap<String, String>, Vec<String>) {
    let mut walk = Walk {
        files,
        modules: Vec::new(),
        problems: Vec::new(),
    };
    match files.get("lib.rs").map(|t| syn::parse_file(t)) {
        Some(Ok(lib)) => walk.module("lib.rs", &lib.items, Vec::new(), true, ""),
        Some(Err(e)) => walk
            .problems
            .push(format!("src/lib.rs is not valid Rust: {e}")),
        None => walk.problems.push("src/lib.rs is missing".into()),
    }
    let Walk {
        modules, problems, ..
    } = walk;
    let by_path: BTreeMap<&[String], &Module> =
        modules.iter().map(|m| (m.path.as_slice(), m)).collect();
    let join = |segments: &[String]| segments.join("::");
    // A definition is (module path, function name).
    type Def = (Vec<String>, String);
    let mut paths: BTreeMap<String, Def> = BTreeMap::new();
    for m in modules.iter().filter(|m| m.public) {
        for (name, _, is_pub) in &m.fns {
            if *is_pub {
                let mut p = m.path.clone();
                p.push(name.clone());
                paths.insert(join(&p), (m.path.clone(), name.clone()));
            }
        }
    }
    // The public functions of a module and of its `pub` descendants:
    // (path relative to the module, definition).
    fn under(by_path: &BTreeMap<&[String], &Module>, module: &[String]) -> Vec<(Vec<String>, Def)> {
        let Some(m) = by_path.get(module) else {
            return Vec::new();
        };
        let mut out: Vec<(Vec<String>, Def)> = m
            .fns
            .iter()
            .filter(|f| f.2)
            .map(|(name, ..)| (vec![name.clone()], (module.to_vec(), name.clone())))
            .collect();
        // Functions the module re-exports by name (`pub use super::m::f;`),
        // so that a re-exported module keeps them.
        for (target, name) in &m.uses {
            let (Some(name), Some((last, parent))) = (name, target.split_last()) else {
                continue;
            };
            if let Some(p) = by_path.get(parent)
                && p.fns.iter().any(|f| &f.0 == last && f.2)
            {
                out.push((vec![name.clone()], (parent.to_vec(), last.clone())));
            }
        }
        for (child, is_pub) in &m.children {
            if *is_pub {
                let mut p = module.to_vec();
                p.push(child.clone());
                for (mut rel, def) in under(by_path, &p) {
                    rel.insert(0, child.clone());
                    out.push((rel, def));
                }
            }
        }
        out
    }
    // Re-exports (in modules that are themselves public).
    let mut reexports = Vec::new();
    for m in modules.iter().filter(|m| m.public) {
        for (target, name) in &m.uses {
            let Some((last, parent)) = target.split_last() else {
                continue;
            };
            let is_fn = by_path
                .get(parent)
                .is_some_and(|p| p.fns.iter().any(|f| &f.0 == last && f.2));
            match name {
                Some(name) if is_fn => {
                    let mut p = m.path.clone();
                    p.push(name.clone());
                    reexports.push((join(&p), (parent.to_vec(), last.clone())));
                }
                Some(name) => {
                    for (rel, def) in under(&by_path, target) {
                        let mut p = m.path.clone();
                        p.push(name.clone());
                        p.extend(rel);
                        reexports.push((join(&p), def));
                    }
                }
                None => {
                    for (rel, def) in under(&by_path, target) {
                        let mut p = m.path.clone();
                        p.extend(rel);
                        reexports.push((join(&p), def));
                    }
                }
            }
        }
    }
    for (path, def) in reexports {
        paths.entry(path).or_insert(def);
    }
    // One canonical path per definition: its own if public, else the
    // shortest re-export (the first in order among the shortest).
    let mut canonical: BTreeMap<Def, String> = BTreeMap::new();
    for (path, def) in &paths {
        let own = {
            let mut p = def.0.clone();
            p.push(def.1.clone());
            join(&p)
        };
        let key = |p: &String| (*p != own, p.matches("::").count(), p.clone());
        let entry = canonical.entry(def.clone()).or_insert_with(|| path.clone());
        if key(path) < key(entry) {
            *entry = path.clone();
        }
    }
    let mut functions: Vec<PubFn> = canonical
        .iter()
        .filter_map(|((module, name), path)| {
            let m = by_path.get(module.as_slice())?;
            let line = m.fns.iter().find(|f| &f.0 == name)?.1;
            Some(PubFn {
                path: path.clone(),
                file: m.file.clone(),
                line,
            })
        })
        .collect();
    functions.sort_by(|a, b| a.path.cmp(&b.path));
    let known = paths
        .into_iter()
        .map(|(path, def)| {
            let c = canonical[&def].clone();
            (path, c)
        })
        .collect();
    (functions, known, problems)
}

// ---------------------------------------------------------------------------
// Imports and references

/// What the names of a file refer to in the library: `name → path` (a
/// module or a function, as segments from the crate root), plus glob imports
/// (`use …::steps::*`). Every `use` item of the file counts, wherever it is.
#[derive(Default, Debug)]
pub(super) struct Imports {
    names: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for Imports {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&u.tree, &[], &mut leaves);
        for (path, name) in leaves {
            if path.first().map(String::as_str) != Some(CRATE) {
                continue;
            }
            let path = path[1..].to_vec();
            match name {
                Some(name) => {
                    self.names.insert(name, path);
                }
                None => self.globs.push(path),
            }
        }
    }

    fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
        if e.ident == CRATE
            && let Some((_, alias)) = &e.rename
        {
            self.names.insert(alias.to_string(), Vec::new());
        }
    }
}

impl Imports {
    /// The imports of a parsed file.
    pub(super) fn of(file: &syn::File) -> Self {
        let mut imports = Imports::default();
        imports.visit_file(file);
        imports
    }

    /// The library paths that a path as written may denote.
    fn resolve(&self, written: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        if written[0] == CRATE {
            out.push(written[1..].join("::"));
        }
        if let Some(base) = self.names.get(&written[0]) {
            out.push(
                base.iter()
                    .chain(&written[1..])
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("::"),
            );
        }
        for glob in &self.globs {
            out.push(
                glob.iter()
                    .chain(written)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("::"),
            );
        }
        out
    }
}

/// What a piece of code reaches: the library functions (canonical paths) it
/// names, and the helpers it may call (`name` for a function, `name!` for a
/// macro), to be followed by the caller.
pub(super) struct References<'a> {
    imports: &'a Imports,
    known: &'a BTreeMap<String, String>,
    pub calls: BTreeSet<String>,
    pub helpers: BTreeSet<String>,
}

impl<'a> References<'a> {
    pub(super) fn new(imports: &'a Imports, known: &'a BTreeMap<String, String>) -> Self {
        References {
            imports,
            known,
            calls: BTreeSet::new(),
            helpers: BTreeSet::new(),
        }
    }

    /// A path expression, as its segments.
    fn path(&mut self, segments: &[String]) {
        let Some(last) = segments.last() else { return };
        self.helpers.insert(last.clone());
        for candidate in self.imports.resolve(segments) {
            if let Some(function) = self.known.get(&candidate) {
                self.calls.insert(function.clone());
            }
        }
    }

    /// The tokens of a macro invocation (see the module documentation).
    fn tokens(&mut self, tokens: TokenStream, proptest: bool) {
        if proptest && let Ok(fns) = proptest_fns.parse2(tokens.clone()) {
            for f in &fns {
                f.visit(self);
            }
            return;
        }
        if let Ok(exprs) = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens.clone()) {
            for e in &exprs {
                self.visit_expr(e);
            }
            return;
        }
        if let Ok(stmts) = Block::parse_within.parse2(tokens.clone()) {
            for s in &stmts {
                self.visit_stmt(s);
            }
            return;
        }
        // The pieces between top-level `,`, `;` and `=>`.
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        let punct =
            |i: usize, c: char| matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
        let mut pieces = vec![TokenStream::new()];
        let mut i = 0;
        while i < tts.len() {
            if punct(i, ',') || punct(i, ';') {
                pieces.push(TokenStream::new());
            } else if punct(i, '=') && punct(i + 1, '>') {
                pieces.push(TokenStream::new());
                i += 1;
            } else {
                pieces.last_mut().expect("one").extend([tts[i].clone()]);
            }
            i += 1;
        }
        for piece in pieces {
            match syn::parse2::<Expr>(piece.clone()) {
                Ok(e) => self.visit_expr(&e),
                Err(_) => {
                    for tt in piece {
                        if let TokenTree::Group(g) = tt {
                            self.tokens(g.stream(), false);
                        }
                    }
                }
            }
        }
    }

    /// The paths of raw tokens (the rules of a `macro_rules!`): identifiers
    /// joined by `::`, not after `$`, `.` or `::`; a path followed by `!` is a
    /// macro.
    fn token_paths(&mut self, tokens: TokenStream) {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        let punct =
            |i: usize, c: char| matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
        let mut i = 0;
        while i < tts.len() {
            match &tts[i] {
                TokenTree::Group(g) => {
                    self.token_paths(g.stream());
                    i += 1;
                }
                TokenTree::Ident(first) => {
                    let after =
                        i > 0 && (punct(i - 1, '$') || punct(i - 1, '.') || punct(i - 1, ':'));
                    let mut segments = vec![first.to_string()];
                    let mut j = i + 1;
                    while punct(j, ':') && punct(j + 1, ':') {
                        match tts.get(j + 2) {
                            Some(TokenTree::Ident(next)) => {
                                segments.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if !after {
                        if punct(j, '!') {
                            self.helpers
                                .insert(format!("{}!", segments.last().expect("one")));
                        } else {
                            self.path(&segments);
                        }
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
    }
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_expr_path(&mut self, e: &'ast syn::ExprPath) {
        if e.qself.is_none() {
            let segments: Vec<String> = e
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            self.path(&segments);
        }
        visit::visit_expr_path(self, e);
    }

    fn visit_macro(&mut self, m: &'ast Macro) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        self.helpers.insert(format!("{name}!"));
        self.tokens(m.tokens.clone(), name == "proptest");
    }
}

// ---------------------------------------------------------------------------
// proptest!

/// A test function of a `proptest! { … }` block: `#[test] fn name(x in
/// strategy, …) { … }`.
struct PropFn {
    attrs: Vec<Attribute>,
    name: Ident,
    strategies: Vec<Expr>,
    body: Block,
}

impl PropFn {
    fn visit<'ast>(&'ast self, v: &mut dyn Visit<'ast>) {
        for s in &self.strategies {
            v.visit_expr(s);
        }
        v.visit_block(&self.body);
    }
}

/// The test functions of the body of a `proptest!` block (after an optional
/// `#![proptest_config(…)]`).
fn proptest_fns(input: ParseStream) -> syn::Result<Vec<PropFn>> {
    Attribute::parse_inner(input)?;
    let mut out = Vec::new();
    while !input.is_empty() {
        let attrs = Attribute::parse_outer(input)?;
        input.parse::<Token![fn]>()?;
        let name: Ident = input.parse()?;
        let args;
        syn::parenthesized!(args in input);
        let mut strategies = Vec::new();
        while !args.is_empty() {
            Pat::parse_single(&args)?;
            if args.peek(Token![in]) {
                args.parse::<Token![in]>()?;
                strategies.push(args.parse::<Expr>()?);
            } else {
                args.parse::<Token![:]>()?;
                args.parse::<Type>()?;
            }
            if !args.is_empty() {
                args.parse::<Token![,]>()?;
            }
        }
        input.parse::<syn::ReturnType>()?;
        let body: Block = input.parse()?;
        out.push(PropFn {
            attrs,
            name,
            strategies,
            body,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Suite files and book blocks

/// A function (or a `macro_rules!` macro, named `name!`) of a suite file:
/// whether it is a test (`#[test]` and not `#[ignore]`), and what it reaches.
#[derive(Debug)]
pub(super) struct SuiteFn {
    pub name: String,
    pub is_test: bool,
    pub calls: BTreeSet<String>,
    pub helpers: BTreeSet<String>,
}

/// Collects the functions of a suite file, at any depth.
struct Functions<'a> {
    imports: &'a Imports,
    known: &'a BTreeMap<String, String>,
    fns: Vec<SuiteFn>,
    problems: Vec<String>,
}

fn has_attr(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

/// The names of the functions defined inside a block (at any depth): they
/// are local to it, so a call of one is no call of a helper of the file.
#[derive(Default)]
struct NestedFns(BTreeSet<String>);

impl<'ast> Visit<'ast> for NestedFns {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.0.insert(f.sig.ident.to_string());
        visit::visit_item_fn(self, f);
    }
}

impl Functions<'_> {
    fn add<'ast>(
        &mut self,
        attrs: &[Attribute],
        name: &Ident,
        reach: impl Fn(&mut dyn Visit<'ast>),
    ) {
        let mut refs = References::new(self.imports, self.known);
        reach(&mut refs);
        let mut nested = NestedFns::default();
        reach(&mut nested);
        self.fns.push(SuiteFn {
            name: name.to_string(),
            is_test: has_attr(attrs, "test") && !has_attr(attrs, "ignore"),
            calls: refs.calls,
            helpers: refs.helpers.difference(&nested.0).cloned().collect(),
        });
    }
}

/// The functions of a file (and of its inline modules; a function nested
/// in another belongs to that one), its `macro_rules!` macros, and the tests
/// of its `proptest!` blocks.
impl<'ast> Visit<'ast> for Functions<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.add(&f.attrs, &f.sig.ident, |v| v.visit_block(&f.block));
    }

    fn visit_impl_item(&mut self, i: &'ast ImplItem) {
        if let ImplItem::Fn(f) = i {
            self.add(&f.attrs, &f.sig.ident, |v| v.visit_block(&f.block));
        }
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if m.mac.path.is_ident("macro_rules") {
            if let Some(name) = &m.ident {
                let mut refs = References::new(self.imports, self.known);
                refs.token_paths(m.mac.tokens.clone());
                self.fns.push(SuiteFn {
                    name: format!("{name}!"),
                    is_test: false,
                    calls: refs.calls,
                    helpers: refs.helpers,
                });
            }
        } else if m.mac.path.is_ident("proptest") {
            match m.mac.parse_body_with(proptest_fns) {
                Ok(fns) => {
                    for f in &fns {
                        self.add(&f.attrs, &f.name, |v| f.visit(v));
                    }
                }
                Err(e) => self.problems.push(format!(
                    "line {}: a proptest! block that is not a list of test functions: {e}",
                    m.mac.path.segments[0].ident.span().start().line
                )),
            }
        }
        visit::visit_item_macro(self, m);
    }
}

/// The functions of a suite file, or why it cannot be read.
pub(super) fn suite_functions(
    text: &str,
    known: &BTreeMap<String, String>,
) -> Result<Vec<SuiteFn>, String> {
    let file = syn::parse_file(text).map_err(|e| format!("not valid Rust: {e}"))?;
    let imports = Imports::of(&file);
    let mut functions = Functions {
        imports: &imports,
        known,
        fns: Vec::new(),
        problems: Vec::new(),
    };
    functions.visit_file(&file);
    match functions.problems.is_empty() {
        true => Ok(functions.fns),
        false => Err(functions.problems.join("; ")),
    }
}

/// The library functions that the code of a book test block calls. Hidden
/// lines (`# use …;`) are code too; the block is parsed as the body of a
/// function, as rustdoc compiles it.
pub(super) fn book_test_calls(
    code: &str,
    known: &BTreeMap<String, String>,
) -> Result<BTreeSet<String>, String> {
    let code: Vec<&str> = code
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if t == "#" {
                ""
            } else {
                t.strip_prefix("# ").unwrap_or(l)
            }
        })
        .collect();
    let code = code.join("\n");
    let file = syn::parse_file(&format!("fn book_test() {{\n{code}\n}}"))
        .or_else(|_| syn::parse_file(&code))
        .map_err(|e| format!("not valid Rust: {e}"))?;
    let imports = Imports::of(&file);
    let mut refs = References::new(&imports, known);
    refs.visit_file(&file);
    Ok(refs.calls)
}
