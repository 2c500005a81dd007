//! csv: read n generated CSV files (~16 KiB each: quoted fields with commas, quotes and newlines,
//! integers, floats), parse the numbers, and write the records back out with csv::Writer.
use suite_common::{fnv, mix, Rng, FNV0, WORDS};

suite_common::export_run!(run);

fn gen(seed: u32) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::from("id,name,comment,qty,price,flag\n");
    while s.len() < 16384 {
        let w = WORDS[r.below(WORDS.len() as u32) as usize];
        let comment = match r.below(4) {
            0 => format!("\"{w}, with \"\"quotes\"\"\""),
            1 => format!("\"two\nlines {w}\""),
            _ => w.to_string(),
        };
        s.push_str(&format!(
            "{},{w}_{},{comment},{},{}.{:02},{}\n",
            r.next() % 1000000,
            r.below(100),
            r.below(5000),
            r.below(100000),
            r.below(100),
            if r.next() & 1 == 0 { "true" } else { "false" }
        ));
    }
    s
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let data = gen(i);
        let mut rdr = csv::Reader::from_reader(data.as_bytes());
        let mut wtr = csv::Writer::from_writer(Vec::new());
        let (mut qty, mut price) = (0u64, 0f64);
        for rec in rdr.records() {
            let rec = rec.unwrap();
            qty += rec[3].parse::<u64>().unwrap();
            price += rec[4].parse::<f64>().unwrap();
            h = fnv(h, rec[2].as_bytes());
            wtr.write_record(rec.iter().rev()).unwrap();
        }
        h = mix(h, qty as u32);
        h = mix(h, (price * 100.0).round() as u32);
        h = fnv(h, &wtr.into_inner().unwrap());
    }
    h
}
