//! The tag lists of DKIM-Signature (RFC 6376 §3.2), ARC-Message-Signature
//! and ARC-Seal (RFC 8617) fields, read alike by DKIM and ARC verification
//! and by key recovery: parsing them, what their `a=` and `c=` name, and the
//! field value without its `b=` value, as the signature covers its own field.

use std::borrow::Cow;

use base64ct::{Base64, Encoding};

use crate::alg::{HashAlg, KeyAlg};
use crate::canon::Canon;

/// The tags of a DKIM-Signature or ARC-Message-Signature / ARC-Seal field.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tags {
    pub a: String,
    pub d: String,
    pub s: String,
    pub b: Vec<u8>,
    pub bh: Vec<u8>,
    pub h: Vec<String>,
    pub c: String,
    pub i: Option<String>,
    pub l: Option<u64>,
    pub t: Option<i64>,
    pub x: Option<i64>,
    pub v: Option<String>,
    pub cv: Option<String>,
}

impl Tags {
    pub(crate) fn algorithms(&self) -> Option<(KeyAlg, HashAlg)> {
        match self.a.as_str() {
            "rsa-sha256" => Some((KeyAlg::Rsa, HashAlg::Sha256)),
            "rsa-sha1" => Some((KeyAlg::Rsa, HashAlg::Sha1)),
            "ed25519-sha256" => Some((KeyAlg::Ed25519, HashAlg::Sha256)),
            _ => None,
        }
    }

    /// (header, body) canonicalisation; `simple` when absent, and a lone
    /// value means header only (body simple).
    pub(crate) fn canon(&self) -> Option<(Canon, Canon)> {
        let parse = |s: &str| match s {
            "simple" => Some(Canon::Simple),
            "relaxed" => Some(Canon::Relaxed),
            _ => None,
        };
        if self.c.is_empty() {
            return Some((Canon::Simple, Canon::Simple));
        }
        match self.c.split_once('/') {
            Some((h, b)) => Some((parse(h)?, parse(b)?)),
            None => Some((parse(&self.c)?, Canon::Simple)),
        }
    }
}

/// Parse a tag list; `None` with the reason when it is not one.
///
/// Per message this runs once per signature, so it avoids allocating per
/// tag: the field is checked as UTF-8 once (only damaged fields are copied,
/// with U+FFFD as before), tags are slices of it, tag names are compared
/// ignoring ASCII case in place, and white space is taken out of a value
/// only when the value has some. White space is `char::is_whitespace`, as it
/// always was here (a superset of FWS: also VT, FF and non-ASCII spaces).
pub(crate) fn parse_tags(value: &[u8]) -> Result<Tags, String> {
    let text = crate::utf8_lossy(value);
    let mut t = Tags::default();
    // Tag names as written; duplicates are found ignoring ASCII case.
    let mut seen: Vec<&str> = Vec::with_capacity(16);
    for part in text.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            if part.trim().is_empty() {
                continue;
            }
            return Err(format!("tag without '=': {:?}", part.trim()));
        };
        let k = k.trim();
        if seen.iter().any(|s| s.eq_ignore_ascii_case(k)) {
            return Err(format!("tag {}= appears twice", k.to_ascii_lowercase()));
        }
        seen.push(k);
        // The tags read here have one- or two-letter names.
        let mut lower = [0u8; 2];
        let name: &[u8] = match k.as_bytes() {
            n @ ([_] | [_, _]) => {
                for (l, c) in lower.iter_mut().zip(n) {
                    *l = c.to_ascii_lowercase();
                }
                &lower[..n.len()]
            }
            _ => b"",
        };
        let base64 =
            |v: &str, what: &str| Base64::decode_vec(&compact(v)).map_err(|_| format!("{what}= is not base64"));
        let num = |k: &str, v: &str| {
            let v = compact(v);
            v.parse::<i64>().map_err(|_| format!("{k}={v} is not a number"))
        };
        match name {
            b"a" => t.a = compact(v).to_ascii_lowercase(),
            b"d" => t.d = v.trim().to_ascii_lowercase(),
            b"s" => t.s = v.trim().to_string(),
            b"b" => t.b = base64(v, "b")?,
            b"bh" => t.bh = base64(v, "bh")?,
            // ':' is not white space, so splitting first and compacting the
            // names is the same as compacting the whole list first.
            b"h" => t.h = v.split(':').map(compact).filter(|s| !s.is_empty()).map(Cow::into_owned).collect(),
            b"c" => t.c = compact(v).to_ascii_lowercase(),
            b"i" => t.i = Some(v.trim().to_string()),
            b"l" => {
                let v = compact(v);
                t.l = Some(v.parse::<u64>().map_err(|_| format!("l={v} is not a number"))?);
            }
            b"t" => t.t = Some(num("t", v)?),
            b"x" => t.x = Some(num("x", v)?),
            b"v" => t.v = Some(compact(v).into_owned()),
            b"cv" => t.cv = Some(compact(v).to_ascii_lowercase()),
            _ => {}
        }
    }
    Ok(t)
}

