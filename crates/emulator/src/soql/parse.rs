//! SOQL text -> `Query`: the lexer and a recursive-descent parser for the
//! subset in `mod.rs`. Errors are MALFORMED_QUERY.

use serde_json::{json, Value};

use super::super::sobjects::{err, RestError};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Sym(String),
}

#[derive(Debug)]
pub struct Query {
    pub count: bool,
    pub fields: Vec<String>,
    /// Child relationship subqueries: `(SELECT … FROM PermissionSetAssignments)`.
    pub children: Vec<Query>,
    pub from: String,
    pub filter: Option<Filter>,
    pub order: Option<(String, bool)>,
    pub limit: Option<usize>,
}

#[derive(Debug)]
pub struct Cond {
    pub field: String,
    pub op: String,
    pub values: Vec<Value>,
    /// `IN (SELECT f FROM X …)` / `NOT IN (…)`: the values come from a query.
    pub semi_join: Option<Box<Query>>,
}

/// A WHERE clause: conditions joined by AND or OR (mixing them needs
/// parentheses, as in SOQL), NOT, and parentheses.
#[derive(Debug)]
pub enum Filter {
    Cond(Cond),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
}

impl Filter {
    /// Every condition, in order.
    pub fn conds(&self) -> Vec<&Cond> {
        match self {
            Filter::Cond(c) => vec![c],
            Filter::And(fs) | Filter::Or(fs) => fs.iter().flat_map(Filter::conds).collect(),
            Filter::Not(f) => f.conds(),
        }
    }
}

/// How deep parentheses may nest in a WHERE clause.
const MAX_FILTER_DEPTH: usize = 32;

fn malformed(msg: impl Into<String>) -> RestError {
    err("MALFORMED_QUERY", msg, &[])
}

fn lex(q: &str) -> Result<Vec<Tok>, RestError> {
    let cs: Vec<char> = q.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match cs.get(i) {
                    None => return Err(malformed("unexpected end of query: unterminated string")),
                    Some('\\') => {
                        s.push(*cs.get(i + 1).unwrap_or(&'\\'));
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit()
            || (c == '-' && cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            let s: String = cs[start..i].iter().collect();
            out.push(Tok::Num(
                s.parse()
                    .map_err(|_| malformed(format!("bad number {s}")))?,
            ));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_' || cs[i] == '.') {
                i += 1;
            }
            out.push(Tok::Word(cs[start..i].iter().collect()));
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            if ["!=", "<=", ">=", "<>"].contains(&two.as_str()) {
                out.push(Tok::Sym(two));
                i += 2;
            } else if "(),=<>*".contains(c) {
                out.push(Tok::Sym(c.to_string()));
                i += 1;
            } else {
                return Err(malformed(format!("unexpected character '{c}'")));
            }
        }
    }
    Ok(out)
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
    /// Inside a semi-join subquery (which SOQL does not let nest).
    in_semi_join: bool,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }
    fn expect_kw(&mut self, k: &str) -> Result<(), RestError> {
        if self.kw(k) {
            self.pos += 1;
            Ok(())
        } else {
            Err(malformed(format!(
                "expecting '{k}', found '{}'",
                self.show()
            )))
        }
    }
    fn sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if x == s)
    }
    fn show(&self) -> String {
        match self.peek() {
            None => "EOF".into(),
            Some(Tok::Word(w)) | Some(Tok::Sym(w)) => w.clone(),
            Some(Tok::Str(s)) => format!("'{s}'"),
            Some(Tok::Num(n)) => n.to_string(),
        }
    }
    fn word(&mut self) -> Result<String, RestError> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            _ => {
                self.pos -= 1;
                Err(malformed(format!("unexpected token: '{}'", self.show())))
            }
        }
    }
    fn value(&mut self) -> Result<Value, RestError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(json!(s)),
            Some(Tok::Num(n)) => Ok(json!(n)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(json!(true)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(json!(false)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Value::Null),
            _ => {
                self.pos -= 1;
                Err(malformed(format!("unexpected token: '{}'", self.show())))
            }
        }
    }
}

pub fn parse(q: &str) -> Result<Query, RestError> {
    let mut p = P {
        toks: lex(q)?,
        pos: 0,
        in_semi_join: false,
    };
    let query = parse_at(&mut p, false)?;
    if p.peek().is_some() {
        return Err(malformed(format!("unexpected token: '{}'", p.show())));
    }
    Ok(query)
}

