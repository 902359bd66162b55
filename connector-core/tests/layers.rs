//! The layers of connector-core stay layers: this test reads `src/`, finds every `crate::…`,
//! `$crate::…`, `super::…` and `self::…` path outside `#[cfg(test)]` items (in `use` lines,
//! code, attributes and the links of doc comments alike), resolves each to the file that
//! defines it, and fails on
//!
//! 1. a circle of imports between files;
//! 2. a file importing from a layer above its own. The layers, from the bottom: the files at
//!    the root (`error.rs`), `wire/`, `ops/`, `framework/`. So `wire` imports neither `ops`
//!    nor `framework`, and `ops` does not import `framework`.
//!
//! It prints the offending edges with the line that makes each. `lib.rs` only declares the
//! layers and re-exports their most used items; a path through a root re-export
//! (`crate::Error`) counts as an import of the file that defines the item.
//!
//! It reads the source as tokens, not as Rust: comments (but for doc links), strings and
//! character literals are skipped, `#[cfg(test)]` is honoured on items (the next `;`-ended item or `{…}` block), and
//! inline `mod name { … }` blocks are followed for `super::`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The layer folders, from the bottom. Files at the root of `src/` are below them all.
const LAYERS: [&str; 3] = ["wire", "ops", "framework"];

#[test]
fn layers_depend_one_way_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = Graph::read(&src);
    let mut report = circles_report(&graph);
    for edge in &graph.edges {
        let (from, to) = (rank(&edge.from), rank(&edge.to));
        if to > from {
            writeln!(
                report,
                "{} imports {}, a layer above it:\n  {edge}",
                layer_name(from),
                layer_name(to)
            )
            .unwrap();
        }
    }
    assert!(
        report.is_empty(),
        "connector-core's layers are broken:\n{report}"
    );
    // With --nocapture: what each file imports.
    let mut imports: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for edge in &graph.edges {
        imports.entry(&edge.from).or_default().insert(&edge.to);
    }
    for (file, uses) in imports {
        let uses: Vec<&str> = uses.into_iter().collect();
        println!("{file} -> {}", uses.join(", "));
    }
    // The test saw what it is about: the files and their imports.
    assert!(graph.files.len() > 10, "read {} files", graph.files.len());
    assert!(!graph.edges.is_empty(), "found no imports at all");
}

/// The other crates of the workspace with modules of their own (the CLI and service, the
/// modules) have no circle of imports between their files either.
#[test]
fn the_other_crates_have_no_import_circles() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["cli", "modules"] {
        let graph = Graph::read(&workspace.join(krate).join("src"));
        let report = circles_report(&graph);
        assert!(report.is_empty(), "{krate}:\n{report}");
        assert!(
            graph.files.len() > 5,
            "{krate}: read {} files",
            graph.files.len()
        );
    }
}

/// Each circle of imports in `graph`, with the edges that make it.
fn circles_report(graph: &Graph) -> String {
    let mut report = String::new();
    for circle in graph.circles() {
        let files: Vec<&str> = circle.iter().map(String::as_str).collect();
        writeln!(report, "a circle of imports between {}:", files.join(", ")).unwrap();
        for edge in graph
            .edges
            .iter()
            .filter(|e| circle.contains(&e.from) && circle.contains(&e.to))
        {
            writeln!(report, "  {edge}").unwrap();
        }
    }
    report
}

/// 0 for a file at the root, then 1, 2, 3 for the layer folders.
fn rank(file: &str) -> usize {
    match file.split_once('/') {
        None => 0,
        Some((folder, _)) => LAYERS
            .iter()
            .position(|layer| *layer == folder)
            .map(|i| i + 1)
            .unwrap_or_else(|| panic!("{file} is in {folder}/, which is not a layer")),
    }
}

fn layer_name(rank: usize) -> String {
    match rank {
        0 => "the root".to_owned(),
        n => format!("{}/", LAYERS[n - 1]),
    }
}

