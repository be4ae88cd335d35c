//! The shape of the code, checked from its source (ARCHITECTURE.md, "Layout"):
//! - no import cycle crosses a top-level module: infrastructure (`state.rs`, `http/`,
//!   `jobs/`, `kernel/`, …) never imports back a domain that imports it, and no two domains
//!   import each other;
//! - `kernel/` and `state.rs` name no domain; `jobs/`, `http/` and `webhooks/` name none either;
//! - every domain folder has `mod.rs`, `error.rs` and `types.rs`, and every resource folder
//!   has `api.rs` and `dto.rs`.
//!
//! The graph is read from the source text: a file depends on the file of every module it
//! names through `crate::…`, `super::…` or a `use` of a child module (test modules and
//! comments are left out). It is an approximation a reader can follow, not a compiler.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Domains: each owns its tables and exposes public functions to the others.
const DOMAINS: &[&str] = &["membership", "democracy", "reports"];
/// Infrastructure that must name no domain.
/// (`error.rs` may name each domain's `error` module: it maps their enums to the wire.)
const DOMAIN_FREE: &[&str] = &["kernel", "state", "jobs", "http", "webhooks", "error", "db", "config", "i18n"];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Module path (`democracy::proposals::store`) → file, for every file under `src/`.
fn modules() -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src_dir()).unwrap().with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if parts.last().is_some_and(|p| p == "mod") {
                    parts.pop();
                }
                if parts == ["lib"] || parts == ["main"] {
                    parts.clear();
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    out
}

/// The source without its test module and comment lines.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `<prefix>::a::b::c` path in `code` (identifier segments only), without the prefix.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut start = 0;
    while let Some(i) = code[start..].find(prefix) {
        let at = start + i;
        start = at + prefix.len();
        if at > 0 && is_ident(bytes[at - 1]) {
            continue;
        }
        let mut segments = Vec::new();
        let mut rest = &code[start..];
        while let Some(after) = rest.strip_prefix("::") {
            let len = after.bytes().take_while(|b| is_ident(*b)).count();
            if len == 0 {
                break;
            }
            segments.push(after[..len].to_owned());
            rest = &after[len..];
        }
        if !segments.is_empty() {
            out.push(segments);
        }
    }
    out
}

