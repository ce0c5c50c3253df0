//! The algorithms a DKIM or ARC signature names (`a=`): the digest and the
//! key type. A leaf: the tag parser, the key archive, verification and key
//! recovery all speak of them.

use sha1::Sha1;
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha1,
    Sha256,
}

impl HashAlg {
    /// The DigestInfo prefix of PKCS#1 v1.5 signatures (RFC 8017 §9.2, note 1).
    pub(crate) fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha1 => {
                &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]
            }
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ],
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha256 => "sha256",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyAlg {
    Rsa,
    Ed25519,
}