/// `s` without any white space (`char::is_whitespace`): FWS may fold a tag
/// value anywhere (RFC 6376 §3.2). Borrowed when there is none.
fn compact(s: &str) -> Cow<'_, str> {
    if !s.is_ascii() {
        // Rare; non-ASCII white space (NBSP, …) counts too.
        return if s.contains(char::is_whitespace) {
            Cow::Owned(s.split(char::is_whitespace).collect())
        } else {
            Cow::Borrowed(s)
        };
    }
    // The ASCII chars `char::is_whitespace` accepts: HT, LF, VT, FF, CR, SP.
    let space = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
    if !s.as_bytes().iter().any(space) {
        return Cow::Borrowed(s);
    }
    // Copied run by run (a folded b= has a few long ones).
    let mut out = Vec::with_capacity(s.len());
    for run in s.as_bytes().split(space) {
        out.extend_from_slice(run);
    }
    Cow::Owned(String::from_utf8(out).expect("ASCII with bytes left out is still ASCII"))
}

/// The field value with the `b=` value removed (RFC 6376 §3.7): everything
/// after `b=` up to the next `;` goes, folding included.
pub(crate) fn strip_b(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for (n, tag) in value.split(|&b| b == b';').enumerate() {
        if n > 0 {
            out.push(b';');
        }
        // The name ends at the tag's first '='.
        match tag.iter().position(|&b| b == b'=') {
            Some(eq) if matches!(tag[..eq].trim_ascii(), b"b" | b"B") => out.extend_from_slice(&tag[..=eq]),
            _ => out.extend_from_slice(tag),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser as it was before it avoided allocating per tag: the
    /// reference the faster one must agree with.
    fn parse_tags_reference(value: &[u8]) -> Result<Tags, String> {
        let text = String::from_utf8_lossy(value);
        let mut t = Tags::default();
        let mut seen: Vec<String> = Vec::new();
        for part in text.split(';') {
            if part.trim().is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').ok_or_else(|| format!("tag without '=': {:?}", part.trim()))?;
            let k = k.trim().to_ascii_lowercase();
            if seen.contains(&k) {
                return Err(format!("tag {k}= appears twice"));
            }
            seen.push(k.clone());
            let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            let trimmed = v.trim().to_string();
            let num = |s: &str| s.parse::<i64>().map_err(|_| format!("{k}={s} is not a number"));
            match k.as_str() {
                "a" => t.a = compact.to_ascii_lowercase(),
                "d" => t.d = trimmed.to_ascii_lowercase(),
                "s" => t.s = trimmed,
                "b" => t.b = Base64::decode_vec(&compact).map_err(|_| "b= is not base64".to_string())?,
                "bh" => t.bh = Base64::decode_vec(&compact).map_err(|_| "bh= is not base64".to_string())?,
                "h" => t.h = compact.split(':').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                "c" => t.c = compact.to_ascii_lowercase(),
                "i" => t.i = Some(trimmed),
                "l" => t.l = Some(compact.parse::<u64>().map_err(|_| format!("l={compact} is not a number"))?),
                "t" => t.t = Some(num(&compact)?),
                "x" => t.x = Some(num(&compact)?),
                "v" => t.v = Some(compact),
                "cv" => t.cv = Some(compact.to_ascii_lowercase()),
                _ => {}
            }
        }
        Ok(t)
    }

    #[test]
    fn strip_b_keeps_bh_and_the_rest() {
        assert_eq!(strip_b(b" v=1; bh=abc=; b=xyz\r\n\tuvw; h=from"), b" v=1; bh=abc=; b=; h=from");
        assert_eq!(strip_b(b"b=abc"), b"b=");
        assert_eq!(strip_b(b"h=From; b = abc\r\ndef\r\n; v=1"), b"h=From; b =; v=1");
    }

    #[test]
    fn strip_b_agrees_with_the_reference() {
        // As it was: the tag name with all white space taken out.
        fn reference(value: &[u8]) -> Vec<u8> {
            let mut out = Vec::with_capacity(value.len());
            let mut i = 0;
            let mut tag_start = 0;
            while i < value.len() {
                let c = value[i];
                if c == b'=' {
                    let name = value[tag_start..i].iter().filter(|b| !b.is_ascii_whitespace()).collect::<Vec<_>>();
                    out.push(c);
                    i += 1;
                    let is_b = name.len() == 1 && (*name[0] == b'b' || *name[0] == b'B');
                    let start = i;
                    while i < value.len() && value[i] != b';' {
                        i += 1;
                    }
                    if !is_b {
                        out.extend_from_slice(&value[start..i]);
                    }
                    continue;
                }
                if c == b';' {
                    tag_start = i + 1;
                }
                out.push(c);
                i += 1;
            }
            out
        }
        const PIECES: &[&[u8]] =
            &[b"b", b"B", b"bh", b"h", b"=", b";", b" ", b"\t", b"\r\n ", b"\x0b", b"\x0c", b"YWJj", b"b b", b"\xff"];
        let mut next = crate::test_support::xorshift(0x2545_f491_4f6c_dd1d);
        let mut input = Vec::new();
        for _ in 0..20_000 {
            input.clear();
            for _ in 0..next(16) {
                input.extend_from_slice(PIECES[next(PIECES.len())]);
            }
            assert_eq!(strip_b(&input), reference(&input), "{:?}", String::from_utf8_lossy(&input));
        }
    }

    #[test]
    fn tags_and_canonicalisation() {
        let t = parse_tags(b" v=1; a=rsa-sha256; c=relaxed; d=Example.COM; s=sel;\r\n h=from : to; bh=YWJj; b=YW Jj")
            .unwrap();
        assert_eq!(t.d, "example.com");
        assert_eq!(t.h, ["from", "to"]);
        assert_eq!(t.b, b"abc");
        assert_eq!(t.canon(), Some((Canon::Relaxed, Canon::Simple)));
        assert!(parse_tags(b"a=1; a=2").is_err());
    }

    /// The result as text, so results (and errors) can be compared.
    fn shown(value: &[u8]) -> (String, String) {
        (format!("{:?}", parse_tags(value)), format!("{:?}", parse_tags_reference(value)))
    }

    #[test]
    fn tag_parser_agrees_with_the_reference_on_tricky_input() {
        let cases: &[&[u8]] = &[
            b"",
            b";",
            b" ; ;\r\n\t; ",
            b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=YWJj; b=YWJj;",
            // Folding, upper-case names, white space around names and values.
            b" V = 1 ;\r\n\tA=RSA-SHA256; C = Relaxed / Simple ; D=Ex\r\n ample.COM ;S = Sel 1 ; I = @Ex.com ",
            b"h=From : To\r\n\t:: Subject :\r\n ; H2=x",
            b"h= ; b= ; bh= ; a= ; c= ; d= ; s= ; v= ; cv= ",
            // Base64 with folds and spaces inside, and bad base64.
            b"b=YW\r\n\tJj ZGVm; bh = Y W J j",
            b"b=YWJ",
            b"b=YWJj!",
            b"bh=====",
            b"b=YW\xc2\xa0Jj",
            // Duplicates, also differing in case or white space.
            b"a=1; a=2",
            b"x=1; X=2",
            b" bh=YWJj; BH =YWJj",
            b"q=dns/txt; Q=dns/txt",
            b"=1; =2",
            b"zz=1; zZ=2",
            // Missing '='.
            b"v=1; garbage; a=b",
            b"v=1;\r\n\tjust words \r\n",
            b"\xff\xfe",
            // Numbers, with white space inside, signs, overflow and junk.
            b"l = 1 2 3; t=\r\n 1700000000 ; x=-5",
            b"l=-1",
            b"l=18446744073709551616",
            b"t=9223372036854775808",
            b"x=12a",
            b"t=",
            b"l=\x0b7\x0c",
            // Non-ASCII: damaged UTF-8, non-ASCII white space, other scripts.
            b"d=\xffexample.com; s=s\xe2\x82; i=\xe2\x82\xac@x",
            b"d=example.com\xc2\xa0; s=\xe3\x80\x80sel\xe2\x80\x83; v=1\xc2\x85",
            b"a=rsa\xc2\xa0-sha256; c=\xe2\x80\x82relaxed; cv=P\xc2\xa0ASS",
            b"\xc2\xa0; \xe3\x80\x80 ;v=1",
            b"h=fr\xc3\xb6m:t\xc2\xa0o",
            b"\xc3\x84=1; \xc3\xa4=2",
            b"\xff=1; \xfe=2",
            b"d=\xed\xa0\x80x; s=\xf0\x9f\x98",
            // Values containing '='.
            b"b=YWJj==; z=a=b=c; i=a=b@c",
        ];
        for case in cases {
            let (new, old) = shown(case);
            assert_eq!(new, old, "on {:?}", String::from_utf8_lossy(case));
        }
    }

    #[test]
    fn tag_parser_agrees_with_the_reference_on_random_input() {
        // Tag lists of random names and values built from pieces that matter
        // to the parser, now and then without '=' or ';'.
        const NAMES: &[&[u8]] = &[
            b"a",
            b"A",
            b"b",
            b"B",
            b"bh",
            b"bH",
            b"c",
            b"cv",
            b"d",
            b"D",
            b"h",
            b"i",
            b"l",
            b"s",
            b"t",
            b"T",
            b"x",
            b"v",
            b"q",
            b"z",
            b"",
            b"\xff",
            b"\xc3\xa9",
        ];
        const SPACE: &[&[u8]] =
            &[b"", b"", b" ", b"\t", b"\r\n\t", b"\r\n ", b"\x0b", b"\x0c", b"\xc2\xa0", b"\xe2\x80\x83"];
        const VALUE: &[&[u8]] = &[
            b"1",
            b"42",
            b"-",
            b"YWJj",
            b"ZGVm",
            b"YQ==",
            b"=",
            b":",
            b"from",
            b"To",
            b"/",
            b"rsa-sha256",
            b"RSA-SHA1",
            b"relaxed",
            b"Simple",
            b"Example.COM",
            b"@",
            b"\xff",
            b"\xc3\xa9",
            b"\xe2\x82",
            b" ",
            b"\r\n\t",
            b"\xc2\xa0",
        ];
        let mut next = crate::test_support::xorshift(0x2545_f491_4f6c_dd1d);
        let (mut input, mut parsed) = (Vec::new(), 0);
        for _ in 0..50_000 {
            input.clear();
            for _ in 0..next(9) {
                input.extend_from_slice(SPACE[next(SPACE.len())]);
                input.extend_from_slice(NAMES[next(NAMES.len())]);
                input.extend_from_slice(SPACE[next(SPACE.len())]);
                if next(20) != 0 {
                    input.push(b'=');
                }
                for _ in 0..next(5) {
                    input.extend_from_slice(VALUE[next(VALUE.len())]);
                }
                if next(10) != 0 {
                    input.push(b';');
                }
            }
            let (new, old) = shown(&input);
            assert_eq!(new, old, "on {:?}", String::from_utf8_lossy(&input));
            parsed += usize::from(new.starts_with("Ok"));
        }
        // Both outcomes are well exercised.
        assert!((5_000..45_000).contains(&parsed), "{parsed}");
    }
}