/// One import: `from` (a file under `src/`) uses `path`, defined in `to`.
struct Edge {
    from: String,
    to: String,
    line: usize,
    path: String,
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{} -> {} ({})",
            self.from, self.line, self.to, self.path
        )
    }
}

struct Graph {
    /// Every file, by its path under `src/`.
    files: BTreeSet<String>,
    /// The imports between different files (each file and target once per line).
    edges: Vec<Edge>,
}

/// A module: its path from the crate root, and the file it is written in.
type Modules = BTreeMap<Vec<String>, String>;

impl Graph {
    fn read(src: &Path) -> Graph {
        let mut sources = BTreeMap::new();
        for path in rust_files(src) {
            let name = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            sources.insert(name, strip_test_items(&tokenize(&text)));
        }

        // Every module: the files, then the inline `mod name { … }` blocks in them.
        let mut modules = Modules::new();
        for name in sources.keys() {
            modules.insert(module_of_file(name), name.clone());
        }
        for (name, tokens) in &sources {
            let base = module_of_file(name);
            walk(tokens, &base, |module, _, _| {
                modules.insert(module.to_vec(), name.clone());
            });
        }

        let reexports = reexports(&sources["lib.rs"]);
        let mut edges = Vec::new();
        let mut seen = BTreeSet::new();
        for (name, tokens) in &sources {
            if name == "lib.rs" {
                continue;
            }
            let base = module_of_file(name);
            for (module, line, path) in paths(tokens, &base) {
                let Some(to) = resolve(&modules, &reexports, &module, &path, 0) else {
                    continue;
                };
                if to == *name || to == "lib.rs" || !seen.insert((name.clone(), to.clone(), line)) {
                    continue;
                }
                edges.push(Edge {
                    from: name.clone(),
                    to,
                    line,
                    path: path.join("::"),
                });
            }
        }
        Graph {
            files: sources.keys().cloned().collect(),
            edges,
        }
    }

    /// The sets of files that import each other in a circle (Tarjan's strongly connected
    /// components of more than one file).
    fn circles(&self) -> Vec<BTreeSet<String>> {
        let files: Vec<&String> = self.files.iter().collect();
        let index_of: BTreeMap<&String, usize> =
            files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
        for edge in &self.edges {
            next[index_of[&edge.from]].push(index_of[&edge.to]);
        }
        let mut tarjan = Tarjan {
            next: &next,
            index: vec![None; files.len()],
            low: vec![0; files.len()],
            on_stack: vec![false; files.len()],
            stack: Vec::new(),
            counter: 0,
            components: Vec::new(),
        };
        for v in 0..files.len() {
            if tarjan.index[v].is_none() {
                tarjan.visit(v);
            }
        }
        tarjan
            .components
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| c.into_iter().map(|v| files[v].clone()).collect())
            .collect()
    }
}

