// Dump the Rust std Unicode properties the coord text rules use (to_lowercase,
// is_whitespace, is_alphanumeric, the Final_Sigma context classes), for the
// tables embedded in crates/coord/spark/coord_job.py. See regen.sh.
fn main() {
    println!("UNICODE {:?}", char::UNICODE_VERSION);
    for cp in 0u32..=0x10FFFF {
        let Some(c) = char::from_u32(cp) else { continue };
        let l: String = c.to_lowercase().collect();
        if l != c.to_string() {
            let v: Vec<String> = l.chars().map(|x| format!("{:x}", x as u32)).collect();
            println!("L {:x} {}", cp, v.join(","));
        }
        if c.is_whitespace() { println!("W {:x}", cp); }
        if c.is_alphanumeric() { println!("A {:x}", cp); }
        // Final-sigma context class: CI (case-ignorable), C (cased, not CI), N (neither).
        let t1: String = format!("A{}Σ", c).to_lowercase();
        let t2: String = format!("{}Σ", c).to_lowercase();
        let s1 = t1.ends_with('ς');
        let s2 = t2.ends_with('ς');
        let class = match (s1, s2) { (true, false) => 'I', (true, true) => 'C', (false, false) => 'N', (false, true) => '?' };
        if class != 'N' { println!("S {:x} {}", cp, class); }
    }
}
