//! The architecture's layering, checked on the source: each layer imports only from below it,
//! and the sender is a leaf that only `startup` starts. A rule broken here is a module that
//! reaches up (the cycle that made the sender hard to change, issue 13).

use std::fs;
use std::path::{Path, PathBuf};

/// What a layer's files must not import, by module path.
const RULES: &[(&str, &[&str])] = &[
    ("src/domain", &["db", "services", "sender", "web", "api", "startup", "state"]),
    ("src/outbound", &["db", "services", "sender", "web", "api", "startup", "state"]),
    ("src/db", &["services", "sender", "web", "api", "startup", "state"]),
    ("src/services", &["sender", "web", "api", "startup"]),
    ("src/sender", &["services", "web", "api", "startup", "state"]),
];

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// `crate::module` paths a file names outside its comments.
fn imports(source: &str) -> Vec<String> {
    let code = source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    code.match_indices("crate::")
        .map(|(at, _)| {
            code[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>()
        })
        .collect()
}

fn violations() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(root).expect("inside the crate").to_string_lossy().replace('\\', "/");
        if relative == "src/layering.rs" {
            continue; // its examples
        }
        let source = fs::read_to_string(&file).expect("readable source");
        for module in imports(&source) {
            let forbidden =
                RULES.iter().any(|(layer, above)| relative.starts_with(layer) && above.contains(&module.as_str()));
            let starts_sender =
                module == "sender" && !relative.starts_with("src/sender") && relative != "src/startup.rs";
            if forbidden || starts_sender {
                found.push(format!("{relative} imports crate::{module}"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn each_layer_imports_only_from_below_and_only_startup_starts_the_sender() {
    assert_eq!(violations(), Vec::<String>::new());
}

#[test]
fn an_upward_import_is_seen() {
    assert_eq!(
        imports("// crate::web in a comment\nuse crate::sender::step;\nlet x = crate::db::Db;"),
        ["sender", "db"]
    );
}
