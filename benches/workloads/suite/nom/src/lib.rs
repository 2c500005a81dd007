//! nom 7 (parser combinators): our small grammar for arithmetic expressions (integers, + - * / %,
//! unary minus, parentheses, function calls min/max) and key=value config lines, parsing and evaluating
//! n batches of generated input (~8 KiB each). The combinators and their machinery are nom's.
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1, multispace0, space0};
use nom::combinator::{map, map_res, opt};
use nom::multi::{fold_many0, separated_list0, separated_list1};
use nom::sequence::{delimited, pair, preceded, separated_pair, terminated};
use nom::IResult;
use suite_common::{fnv, mix, Rng, FNV0, WORDS};

suite_common::export_run!(run);

fn number(i: &str) -> IResult<&str, i64> {
    map_res(digit1, str::parse)(i)
}

fn call(i: &str) -> IResult<&str, i64> {
    let (i, name) = alt((tag("min"), tag("max")))(i)?;
    let (i, args) = delimited(char('('), separated_list1(char(','), expr), char(')'))(i)?;
    let v = if name == "min" { args.iter().copied().min() } else { args.iter().copied().max() };
    Ok((i, v.unwrap()))
}

fn atom(i: &str) -> IResult<&str, i64> {
    delimited(
        space0,
        alt((
            number,
            call,
            delimited(char('('), expr, char(')')),
            map(preceded(char('-'), atom), |v: i64| v.wrapping_neg()),
        )),
        space0,
    )(i)
}

fn term(i: &str) -> IResult<&str, i64> {
    let (i, first) = atom(i)?;
    fold_many0(
        pair(alt((char('*'), char('/'), char('%'))), atom),
        move || first,
        |acc, (op, v)| match op {
            '*' => acc.wrapping_mul(v),
            '/' => {
                if v == 0 {
                    acc
                } else {
                    acc.wrapping_div(v)
                }
            }
            _ => {
                if v == 0 {
                    acc
                } else {
                    acc.wrapping_rem(v)
                }
            }
        },
    )(i)
}

fn expr(i: &str) -> IResult<&str, i64> {
    let (i, first) = term(i)?;
    fold_many0(
        pair(alt((char('+'), char('-'))), term),
        move || first,
        |acc, (op, v)| {
            if op == '+' {
                acc.wrapping_add(v)
            } else {
                acc.wrapping_sub(v)
            }
        },
    )(i)
}

fn key(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_')(i)
}

fn line(i: &str) -> IResult<&str, (&str, Vec<&str>)> {
    terminated(
        separated_pair(key, delimited(space0, char('='), space0), separated_list0(pair(char(','), space0), key)),
        pair(opt(char(';')), multispace0),
    )(i)
}

fn gen_expr(r: &mut Rng, depth: u32, s: &mut String) {
    if depth == 0 || r.below(4) == 0 {
        s.push_str(&r.below(1000).to_string());
        return;
    }
    match r.below(6) {
        0 => {
            s.push('(');
            gen_expr(r, depth - 1, s);
            s.push(')');
        }
        1 => {
            s.push_str(if r.next() & 1 == 0 { "min(" } else { "max(" });
            gen_expr(r, depth - 1, s);
            s.push(',');
            gen_expr(r, depth - 1, s);
            s.push(')');
        }
        2 => {
            s.push('-');
            gen_expr(r, depth - 1, s);
        }
        _ => {
            gen_expr(r, depth - 1, s);
            s.push_str([" + ", " - ", " * ", " / ", " % ", "*"][r.below(6) as usize]);
            gen_expr(r, depth - 1, s);
        }
    }
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let mut r = Rng::new(i + 15000);
        let mut total = 0i64;
        let mut len = 0;
        while len < 6000 {
            let mut s = String::new();
            gen_expr(&mut r, 6, &mut s);
            len += s.len();
            let (rest, v) = expr(&s).unwrap();
            assert!(rest.is_empty());
            total = total.wrapping_mul(31).wrapping_add(v);
        }
        h = mix(h, total as u32);
        h = mix(h, (total >> 32) as u32);
        let mut cfg = String::new();
        for k in 0..80 {
            cfg.push_str(&format!("{}_{k} = ", WORDS[r.below(WORDS.len() as u32) as usize]));
            for j in 0..1 + r.below(5) {
                if j > 0 {
                    cfg.push_str(", ");
                }
                cfg.push_str(WORDS[r.below(WORDS.len() as u32) as usize]);
            }
            cfg.push_str(if k % 2 == 0 { ";\n" } else { "\n" });
        }
        let mut rest = cfg.as_str();
        while !rest.is_empty() {
            let (next, (k, vals)) = line(rest).unwrap();
            h = fnv(h, k.as_bytes());
            for v in vals {
                h = fnv(h, v.as_bytes());
            }
            rest = next;
        }
    }
    h
}