fn parse_at(p: &mut P, nested: bool) -> Result<Query, RestError> {
    p.expect_kw("SELECT")?;
    let mut children = Vec::new();
    let mut count = false;
    let mut fields = Vec::new();
    if p.kw("count") && p.toks.get(p.pos + 1) == Some(&Tok::Sym("(".into())) {
        p.pos += 2;
        if !p.sym(")") {
            return Err(malformed("count() takes no field in this emulator"));
        }
        p.pos += 1;
        count = true;
    } else {
        loop {
            if p.sym("(") && !nested {
                p.pos += 1;
                children.push(parse_at(p, true)?);
                if !p.sym(")") {
                    return Err(malformed(format!("expecting ')', found '{}'", p.show())));
                }
                p.pos += 1;
            } else {
                fields.push(p.word()?);
            }
            if p.sym(",") {
                p.pos += 1;
            } else {
                break;
            }
        }
    }
    p.expect_kw("FROM")?;
    let from = p.word()?;
    let mut filter = None;
    if p.kw("WHERE") {
        p.pos += 1;
        filter = Some(parse_filter(p, 0)?);
    }
    let mut order = None;
    if p.kw("ORDER") {
        p.pos += 1;
        p.expect_kw("BY")?;
        let f = p.word()?;
        let mut asc = true;
        if p.kw("ASC") {
            p.pos += 1;
        } else if p.kw("DESC") {
            p.pos += 1;
            asc = false;
        }
        order = Some((f, asc));
    }
    let mut limit = None;
    if p.kw("LIMIT") {
        p.pos += 1;
        match p.next() {
            Some(Tok::Num(n)) if n >= 0.0 => limit = Some(n as usize),
            _ => return Err(malformed("LIMIT needs a number")),
        }
    }
    Ok(Query {
        count,
        fields,
        children,
        from,
        filter,
        order,
        limit,
    })
}

/// `a AND b AND …` or `a OR b OR …` over unary filters.
fn parse_filter(p: &mut P, depth: usize) -> Result<Filter, RestError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(malformed(format!(
            "the WHERE clause nests parentheses deeper than {MAX_FILTER_DEPTH}"
        )));
    }
    let first = parse_unary(p, depth)?;
    let joiner = if p.kw("AND") {
        "AND"
    } else if p.kw("OR") {
        "OR"
    } else {
        return Ok(first);
    };
    let mut parts = vec![first];
    while p.kw(joiner) {
        p.pos += 1;
        parts.push(parse_unary(p, depth)?);
    }
    if p.kw("AND") || p.kw("OR") {
        return Err(malformed(format!(
            "unexpected token: '{}' (use parentheses to mix AND and OR)",
            p.show()
        )));
    }
    Ok(if joiner == "AND" {
        Filter::And(parts)
    } else {
        Filter::Or(parts)
    })
}

fn parse_unary(p: &mut P, depth: usize) -> Result<Filter, RestError> {
    if p.kw("NOT") {
        p.pos += 1;
        return Ok(Filter::Not(Box::new(parse_unary(p, depth + 1)?)));
    }
    if p.sym("(") {
        p.pos += 1;
        let inner = parse_filter(p, depth + 1)?;
        if !p.sym(")") {
            return Err(malformed(format!("expecting ')', found '{}'", p.show())));
        }
        p.pos += 1;
        return Ok(inner);
    }
    parse_cond(p).map(Filter::Cond)
}

fn parse_cond(p: &mut P) -> Result<Cond, RestError> {
    let field = p.word()?;
    let op = if p.kw("IN") {
        p.pos += 1;
        "IN".to_string()
    } else if p.kw("NOT") {
        p.pos += 1;
        p.expect_kw("IN")?;
        "NOT IN".to_string()
    } else if p.kw("LIKE") {
        p.pos += 1;
        "LIKE".to_string()
    } else {
        match p.next() {
            Some(Tok::Sym(s)) if ["=", "!=", "<>", "<", ">", "<=", ">="].contains(&s.as_str()) => s,
            _ => {
                p.pos -= 1;
                return Err(malformed(format!("unexpected token: '{}'", p.show())));
            }
        }
    };
    let mut values = Vec::new();
    if op.ends_with("IN") {
        if !p.sym("(") {
            return Err(malformed(format!("expecting '(', found '{}'", p.show())));
        }
        p.pos += 1;
        if p.kw("SELECT") {
            if p.in_semi_join {
                return Err(malformed("semi-join subqueries cannot nest"));
            }
            p.in_semi_join = true;
            let sub = parse_at(p, true);
            p.in_semi_join = false;
            let sub = sub?;
            if !p.sym(")") {
                return Err(malformed(format!("expecting ')', found '{}'", p.show())));
            }
            p.pos += 1;
            return Ok(Cond {
                field,
                op,
                values,
                semi_join: Some(Box::new(sub)),
            });
        }
        loop {
            values.push(p.value()?);
            if p.sym(",") {
                p.pos += 1;
            } else {
                break;
            }
        }
        if !p.sym(")") {
            return Err(malformed(format!("expecting ')', found '{}'", p.show())));
        }
        p.pos += 1;
    } else {
        values.push(p.value()?);
    }
    Ok(Cond {
        field,
        op,
        values,
        semi_join: None,
    })
}
