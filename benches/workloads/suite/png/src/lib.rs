//! png: encode n generated 96x96 images (RGB8 and RGBA8, alternating filters) to PNG and decode them.
use suite_common::{fnv, mix, Rng, FNV0};

suite_common::export_run!(run);

const W: u32 = 96;

fn image(seed: u32, channels: usize) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut img = Vec::with_capacity((W * W) as usize * channels);
    for y in 0..W {
        for x in 0..W {
            let noise = (r.next() & 15) as u32;
            for c in 0..channels as u32 {
                img.push(((x * (c + 1) + y * 3 + (x ^ y) / 4 + noise) & 255) as u8);
            }
        }
    }
    img
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let (ct, ch) = if i % 2 == 0 { (png::ColorType::Rgb, 3) } else { (png::ColorType::Rgba, 4) };
        let img = image(i, ch);
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, W, W);
            enc.set_color(ct);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(if i % 3 == 0 { png::Compression::Fast } else { png::Compression::Balanced });
            enc.set_filter(if i % 2 == 0 { png::Filter::Paeth } else { png::Filter::Sub });
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&img).unwrap();
        }
        h = fnv(h, &out);
        let dec = png::Decoder::new(std::io::Cursor::new(&out[..]));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        if buf[..info.buffer_size()] != img[..] {
            return 0;
        }
        h = mix(h, out.len() as u32);
    }
    h
}
