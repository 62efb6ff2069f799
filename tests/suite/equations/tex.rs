//! From LaTeX source to a tree of tokens, with pulldown-latex.
//!
//! pulldown-latex emits a flat stream of typed events in which a fraction, a
//! script or a group announces how many of the following elements belong to
//! it. This module folds that stream into a tree ([`Tok`]): a fraction owns
//! its numerator and denominator, a script its base and scripts, an
//! environment (`aligned`, `split`, `bmatrix`) its rows and cells. It keeps
//! only what the grammar needs: the font of a letter (bold, calligraphic,
//! monospace, double-struck), the width of a space (a `\quad` separates
//! clauses, a `\,` does not). Colours and styles (`\textstyle`) are dropped.
//!
//! Nothing here interprets mathematics; that is [`super::grammar`].

use pulldown_latex::event::{
    Content, DelimiterType, DimensionUnit, EnvironmentFlow, Event, Font, Grouping, ScriptType,
    StateChange, Visual,
};
use pulldown_latex::{Parser, Storage};

/// The fonts the grammar distinguishes: `\mathcal L` is not `L`,
/// `\texttt{MAX}` is a constant's name, `\mathbb R` a set. Bold is kept only
/// for `\mathbf 1`, the vector of ones (a bold `\mathbf z` is the vector `z`,
/// whose entries are `z_c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Upright or italic: the default.
    Plain,
    /// `\mathbf`.
    Bold,
    /// `\mathcal`.
    Calligraphic,
    /// `\texttt`.
    Monospace,
    /// `\mathbb`.
    DoubleStruck,
}

/// One element of an equation.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A letter or symbol (`z`, `ς`, `∂`, `∞`, `⊤`, `…`).
    Sym(char, Face),
    /// A number, as written.
    Num(String, Face),
    /// A named function: `\log`, `\exp`, `\max`, `\operatorname{diag}`.
    Func(String),
    /// `\sum` or `\prod`.
    LargeOp(char),
    /// `+`, `−`, `±`, `⋅`, `⊙`.
    Bin(char),
    /// `=`, `<`, `≤`, `≠`, `≈`, `∈`, ….
    Rel(String),
    /// A delimiter: `(`, `)`, `[`, `⟨`, `|`, with or without `\bigl`.
    Delim(char, DelimiterType),
    /// `,`, `:`, `;`.
    Punct(char),
    /// `\text{…}` (and `\texttt{…}` with the monospace face).
    Text(String, Face),
    /// Horizontal space, in em.
    Space(f32),
    /// `{…}`.
    Group(Vec<Tok>),
    /// `\frac{numerator}{denominator}`.
    Frac(Vec<Tok>, Vec<Tok>),
    /// A base with a subscript and/or superscript.
    Script {
        /// The base.
        base: Box<Tok>,
        /// The subscript.
        sub: Option<Vec<Tok>>,
        /// The superscript.
        sup: Option<Vec<Tok>>,
    },
    /// `\left… \right…`.
    LeftRight(Option<char>, Option<char>, Vec<Tok>),
    /// An environment: rows of cells.
    Env(EnvKind, Vec<Vec<Vec<Tok>>>),
}

/// The environments the book uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvKind {
    /// `aligned`, `split`: rows of one long relation chain (or of several).
    Aligned,
    /// `bmatrix` and the other matrices: a matrix (a column vector here).
    Matrix,
}

/// Tokenize one equation's LaTeX (without `\tag`).
pub fn tokens(latex: &str) -> Result<Vec<Tok>, String> {
    let storage = Storage::new();
    let events = Parser::new(latex, &storage)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("pulldown-latex: {e}"))?;
    let mut reader = Reader {
        events: &events,
        at: 0,
    };
    let mut out = Vec::new();
    let mut face = Face::Plain;
    while reader.at < events.len() {
        match reader.element(&mut face)? {
            Item::Tok(t) => out.push(t),
            Item::Nothing => {}
            Item::Flow(_) => return Err("`&` or `\\\\` outside an environment".into()),
            Item::End => return Err("unbalanced `}`".into()),
        }
    }
    Ok(out)
}

struct Reader<'e, 'a> {
    events: &'e [Event<'a>],
    at: usize,
}

enum Item {
    Tok(Tok),
    /// A state change or a dropped event: no element.
    Nothing,
    /// `&` (false) or `\\` (true).
    Flow(bool),
    End,
}

fn em(width: pulldown_latex::event::Dimension) -> f32 {
    match width.unit {
        DimensionUnit::Mu => width.value / 18.0,
        DimensionUnit::Em => width.value,
        // Any other unit: treat a point as 1/10 em, close enough to tell
        // a thin space from a quad.
        _ => width.value / 10.0,
    }
}

fn face_of(font: Option<Font>) -> Face {
    match font {
        Some(Font::Bold | Font::BoldItalic | Font::BoldSymbol) => Face::Bold,
        Some(Font::Script | Font::BoldScript) => Face::Calligraphic,
        Some(Font::Monospace) => Face::Monospace,
        Some(Font::DoubleStruck) => Face::DoubleStruck,
        _ => Face::Plain,
    }
}

