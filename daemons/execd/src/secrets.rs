//! CIB secrets: a parameter whose value is `lrm://` is replaced, for the agent only, by the
//! first line of `/var/lib/pacemaker/lrm/secrets/<resource>/<parameter>`, which must match
//! the MD5 in `<parameter>.sign` beside it (Pacemaker's `cibsecret` layout).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The value that stands for a secret.
const MAGIC: &str = "lrm://";
pub const SECRETS_DIR: &str = "/var/lib/pacemaker/lrm/secrets";
/// Pacemaker reads at most this many bytes of a secret or sign file (one `fgets`).
const MAX_VALUE_LEN: usize = 254;

/// Replaces secret parameters in place. On any failure the others are still replaced and
/// the failing ones keep their magic value; the error says which went wrong.
pub fn substitute(rsc_id: &str, params: &mut [(String, String)]) -> Result<(), String> {
    substitute_in(Path::new(SECRETS_DIR), rsc_id, params)
}

fn substitute_in(dir: &Path, rsc_id: &str, params: &mut [(String, String)]) -> Result<(), String> {
    let mut failure = None;
    for (name, value) in params.iter_mut().filter(|(_, v)| v == MAGIC) {
        let file = dir.join(rsc_id).join(name.as_str());
        if rsc_id.contains('/') || name.contains('/') {
            failure = Some(format!(
                "secret for {rsc_id} parameter {name}: invalid name"
            ));
            continue;
        }
        let Some(secret) = read_first_line(&file) else {
            failure = Some(format!(
                "secret for rsc {rsc_id} parameter {name} not found in {SECRETS_DIR}"
            ));
            continue;
        };
        let mut sign = file.clone().into_os_string();
        sign.push(".sign");
        let Some(hash) = read_first_line(&PathBuf::from(sign)) else {
            failure = Some(format!(
                "md5 sum for rsc {rsc_id} parameter {name} cannot be read"
            ));
            continue;
        };
        if !hash.eq_ignore_ascii_case(&libcrmcommon::digest::md5_hex(&secret)) {
            failure = Some(format!(
                "md5 sum for rsc {rsc_id} parameter {name} does not match"
            ));
            continue;
        }
        *value = secret;
    }
    match failure {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// The first line of a file, at most [`MAX_VALUE_LEN`] bytes, without trailing white
/// space; `None` if it cannot be read or is empty.
fn read_first_line(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    let read = BufReader::new(file)
        .take(MAX_VALUE_LEN as u64)
        .read_until(b'\n', &mut line)
        .ok()?;
    if read == 0 {
        return None;
    }
    Some(String::from_utf8_lossy(&line).trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_replace_magic_values_when_signed() {
        let dir = std::env::temp_dir().join(format!("execd-secrets-{}", std::process::id()));
        let rsc = dir.join("r1");
        std::fs::create_dir_all(&rsc).expect("dir");
        std::fs::write(rsc.join("passwd"), "s3cret\n").expect("secret");
        std::fs::write(
            rsc.join("passwd.sign"),
            format!("{}\n", libcrmcommon::digest::md5_hex("s3cret")),
        )
        .expect("sign");
        std::fs::write(rsc.join("other"), "x\n").expect("secret");
        std::fs::write(rsc.join("other.sign"), "0000\n").expect("sign");
        let mut params = vec![
            ("passwd".to_owned(), "lrm://".to_owned()),
            ("plain".to_owned(), "v".to_owned()),
        ];
        assert_eq!(substitute_in(&dir, "r1", &mut params), Ok(()));
        assert_eq!(params[0].1, "s3cret");
        let mut params = vec![
            ("other".to_owned(), "lrm://".to_owned()),
            ("missing".to_owned(), "lrm://".to_owned()),
        ];
        assert!(substitute_in(&dir, "r1", &mut params).is_err());
        assert_eq!(params[0].1, "lrm://");
        std::fs::remove_dir_all(&dir).ok();
    }
}
