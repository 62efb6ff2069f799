//! Every display equation of the book, evaluated from its LaTeX.
//!
//! The book's other tests check the *functions* next to each equation. These
//! check the *equation the reader sees*: each `$$ … $$` block is parsed with
//! pulldown-latex into an expression tree, every side of every `=` is
//! evaluated on random inputs, and the sides must agree with one another and
//! with the crate's functions that the chapter shows for it. A slip in the
//! displayed formula (an index, a sign, a bound) fails `cargo test` with the
//! equation's tag and anchor, the sides that disagree and their values.
//!
//! One idea per module, in the order of the pipeline:
//!
//! - [`chapters`]: find the equations, their anchors, tags and binding lines;
//! - [`tex`]: LaTeX → token tree (pulldown-latex's events, folded);
//! - [`grammar`]: token tree → clauses of expression trees;
//! - [`bindings`]: the `<!-- check: … -->` line: what the symbols stand for;
//! - [`num`]: dual numbers with running error bounds (derivatives, tolerances);
//! - [`eval`]: evaluating an expression; [`library`]: the crate's functions by name;
//! - [`check`]: one equation, all draws, all free indices;
//! - [`notation`]: the few equations that state notation, with reasons;
//! - [`references`]: every equation number in the prose links to its anchor;
//! - [`mutants`]: typos of every equation, which the check must catch
//!   (`cargo xtask equation-mutants`).

mod bindings;
mod chapters;
mod check;
mod eval;
mod grammar;
mod library;
mod mutants;
mod notation;
mod num;
mod references;
mod tex;

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether an equation's LaTeX is checked, for the appendix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Evaluated from its LaTeX and compared with the crate.
    Checked,
    /// Listed in [`notation::LISTED`], with this reason.
    Listed(&'static str),
}

/// For each display equation of the book, by anchor: checked, or the reason
/// why not.
pub fn status() -> Vec<(String, Status)> {
    chapters::book_equations(&root())
        .into_iter()
        .map(|eq| {
            let s = match notation::reason(&eq.anchor) {
                Some(r) => Status::Listed(r),
                None => Status::Checked,
            };
            (eq.anchor, s)
        })
        .collect()
}

/// Parse every equation that is not listed; errors name the equation.
fn parse_all(equations: &[chapters::Equation]) -> (Vec<check::Parsed>, Vec<String>) {
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for eq in equations {
        match (notation::reason(&eq.anchor), &eq.binding) {
            (Some(_), Some(_)) => errors.push(format!(
                "{}: listed as notation in equations/notation.rs but has a binding; remove one",
                eq.name()
            )),
            (Some(_), None) => {}
            (None, _) => match check::parse(eq) {
                Ok(p) => parsed.push(p),
                Err(e) => errors.push(format!("{}: {e}", eq.name())),
            },
        }
    }
    (parsed, errors)
}

/// Check every equation; the failures, each naming its equation.
fn failures(equations: &[chapters::Equation]) -> Vec<String> {
    let (parsed, mut errors) = parse_all(equations);
    for p in &parsed {
        if let Err(e) = check::check(p, &parsed, check::DRAWS) {
            errors.push(format!(
                "{} is wrong or its binding is: {e}",
                p.equation.name()
            ));
        }
    }
    errors
}

#[test]
fn every_display_equation_is_checked_from_its_latex() {
    let errors = failures(&chapters::book_equations(&root()));
    assert!(errors.is_empty(), "\n{}", errors.join("\n\n"));
}

#[test]
fn a_slip_in_the_denominator_of_1_1_fails_naming_it() {
    // The issue's acceptance test: e^{z_d} → e^{z_c} in the denominator of (1.1).
    let mut equations = chapters::book_equations(&root());
    let eq = equations.iter_mut().find(|e| e.tag == "1.1").unwrap();
    let slip = eq
        .latex
        .replace("\\sum_{d=1}^C e^{z_d}", "\\sum_{d=1}^C e^{z_c}");
    assert_ne!(
        slip, eq.latex,
        "(1.1) no longer has the denominator this test edits"
    );
    eq.latex = slip;
    let errors = failures(&equations);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("(1.1) eq-softmax-definition (softmax.md:"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("side 3"), "{}", errors[0]);
}

#[test]
fn nine_in_ten_equations_are_checked() {
    let all = status();
    let checked = all.iter().filter(|(_, s)| *s == Status::Checked).count();
    assert!(
        all.len() >= 44,
        "only {} display equations found",
        all.len()
    );
    assert!(
        checked * 10 >= all.len() * 9,
        "{checked} of {} checked",
        all.len()
    );
    for (anchor, _) in notation::LISTED {
        assert!(
            all.iter().any(|(a, _)| a == anchor),
            "{anchor} is listed but not in the book"
        );
    }
}

#[test]
fn a_derivative_is_forward_mode_ad_of_the_tree() {
    // ∂/∂x of x^3 at 2 is 12, exactly: no finite difference.
    let toks = tex::tokens(r"\frac{\partial x^3}{\partial x}").unwrap();
    let e = grammar::expr(&toks).unwrap();
    let mut env = eval::Env::new(2, 1);
    env.defs.insert(
        "x".into(),
        eval::Def::Input(eval::Val::S(num::Num::exact(2.0))),
    );
    let eval::Val::S(d) = env.eval(&e).unwrap() else {
        panic!("not a number")
    };
    assert_eq!(d.v, 12.0);
}