/// The longest prefix of `segments` that is a module with a file.
fn resolve(modules: &BTreeMap<String, PathBuf>, segments: &[String]) -> Option<String> {
    (1..=segments.len()).rev().map(|k| segments[..k].join("::")).find(|m| modules.contains_key(m))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &modules {
        let code = code_of(path);
        let own: Vec<String> =
            if module.is_empty() { Vec::new() } else { module.split("::").map(str::to_owned).collect() };
        let parent = &own[..own.len().saturating_sub(1)];
        let mut targets = BTreeSet::new();
        for segments in paths_after(&code, "crate") {
            targets.extend(resolve(&modules, &segments));
        }
        for segments in paths_after(&code, "super") {
            let full: Vec<String> = parent.iter().cloned().chain(segments).collect();
            targets.extend(resolve(&modules, &full));
        }
        // `use child::…` and `pub use child::…` name a child module relative to this one.
        for line in code.lines() {
            let line = line.trim_start().trim_start_matches("pub ").trim_start_matches("pub(crate) ");
            let Some(rest) = line.strip_prefix("use ") else { continue };
            let first = rest.split("::").next().unwrap_or_default();
            let child: Vec<String> = own.iter().cloned().chain([first.to_owned()]).collect();
            if !["crate", "super", "self", "std", "core"].contains(&first) && modules.contains_key(&child.join("::")) {
                let segments: Vec<String> =
                    own.iter().cloned().chain(paths_after(&format!("x::{rest}"), "x").into_iter().flatten()).collect();
                targets.extend(resolve(&modules, &segments));
            }
        }
        targets.remove(module);
        edges.insert(module.clone(), targets);
    }
    edges
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w.as_str()]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w.as_str()) {
                    let low = self.low[v].min(self.index[w.as_str()]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
}

#[test]
fn no_import_cycle_crosses_a_top_level_module() {
    let crossing: Vec<Vec<String>> =
        cycles(&graph()).into_iter().filter(|c| c.iter().map(|m| top(m)).collect::<BTreeSet<_>>().len() > 1).collect();
    assert!(
        crossing.is_empty(),
        "import cycles across modules (break them with a public function or a registry):\n{crossing:#?}"
    );
}

#[test]
fn infrastructure_names_no_domain() {
    let mut offenders = Vec::new();
    for (module, targets) in graph() {
        if !DOMAIN_FREE.contains(&top(&module)) {
            continue;
        }
        let allowed = |t: &str| module == "error" && t.ends_with("::error");
        for target in targets.iter().filter(|t| DOMAINS.contains(&top(t)) && !allowed(t)) {
            offenders.push(format!("{module} -> {target}"));
        }
    }
    assert!(offenders.is_empty(), "infrastructure must not import a domain:\n{}", offenders.join("\n"));
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    // The checker itself: a two-module cycle across folders is found, a chain is not.
    let mut edges = BTreeMap::new();
    edges.insert("a::x".to_owned(), BTreeSet::from(["b::y".to_owned()]));
    edges.insert("b::y".to_owned(), BTreeSet::from(["a::x".to_owned()]));
    edges.insert("c".to_owned(), BTreeSet::from(["a::x".to_owned()]));
    assert_eq!(cycles(&edges), vec![vec!["a::x".to_owned(), "b::y".to_owned()]]);
    assert_eq!(paths_after("use crate::a::b::{c, d};", "crate"), vec![vec!["a".to_owned(), "b".to_owned()]]);
}

#[test]
fn every_domain_and_resource_folder_has_its_shape() {
    let mut missing = Vec::new();
    for domain in ["membership", "democracy"] {
        let dir = src_dir().join(domain);
        for file in ["mod.rs", "error.rs", "types.rs"] {
            if !dir.join(file).exists() {
                missing.push(format!("{domain}/{file}"));
            }
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                for file in ["mod.rs", "api.rs", "dto.rs"] {
                    if !path.join(file).exists() {
                        missing.push(format!("{}/{file}", path.strip_prefix(src_dir()).unwrap().display()));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "missing files of the layout:\n{}", missing.join("\n"));
}

#[test]
fn domains_raise_their_own_errors() {
    // Refusals and state conflicts are variants of the domain's error enum (with their zh/en
    // text checked in `error.rs`), never a free-text code built inside the domain.
    let mut offenders = Vec::new();
    for (module, path) in modules() {
        if !DOMAINS.contains(&top(&module)) {
            continue;
        }
        let code = code_of(&path);
        for needle in ["ApiError::Refused(", "ApiError::Conflict(", "ApiError::Unprocessable("] {
            if code.contains(needle) {
                offenders.push(format!("{module}: {needle}"));
            }
        }
    }
    assert!(offenders.is_empty(), "use the domain's error enum instead:\n{}", offenders.join("\n"));
}

#[test]
fn schema_names_are_unique() {
    // utoipa names a schema after its type: two `ToSchema` types with one name silently share
    // one schema in the spec (`GET /members/{id}/history` once documented the proposal
    // history that way).
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (module, path) in modules() {
        let code = code_of(&path);
        let mut derives_schema = false;
        for line in code.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                derives_schema |= line.contains("ToSchema");
                continue;
            }
            if line.starts_with("#[") {
                continue;
            }
            let name = line
                .strip_prefix("pub struct ")
                .or_else(|| line.strip_prefix("pub enum "))
                .map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default());
            if let (true, Some(name)) = (derives_schema, name) {
                seen.entry(name.to_owned()).or_default().push(module.clone());
            }
            derives_schema = false;
        }
    }
    let clashes: Vec<String> =
        seen.into_iter().filter(|(_, m)| m.len() > 1).map(|(n, m)| format!("{n}: {}", m.join(", "))).collect();
    assert!(clashes.is_empty(), "schema names used twice (rename one):\n{}", clashes.join("\n"));
}

/// Files of a domain that hold store code: everything in a domain folder but its handlers
/// (`api.rs`, `*_api.rs`), wire types (`dto.rs`), pure rules (`rules.rs`), module and error
/// declarations, and the proof makers themselves (`access.rs`).
fn store_files() -> Vec<PathBuf> {
    let skip = ["api.rs", "dto.rs", "rules.rs", "mod.rs", "error.rs", "types.rs", "access.rs"];
    modules()
        .into_iter()
        .filter(|(m, _)| DOMAINS.contains(&top(m)) && top(m) != "reports")
        .map(|(_, path)| path)
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            !skip.contains(&name.as_str()) && !name.ends_with("_api.rs")
        })
        .collect()
}

/// Names of the proof types: `impl Proof for X` anywhere in `src/`.
fn proof_types() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in modules().into_values() {
        let code = code_of(&path);
        for part in code.split("impl Proof for ").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(name);
        }
    }
    out
}