impl Reader<'_, '_> {
    fn next(&mut self) -> Result<&Event<'_>, String> {
        let e = self
            .events
            .get(self.at)
            .ok_or_else(|| "the equation ends inside a construct".to_string())?;
        self.at += 1;
        Ok(e)
    }

    /// The next element that is a token (skipping state changes), for the
    /// arguments of fractions and scripts.
    fn argument(&mut self, face: &mut Face) -> Result<Vec<Tok>, String> {
        loop {
            match self.element(face)? {
                Item::Tok(Tok::Group(inner)) => return Ok(inner),
                Item::Tok(t) => return Ok(vec![t]),
                Item::Nothing => continue,
                Item::Flow(_) | Item::End => {
                    return Err("a fraction or script lacks an argument".into());
                }
            }
        }
    }

    fn element(&mut self, face: &mut Face) -> Result<Item, String> {
        let event = self.next()?.clone();
        Ok(match event {
            Event::Content(c) => Item::Tok(match c {
                Content::Text(t) => Tok::Text(t.to_string(), *face),
                Content::Number(n) => Tok::Num(n.to_string(), *face),
                Content::Function(f) => Tok::Func(f.to_string()),
                Content::Ordinary { content, .. } => Tok::Sym(content, *face),
                Content::LargeOp { content, .. } => Tok::LargeOp(content),
                Content::BinaryOp { content, .. } => Tok::Bin(content),
                Content::Relation { content, .. } => {
                    let mut buf = [0u8; 8];
                    let s = content.encode_utf8_to_buf(&mut buf);
                    Tok::Rel(String::from_utf8_lossy(s).into_owned())
                }
                Content::Delimiter { content, ty, .. } => Tok::Delim(content, ty),
                Content::Punctuation(p) => Tok::Punct(p),
            }),
            Event::Begin(grouping) => self.group(grouping, *face)?,
            Event::End => Item::End,
            Event::Visual(Visual::Fraction(_)) => {
                let num = self.argument(&mut face.clone())?;
                let den = self.argument(&mut face.clone())?;
                Item::Tok(Tok::Frac(num, den))
            }
            Event::Visual(Visual::Negation) => match self.argument(&mut face.clone())?.as_slice() {
                [Tok::Rel(r)] => Item::Tok(Tok::Rel(format!("¬{r}"))),
                _ => return Err("a negation (\\not) of something not a relation".into()),
            },
            Event::Visual(v) => return Err(format!("unsupported construct {v:?}")),
            Event::Script { ty, .. } => {
                let base = self.argument(face)?;
                let base = match <[Tok; 1]>::try_from(base) {
                    Ok([t]) => t,
                    Err(v) => Tok::Group(v),
                };
                let (sub, sup) = match ty {
                    ScriptType::Subscript => (Some(self.argument(&mut face.clone())?), None),
                    ScriptType::Superscript => (None, Some(self.argument(&mut face.clone())?)),
                    ScriptType::SubSuperscript => {
                        let sub = self.argument(&mut face.clone())?;
                        (Some(sub), Some(self.argument(&mut face.clone())?))
                    }
                };
                Item::Tok(Tok::Script {
                    base: Box::new(base),
                    sub,
                    sup,
                })
            }
            Event::Space { width, .. } => Item::Tok(Tok::Space(width.map(em).unwrap_or(0.0))),
            Event::StateChange(StateChange::Font(font)) => {
                *face = face_of(font);
                Item::Nothing
            }
            Event::StateChange(_) => Item::Nothing,
            Event::EnvironmentFlow(EnvironmentFlow::Alignment) => Item::Flow(false),
            Event::EnvironmentFlow(EnvironmentFlow::NewLine { .. }) => Item::Flow(true),
            Event::EnvironmentFlow(EnvironmentFlow::StartLines { .. }) => Item::Nothing,
        })
    }

    /// The elements up to the matching `End`, split into rows and cells at
    /// `\\` and `&`.
    fn rows(&mut self, outer: Face) -> Result<Vec<Vec<Vec<Tok>>>, String> {
        let mut face = outer;
        let mut rows = vec![vec![Vec::new()]];
        loop {
            match self.element(&mut face)? {
                Item::End => return Ok(rows),
                Item::Tok(t) => rows.last_mut().unwrap().last_mut().unwrap().push(t),
                Item::Nothing => {}
                Item::Flow(false) => rows.last_mut().unwrap().push(Vec::new()),
                Item::Flow(true) => rows.push(vec![Vec::new()]),
            }
        }
    }

    fn group(&mut self, grouping: Grouping, face: Face) -> Result<Item, String> {
        let rows = self.rows(face)?;
        let flat = |rows: Vec<Vec<Vec<Tok>>>| -> Result<Vec<Tok>, String> {
            match <[Vec<Vec<Tok>>; 1]>::try_from(rows) {
                Ok([cells]) if cells.len() == 1 => Ok(cells.into_iter().flatten().collect()),
                _ => Err("`&` or `\\\\` inside a group".into()),
            }
        };
        Ok(Item::Tok(match grouping {
            Grouping::Normal => Tok::Group(flat(rows)?),
            Grouping::LeftRight(open, close) => Tok::LeftRight(open, close, flat(rows)?),
            Grouping::Aligned | Grouping::Split => Tok::Env(EnvKind::Aligned, rows),
            Grouping::Matrix { .. } => Tok::Env(EnvKind::Matrix, rows),
            other => return Err(format!("unsupported environment {other:?}")),
        }))
    }
}