#[test]
fn what_the_grammar_does_not_know_is_an_error() {
    for latex in [
        r"\int_0^1 x\,dx",
        r"\sqrt{x}",
        r"\text{whatever} x = 1",
        r"\lim_{x} x",
    ] {
        let parsed = tex::tokens(latex).and_then(grammar::clauses);
        assert!(parsed.is_err(), "{latex} parsed as {parsed:?}");
    }
}

/// The equation mutants, with the list of equivalent ones; run by
/// `cargo xtask equation-mutants`.
#[test]
#[ignore = "about a minute; run by `cargo xtask equation-mutants`"]
fn equation_mutants() {
    let equations = chapters::book_equations(&root());
    let (parsed, errors) = parse_all(&equations);
    assert!(errors.is_empty(), "{errors:#?}");
    let equivalent =
        std::fs::read_to_string(root().join("tests/suite/equations/equivalent-mutants.txt"))
            .expect("tests/suite/equations/equivalent-mutants.txt");
    let listed: Vec<(String, String)> = equivalent
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, reason) = l.split_once(" # ").unwrap_or((l, ""));
            (key.trim().to_string(), reason.trim().to_string())
        })
        .collect();
    for (key, reason) in &listed {
        assert!(
            !reason.is_empty(),
            "equivalent mutant without a proof: {key}"
        );
    }
    let mut counts: std::collections::BTreeMap<&str, [usize; 4]> = Default::default();
    let mut survivors = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for p in &parsed {
        for m in mutants::mutants(&p.equation.latex) {
            let key = format!("({}) {}: {}", p.equation.tag, m.operator, m.description);
            let mut eq = p.equation.clone();
            eq.latex = m.latex.clone();
            let row = counts.entry(m.operator).or_default();
            row[0] += 1;
            match check::parse(&eq) {
                Err(e) => {
                    row[1] += 1;
                    if std::env::var_os("EQUATION_MUTANTS_VERBOSE").is_some() {
                        println!("rejected {key}: {e}\n    {}", m.latex.replace('\n', " "));
                    }
                }
                Ok(mp) => match check::check(&mp, &parsed, check::DRAWS) {
                    Err(_) => row[2] += 1,
                    Ok(()) => {
                        if listed.iter().any(|(k, _)| *k == key) {
                            used.insert(key.clone());
                            row[3] += 1;
                        } else {
                            survivors.push(format!("{key}\n    {}", m.latex.replace('\n', " ")));
                        }
                    }
                },
            }
        }
    }
    let mut report = String::from("operator          mutants  rejected  failed  equivalent\n");
    let mut total = [0; 4];
    for (op, row) in &counts {
        report += &format!(
            "{op:16} {:8} {:9} {:7} {:11}\n",
            row[0], row[1], row[2], row[3]
        );
        for (t, r) in total.iter_mut().zip(row) {
            *t += r;
        }
    }
    report += &format!(
        "{:16} {:8} {:9} {:7} {:11}\nsurvivors: {}\n",
        "total",
        total[0],
        total[1],
        total[2],
        total[3],
        survivors.len()
    );
    println!("{report}");
    write_report(&report);
    let stale: Vec<_> = listed
        .iter()
        .filter(|(k, _)| !used.contains(k))
        .map(|(k, _)| k)
        .collect();
    assert!(
        survivors.is_empty(),
        "{report}\nsurviving mutants:\n{}",
        survivors.join("\n")
    );
    assert!(
        stale.is_empty(),
        "equivalent-mutants.txt lists mutants that are not survivors: {stale:#?}"
    );
}

/// Copy the mutant counts into the chapter "How we know the tests can fail",
/// between its markers, if they changed.
fn write_report(report: &str) {
    const BEGIN: &str = "<!-- cargo xtask equation-mutants writes the block below -->\n```text\n";
    const END: &str = "```\n<!-- end of the equation-mutants report -->";
    let path = root().join("book/mutation-testing.md");
    let text = std::fs::read_to_string(&path).expect("book/mutation-testing.md");
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("book/mutation-testing.md lacks the equation-mutants markers");
    };
    let new = format!("{}{report}{}", &text[..b + BEGIN.len()], &text[e..]);
    if new != text {
        std::fs::write(&path, new).expect("write book/mutation-testing.md");
        println!("updated the report in book/mutation-testing.md");
    }
}

#[test]
fn presentational_commands_are_stripped() {
    let (latex, tag) = chapters::strip_tag("a = b \\label{x} \\tag{1.1}").unwrap();
    assert_eq!((latex.as_str(), tag.as_str()), ("a = b", "1.1"));
    // Spacing separates clauses at the top level, and is nothing inside a term.
    let toks = tex::tokens(r"y = 2\, x \quad \text{for} \; x = 1 \cdots C").unwrap();
    let clauses = grammar::clauses(toks).unwrap();
    assert!(
        matches!(clauses.as_slice(), [grammar::Clause::Claim(_), grammar::Clause::Range(x)] if x == "x")
    );
}
