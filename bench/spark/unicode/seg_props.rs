// Dump the word-break categories and Extended_Pictographic of the
// unicode-segmentation crate the Rust side links (its tables.rs, included
// by path: compile with
// regen.sh, which points the path below at the registry copy).
#![allow(dead_code)]
#[path = "__TABLES_RS__"]
mod tables;
fn main() {
    println!("SEGMENTATION {:?}", tables::UNICODE_VERSION);
    for cp in 0u32..=0x10FFFF {
        let Some(c) = char::from_u32(cp) else { continue };
        let w = tables::word::word_category(c).2;
        if w != tables::word::WC_Any {
            println!("B {:x} {:?}", cp, w);
        }
        if tables::emoji::emoji_category(c).2 == tables::emoji::EC_Extended_Pictographic {
            println!("E {:x}", cp);
        }
    }
}