struct Tarjan<'a> {
    next: &'a [Vec<usize>],
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    counter: usize,
    components: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, v: usize) {
        self.index[v] = Some(self.counter);
        self.low[v] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        for &w in &self.next[v] {
            match self.index[w] {
                None => {
                    self.visit(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(index) if self.on_stack[w] => self.low[v] = self.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `wire/client.rs` → `[wire, client]`; `wire/mod.rs` → `[wire]`; `lib.rs` → `[]`.
fn module_of_file(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = name
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A word: an identifier, a keyword, a number, `$crate`.
    Word(String),
    /// `::`
    PathSep,
    /// Any other punctuation character.
    Punct(char),
}

/// The tokens of the paths a doc comment links to (`[name](crate::wire::send)`,
/// ``[`super::sqlite::SqliteRecords`]``): a link is a
/// dependency too (rustdoc resolves it, and a reader follows it), so it must not point up a
/// layer or close a circle.
fn doc_link_tokens(comment: &str, line: usize) -> Vec<(Token, usize)> {
    let mut tokens = Vec::new();
    // `[text](target)` and `[`target`]`.
    let targets = comment
        .match_indices("](")
        .map(|(at, _)| comment[at + 2..].split(')').next().unwrap_or_default())
        .chain(
            comment
                .match_indices("[`")
                .map(|(at, _)| comment[at + 2..].split("`]").next().unwrap_or_default()),
        );
    for target in targets {
        let is_path = ["crate::", "$crate::", "super::", "self::"]
            .iter()
            .any(|start| target.starts_with(start));
        if is_path {
            tokens.extend(tokenize(target).into_iter().map(|(token, _)| (token, line)));
            // A path ends here, whatever follows it in the text.
            tokens.push((Token::Punct(';'), line));
        }
    }
    tokens
}

/// Tokens with their line numbers; comments, strings and character literals are left out
/// (except the paths doc comments link to, see [`doc_link_tokens`]).
fn tokenize(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            let start = i;
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            let comment: String = chars[start..i].iter().collect();
            if comment.starts_with("///") || comment.starts_with("//!") {
                tokens.extend(doc_link_tokens(&comment, line));
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&chars, i) {
            line += chars[i..end].iter().filter(|&&c| c == '\n').count();
            i = end;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                line += usize::from(at(i) == '\n');
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or a lifetime ('a), left as a word.
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' || (c == '$' && at(i + 1).is_alphabetic()) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Word(chars[start..i].iter().collect()), line));
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push((Token::PathSep, line));
            i += 2;
        } else {
            tokens.push((Token::Punct(c), line));
            i += 1;
        }
    }
    tokens
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br#"…"#`) starting at `i` ends, if one does.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The tokens without the items marked `#[cfg(test)]` (and their other attributes).
fn strip_test_items(tokens: &[(Token, usize)]) -> Vec<(Token, usize)> {
    let word = |w: &str| Token::Word(w.to_owned());
    let cfg_test = [
        Token::Punct('#'),
        Token::Punct('['),
        word("cfg"),
        Token::Punct('('),
        word("test"),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts_here = tokens[i..]
            .iter()
            .map(|(t, _)| t)
            .take(cfg_test.len())
            .eq(cfg_test.iter());
        if !starts_here {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        i += cfg_test.len();
        // The item: up to a `;` outside brackets, or through its `{ … }` block.
        let mut depth = 0usize;
        while i < tokens.len() {
            match tokens[i].0 {
                Token::Punct('(' | '[') => depth += 1,
                Token::Punct(')' | ']') => depth = depth.saturating_sub(1),
                Token::Punct(';') if depth == 0 => {
                    i += 1;
                    break;
                }
                Token::Punct('{') if depth == 0 => {
                    i = block_end(tokens, i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// The index after the `}` that closes the `{` at `open`.
fn block_end(tokens: &[(Token, usize)], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, (token, _)) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Walks `tokens`, calling `on_module(module, open, close)` for each inline `mod name { … }`
/// (its full module path).
fn walk(
    tokens: &[(Token, usize)],
    base: &[String],
    mut on_module: impl FnMut(&[String], usize, usize),
) {
    fn go(
        tokens: &[(Token, usize)],
        from: usize,
        to: usize,
        module: &mut Vec<String>,
        on_module: &mut dyn FnMut(&[String], usize, usize),
    ) {
        let mut i = from;
        while i < to {
            if let (Token::Word(kw), Some((Token::Word(name), _)), Some((Token::Punct('{'), _))) =
                (&tokens[i].0, tokens.get(i + 1), tokens.get(i + 2))
                && kw == "mod"
            {
                let close = block_end(tokens, i + 2);
                module.push(name.clone());
                on_module(module, i + 2, close);
                go(tokens, i + 3, close - 1, module, on_module);
                module.pop();
                i = close;
            } else {
                i += 1;
            }
        }
    }
    let mut module = base.to_vec();
    go(tokens, 0, tokens.len(), &mut module, &mut on_module);
}

/// Every path that starts with `crate`, `$crate`, `super` or `self`, as (the module it is
/// written in, its line, its segments); a `use` group gives one path per leaf.
fn paths(tokens: &[(Token, usize)], base: &[String]) -> Vec<(Vec<String>, usize, Vec<String>)> {
    // The module each token is in.
    let mut module_at: Vec<Vec<String>> = vec![base.to_vec(); tokens.len()];
    walk(tokens, base, |module, open, close| {
        for slot in &mut module_at[open..close] {
            *slot = module.to_vec();
        }
    });
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts = matches!(&tokens[i].0, Token::Word(w) if ["crate", "$crate", "super", "self"].contains(&w.as_str()))
            && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::PathSep)
            && (i == 0 || tokens[i - 1].0 != Token::PathSep);
        if !starts {
            i += 1;
            continue;
        }
        let mut leaves = Vec::new();
        let end = path_tree(tokens, i, Vec::new(), &mut leaves);
        for leaf in leaves {
            found.push((module_at[i].clone(), tokens[i].1, leaf));
        }
        i = end.max(i + 1);
    }
    found
}

/// Reads the path tree at `i` (`a::b`, `a::{b, c::d}`, `a::*`, `a as b`) under `prefix`,
/// collecting its leaves; returns the index after it.
fn path_tree(
    tokens: &[(Token, usize)],
    mut i: usize,
    mut prefix: Vec<String>,
    leaves: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match tokens.get(i).map(|t| &t.0) {
            Some(Token::Word(w)) => {
                if w != "self" || prefix.is_empty() {
                    prefix.push(w.clone());
                }
                i += 1;
            }
            Some(Token::Punct('{')) => {
                i += 1;
                while let Some((token, _)) = tokens.get(i) {
                    match token {
                        Token::Punct('}') => return i + 1,
                        Token::Punct(',') => i += 1,
                        _ => i = path_tree(tokens, i, prefix.clone(), leaves),
                    }
                }
                return i;
            }
            Some(Token::Punct('*')) => {
                leaves.push(prefix);
                return i + 1;
            }
            _ => {
                leaves.push(prefix);
                return i;
            }
        }
        match tokens.get(i).map(|t| &t.0) {
            Some(Token::PathSep) => i += 1,
            Some(Token::Word(w)) if w == "as" => {
                leaves.push(prefix);
                return i + 2;
            }
            _ => {
                leaves.push(prefix);
                return i;
            }
        }
    }
}

/// The names `lib.rs` re-exports (`pub use wire::client::S3Client;`), each with the path it
/// stands for.
fn reexports(lib: &[(Token, usize)]) -> BTreeMap<String, Vec<String>> {
    let mut names = BTreeMap::new();
    let mut i = 0;
    while i + 2 < lib.len() {
        if lib[i].0 == Token::Word("pub".into()) && lib[i + 1].0 == Token::Word("use".into()) {
            let mut leaves = Vec::new();
            i = path_tree(lib, i + 2, Vec::new(), &mut leaves);
            for mut leaf in leaves {
                if leaf.first().is_some_and(|s| s == "crate") {
                    leaf.remove(0);
                }
                if let Some(name) = leaf.last() {
                    names.insert(name.clone(), leaf.clone());
                }
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The file that defines what `path`, written in `module`, names; `None` for what is outside
/// the crate (or for the crate root itself).
fn resolve(
    modules: &Modules,
    reexports: &BTreeMap<String, Vec<String>>,
    module: &[String],
    path: &[String],
    hops: usize,
) -> Option<String> {
    let mut current: Vec<String> = match path.first()?.as_str() {
        "crate" | "$crate" => Vec::new(),
        _ => module.to_vec(),
    };
    let mut rest = path;
    while let Some(first) = rest.first() {
        match first.as_str() {
            "crate" | "$crate" | "self" => {}
            "super" => {
                current.pop();
            }
            _ => break,
        }
        rest = &rest[1..];
    }
    for segment in rest {
        let mut deeper = current.clone();
        deeper.push(segment.clone());
        if modules.contains_key(&deeper) {
            current = deeper;
            continue;
        }
        if current.is_empty() && hops < 4 {
            // An item the root re-exports.
            let target = reexports.get(segment)?;
            return resolve(modules, reexports, &[], target, hops + 1);
        }
        break;
    }
    if current.is_empty() {
        return None;
    }
    modules.get(&current).cloned()
}
