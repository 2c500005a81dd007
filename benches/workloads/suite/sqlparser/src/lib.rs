//! sqlparser: parse n batches of generated SQL statements (SELECT with joins, subqueries, CASE,
//! aggregates, window functions; INSERT; UPDATE; CREATE TABLE) with the generic dialect, and print them
//! back (Display).
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use suite_common::{fnv, mix, Rng, FNV0, WORDS};

suite_common::export_run!(run);

/// A column or table name (prefixed: many of the words are SQL keywords).
fn ident(r: &mut Rng) -> String {
    format!("c_{}", WORDS[r.below(WORDS.len() as u32) as usize])
}

fn gen(seed: u32) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::new();
    for i in 0..30 {
        let (a, b, c) = (ident(&mut r), ident(&mut r), ident(&mut r));
        match i % 5 {
            0 => s.push_str(&format!(
                "SELECT t.{a}, u.{b}, COUNT(*) AS n, SUM(t.{c} * 2 + 1) FROM {a} AS t LEFT JOIN {b} u ON t.id = u.{a}_id \
                 WHERE t.{c} BETWEEN {} AND {} AND u.{b} LIKE '%{c}%' OR t.{a} IN (1, 2, 3) \
                 GROUP BY t.{a}, u.{b} HAVING COUNT(*) > {} ORDER BY n DESC LIMIT 10;\n",
                r.below(100),
                100 + r.below(100),
                r.below(5)
            )),
            1 => s.push_str(&format!(
                "INSERT INTO {a} ({b}, {c}, note) VALUES ({}, {}.5, 'it''s {a}'), ({}, -{}, NULL);\n",
                r.below(1000),
                r.below(1000),
                r.below(1000),
                r.below(1000)
            )),
            2 => s.push_str(&format!(
                "UPDATE {a} SET {b} = CASE WHEN {c} > {} THEN {b} + 1 ELSE COALESCE({b}, 0) END WHERE id IN \
                 (SELECT id FROM {c} WHERE {a} IS NOT NULL);\n",
                r.below(50)
            )),
            3 => s.push_str(&format!(
                "CREATE TABLE IF NOT EXISTS {a}_{i} (id INT PRIMARY KEY, {b} VARCHAR(64) NOT NULL, {c} DECIMAL(10, 2) \
                 DEFAULT 0, created TIMESTAMP, UNIQUE ({b}));\n"
            )),
            _ => s.push_str(&format!(
                "WITH w AS (SELECT {a}, ROW_NUMBER() OVER (PARTITION BY {b} ORDER BY {c} DESC) AS rn FROM {a}) \
                 SELECT * FROM w WHERE rn <= {} AND NOT ({a} = 'x' OR {a} <> 'y') UNION ALL SELECT 1, 2;\n",
                r.below(9)
            )),
        }
    }
    s
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let sql = gen(i);
        let stmts = Parser::parse_sql(&GenericDialect {}, &sql).unwrap();
        h = mix(h, stmts.len() as u32);
        for st in &stmts {
            h = fnv(h, st.to_string().as_bytes());
        }
    }
    h
}
