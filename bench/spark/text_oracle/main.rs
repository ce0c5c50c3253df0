// The native text rules (crates/coord/src/text.rs, with the two functions of
// crates/model/src/derive.rs it uses) as a filter, to check the job's port:
// each stdin line is a hex-encoded UTF-8 text; each stdout line is
// hex(qut_tweet_key) TAB hex(qut tokens joined by U+001F) TAB hex(tweet_key)
// TAB hex(own tokens joined by U+001F). Built by build.sh.
use std::io::{BufRead, Write};

#[path = "__TEXT_RS__"]
mod text;

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> String {
    let b: Vec<u8> = (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect();
    String::from_utf8(b).expect("utf-8")
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let t = unhex(line.unwrap().trim());
        let qk = text::qut_tweet_key(&t);
        let qt = text::qut_tokens(&t).join("\u{1f}");
        let ok = text::tweet_key(&t);
        let ot = text::tokens(&t).join("\u{1f}");
        writeln!(out, "{}\t{}\t{}\t{}", hex(&qk), hex(&qt), hex(&ok), hex(&ot)).unwrap();
    }
}
