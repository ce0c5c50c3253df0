//! Checking a DKIM or ARC signature over its digest with the key.

use crate::alg::{HashAlg, KeyAlg};
use crate::keys::PublicKey;

/// Does `sig` verify `digest` under `key`?
pub(crate) fn crypto_verify(key: &PublicKey, alg: (KeyAlg, HashAlg), digest: &[u8], sig: &[u8]) -> bool {
    match (key, alg.0) {
        (PublicKey::Rsa { key, prepared, .. }, KeyAlg::Rsa) => {
            let prefix = alg.1.digest_info_prefix();
            match prepared {
                Some(p) => p.verify(prefix, digest, sig),
                None => {
                    let scheme = rsa::Pkcs1v15Sign { hash_len: Some(digest.len()), prefix: prefix.into() };
                    key.verify(scheme, digest, sig).is_ok()
                }
            }
        }
        (PublicKey::Ed25519(k), KeyAlg::Ed25519) => match ed25519_dalek::Signature::from_slice(sig) {
            Ok(s) => k.verify_strict(digest, &s).is_ok(),
            Err(_) => false,
        },
        _ => false,
    }
}