/// The visibility-qualified (`pub`, `pub(crate)`, `pub(super)`, `pub(in …)`) functions of a
/// file that take a database connection, as (name, parameter list).
fn public_db_functions(code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("pub") {
        let tail = &rest[at..];
        rest = &rest[at + 3..];
        let Some(fn_at) = tail.find("fn ") else { break };
        let head = &tail[..fn_at];
        // `pub fn`, `pub async fn`, `pub(crate) async fn`, …: nothing but a visibility and
        // `async` between `pub` and `fn`.
        let qualifiers = head.trim_start_matches("pub").trim();
        let qualifiers = qualifiers.strip_prefix('(').map_or(qualifiers, |q| q.split_once(')').map_or(q, |(_, r)| r));
        if !(qualifiers.trim().is_empty() || qualifiers.trim() == "async") {
            continue;
        }
        let sig = &tail[fn_at + 3..];
        let name: String = sig.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let Some(open) = sig.find('(') else { continue };
        let mut depth = 0;
        let mut close = open;
        for (i, c) in sig[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let params = sig[open + 1..close].to_owned();
        if params.contains("AsyncPgConnection") {
            out.push((name, params));
        }
    }
    out
}

/// Issue 8 item 3: authorization is a value the stores require. Every public store function
/// of a domain takes a proof (`&Authorized` from `authorize`, or an object proof such as
/// `&ProposalAccess`), so a handler cannot reach scoped data without the check. The one
/// exception is named so a reviewer sees it: `pub(super)` helpers ending in `_unchecked`,
/// which re-read a row inside a change whose caller was checked (they must stay `pub(super)`).
#[test]
fn every_public_store_function_requires_a_proof() {
    let proofs = proof_types();
    assert!(proofs.contains("Authorized") && proofs.contains("ProposalAccess"), "{proofs:?}");
    let mut missing = Vec::new();
    for path in store_files() {
        for (name, params) in public_db_functions(&code_of(&path)) {
            let has_proof = params.contains("&impl Proof") || proofs.iter().any(|p| params.contains(&format!("&{p}")));
            if !has_proof && !name.ends_with("_unchecked") {
                missing.push(format!("{}: {name}", path.strip_prefix(src_dir()).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "public store functions without a proof parameter:\n{}", missing.join("\n"));
    for path in store_files() {
        let code = code_of(&path);
        for line in code.lines().filter(|l| l.contains("_unchecked(") && l.contains("fn ")) {
            assert!(
                line.trim_start().starts_with("pub(super) ") || !line.trim_start().starts_with("pub"),
                "{}: an unchecked helper must not be visible beyond its resource: {line}",
                path.display()
            );
        }
    }
}

/// A proof is unforgeable only if nothing outside its module can fill its fields.
#[test]
fn proof_types_have_no_public_fields() {
    let proofs = proof_types();
    let mut public = Vec::new();
    for path in modules().into_values() {
        let code = code_of(&path);
        for proof in &proofs {
            let Some(at) = code.find(&format!("pub struct {proof} {{")) else { continue };
            let body = &code[at..at + code[at..].find("\n}").unwrap_or(0)];
            if body.lines().skip(1).any(|l| l.trim_start().starts_with("pub ")) {
                public.push(proof.clone());
            }
            if code[at..].starts_with(&format!("pub struct {proof}(pub")) {
                public.push(proof.clone());
            }
        }
    }
    assert!(public.is_empty(), "proof types with public fields: {public:?}");
}

/// `Authorized::system` (every unit, no caller) is for the service itself: demo data, the
/// command line, jobs and integrations acting as the union. A request handler must use
/// `authorize`.
#[test]
fn only_the_service_itself_mints_system_proofs() {
    // The job handlers that run as the union (daily proposal reminders, the monthly
    // birthday list) live next to the function they call.
    let allowed = [
        "seed",
        "cli",
        "auth::permissions",
        "integrations::roster",
        "jobs",
        "democracy::proposals::reminders",
        "membership::members::birthdays",
    ];
    let mut callers = Vec::new();
    for (module, path) in modules() {
        if code_of(&path).contains("Authorized::system(") && !allowed.iter().any(|a| module.starts_with(a)) {
            callers.push(module);
        }
    }
    assert!(callers.is_empty(), "Authorized::system used outside the allowed modules: {callers:?}");
}

/// Issue 8 item 2: a domain's resource folders are private; other modules see only the
/// public face its `mod.rs` re-exports (functions that take a proof, pure rules, types), so a
/// cross-domain store import does not compile. `error` and `types` are the domain's shared
/// vocabulary and stay public.
#[test]
fn domains_expose_only_their_public_face() {
    for domain in DOMAINS.iter().filter(|d| **d != "reports") {
        let code = code_of(&src_dir().join(domain).join("mod.rs"));
        let public: Vec<&str> = code
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub mod "))
            .map(|m| m.trim_end_matches(';'))
            .filter(|m| !["error", "types"].contains(m))
            .collect();
        assert!(public.is_empty(), "{domain}/mod.rs makes resource modules public: {public:?}");
    }
}

/// Issue 8 item 5: every store entry point (`pub async fn` taking a connection) opens a
/// tracing span named after it, with its integer ids as fields and nothing else
/// (`skip_all`: no personal data, no connection in the logs), so that a slow query or an error
/// in the JSON log says which store call and which record.
#[test]
fn store_entry_points_are_instrumented() {
    let mut missing = Vec::new();
    for path in store_files() {
        let code = code_of(&path);
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.trim_start().starts_with("pub async fn ") {
                continue;
            }
            let signature: String = lines[i..].iter().take(12).copied().collect::<Vec<_>>().join(" ");
            let signature = signature.split('{').next().unwrap_or_default();
            if !signature.contains("AsyncPgConnection") {
                continue;
            }
            let attribute = lines[..i].iter().rev().find(|l| !l.trim().is_empty()).map_or("", |l| l.trim());
            if !attribute.starts_with("#[tracing::instrument(skip_all") {
                missing.push(format!("{}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(missing.is_empty(), "add #[tracing::instrument(skip_all, fields(id = id))]:\n{}", missing.join("\n"));
}
