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
    pub conds: Vec<Cond>,
    pub order: Option<(String, bool)>,
    pub limit: Option<usize>,
}

#[derive(Debug)]
pub struct Cond {
    pub field: String,
    pub op: String,
    pub values: Vec<Value>,
}

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
    let mut conds = Vec::new();
    if p.kw("WHERE") {
        p.pos += 1;
        loop {
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
                    Some(Tok::Sym(s))
                        if ["=", "!=", "<>", "<", ">", "<=", ">="].contains(&s.as_str()) =>
                    {
                        s
                    }
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
            conds.push(Cond { field, op, values });
            if p.kw("AND") {
                p.pos += 1;
            } else {
                break;
            }
        }
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
        conds,
        order,
        limit,
    })
}
