//! Attachment rules as plain functions: what a file is (sniffed from its bytes, never the
//! client's word), how large it may be, what its name may be, and the signed, expiring tokens
//! of the download route.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Photos and videos: what a fault report, a complaint or a return visit needs shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
}

/// The types accepted, as `infer` names them, with their kind.
const ACCEPTED: &[(&str, MediaKind)] = &[
    ("image/jpeg", MediaKind::Image),
    ("image/png", MediaKind::Image),
    ("image/webp", MediaKind::Image),
    // HEIC/HEIF: what phone cameras write by default.
    ("image/heif", MediaKind::Image),
    ("video/mp4", MediaKind::Video),
    ("video/quicktime", MediaKind::Video),
    ("video/webm", MediaKind::Video),
];

/// The accepted media types, for messages and the README.
pub fn accepted_types() -> impl Iterator<Item = &'static str> {
    ACCEPTED.iter().map(|(mime, _)| *mime)
}

/// Size and count limits (settings `ATTACHMENT_*`).
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
    /// Files in one upload request.
    pub max_files_per_request: usize,
    /// Attachments on one ticket.
    pub max_per_ticket: usize,
    /// Uploads one caller may hold unattached at once.
    pub max_pending_per_uploader: usize,
}

impl Limits {
    /// The largest file of any kind: what the multipart parser lets through per file.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_image_bytes.max(self.max_video_bytes)
    }

    fn max_bytes(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.max_image_bytes,
            MediaKind::Video => self.max_video_bytes,
        }
    }
}

/// A file that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspected {
    pub content_type: &'static str,
    pub kind: MediaKind,
    pub file_name: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// Longest file name kept, in characters (the column's size).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// The checks of one uploaded file, in order: its name, its type from its first bytes, then
/// its size for that type. The error is the message for the client.
pub fn inspect(file_name: &str, content: &[u8], limits: &Limits) -> Result<Inspected, String> {
    let file_name = checked_file_name(file_name)?;
    let sniffed = infer::get(content).map(|kind| kind.mime_type());
    let Some((content_type, kind)) = sniffed.and_then(|mime| {
        ACCEPTED
            .iter()
            .find(|(accepted, _)| *accepted == mime)
            .copied()
    }) else {
        return Err(format!(
            "the file's content is not an accepted photo or video ({}), whatever its name or \
             Content-Type says",
            accepted_types().collect::<Vec<_>>().join(", ")
        ));
    };
    let size = content.len() as u64;
    if size > limits.max_bytes(kind) {
        return Err(too_large(kind, limits.max_bytes(kind)));
    }
    Ok(Inspected {
        content_type,
        kind,
        file_name,
        size,
        sha256: hex(&<Sha256 as sha2::Digest>::digest(content)),
    })
}

/// The message for a file over its limit.
pub fn too_large(kind: MediaKind, max: u64) -> String {
    let what = match kind {
        MediaKind::Image => "a photo",
        MediaKind::Video => "a video",
    };
    format!("{what} may have at most {max} bytes")
}

/// The client's file name without any directory part; refused with NUL or other control
/// characters or over `MAX_FILE_NAME_CHARS`. Only ever shown back, never used as a path.
pub fn checked_file_name(raw: &str) -> Result<String, String> {
    if raw.chars().any(char::is_control) {
        return Err("the file name must not contain control characters".into());
    }
    let name = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    if name.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(format!(
            "the file name must be at most {MAX_FILE_NAME_CHARS} characters"
        ));
    }
    Ok(if name.is_empty() {
        "upload".to_owned()
    } else {
        name.to_owned()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key that signs download tokens, derived from the server's token secret so that every
/// instance signs alike without another secret to configure.
pub fn signing_key(secret: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(b"servicedesk attachment downloads v1");
    mac.finalize().into_bytes().into()
}

fn mac(key: &[u8; 32], attachment_id: i64, expires: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("attachment:{attachment_id}:{expires}").as_bytes());
    mac
}

/// The signature of a download of `attachment_id` until `expires` (Unix seconds): it names
/// the attachment, so a link cannot be turned into one for another attachment.
pub fn sign(key: &[u8; 32], attachment_id: i64, expires: i64) -> String {
    URL_SAFE_NO_PAD.encode(mac(key, attachment_id, expires).finalize().into_bytes())
}

/// Why a download link is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefused {
    /// Not signed by us for this attachment and time.
    BadSignature,
    Expired,
}

/// Checks a download link (compared in constant time); the signature first, so that an
/// expired forgery is reported as a forgery.
pub fn verify(
    key: &[u8; 32],
    attachment_id: i64,
    expires: i64,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<(), LinkRefused> {
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| LinkRefused::BadSignature)?;
    mac(key, attachment_id, expires)
        .verify_slice(&signature)
        .map_err(|_| LinkRefused::BadSignature)?;
    if now.timestamp() >= expires {
        return Err(LinkRefused::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    const MP4: &[u8] = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2mp41";
    const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";

    fn limits() -> Limits {
        Limits {
            max_image_bytes: 40,
            max_video_bytes: 60,
            max_files_per_request: 5,
            max_per_ticket: 20,
            max_pending_per_uploader: 20,
        }
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        let png = inspect("photo.png", PNG, &limits()).unwrap();
        assert_eq!(
            (png.content_type, png.kind),
            ("image/png", MediaKind::Image)
        );
        assert_eq!(png.size, PNG.len() as u64);
        assert_eq!(png.sha256.len(), 64);
        // The name says nothing about the type.
        assert_eq!(
            inspect("x.exe", JPEG, &limits()).unwrap().content_type,
            "image/jpeg"
        );
        assert_eq!(
            inspect("v.mp4", MP4, &limits()).unwrap().kind,
            MediaKind::Video
        );
        assert_eq!(
            inspect("i.heic", HEIC, &limits()).unwrap().content_type,
            "image/heif"
        );
        for refused in [
            &b"<html><script>alert(1)</script>"[..],
            b"%PDF-1.7\n",
            b"MZ\x90\0",
            b"",
        ] {
            assert!(
                inspect("photo.jpg", refused, &limits()).is_err(),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn each_kind_has_its_own_size_limit() {
        let mut big_png = PNG.to_vec();
        big_png.resize(41, 0);
        assert_eq!(
            inspect("p.png", &big_png, &limits()).unwrap_err(),
            "a photo may have at most 40 bytes"
        );
        let mut video = MP4.to_vec();
        video.resize(60, 0);
        assert!(inspect("v.mp4", &video, &limits()).is_ok());
        video.push(0);
        assert!(inspect("v.mp4", &video, &limits()).is_err());
        assert_eq!(limits().max_file_bytes(), 60);
    }

    #[test]
    fn file_names_lose_their_path_and_keep_no_control_characters() {
        assert_eq!(
            checked_file_name("C:\\photos\\leak.jpg").unwrap(),
            "leak.jpg"
        );
        assert_eq!(checked_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(checked_file_name("  ").unwrap(), "upload");
        assert_eq!(checked_file_name("漏水.jpg").unwrap(), "漏水.jpg");
        assert!(checked_file_name("a\0b.jpg").is_err());
        assert!(checked_file_name("a\nb.jpg").is_err());
        assert!(checked_file_name(&"x".repeat(256)).is_err());
        assert!(checked_file_name(&"工".repeat(255)).is_ok());
    }

    #[test]
    fn links_are_bound_to_one_attachment_and_expire() {
        let key = signing_key("a secret of at least thirty-two characters");
        let now = Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap();
        let expires = now.timestamp() + 300;
        let signature = sign(&key, 7, expires);
        assert_eq!(verify(&key, 7, expires, &signature, now), Ok(()));
        assert_eq!(
            verify(&key, 8, expires, &signature, now),
            Err(LinkRefused::BadSignature),
            "another attachment"
        );
        assert_eq!(
            verify(&key, 7, expires + 3600, &signature, now),
            Err(LinkRefused::BadSignature),
            "a later expiry"
        );
        assert_eq!(
            verify(&key, 7, expires, "not base64!", now),
            Err(LinkRefused::BadSignature)
        );
        let other = signing_key("another secret of at least thirty-two chars");
        assert_eq!(
            verify(&other, 7, expires, &signature, now),
            Err(LinkRefused::BadSignature),
            "another server's key"
        );
        let later = now + chrono::Duration::seconds(300);
        assert_eq!(
            verify(&key, 7, expires, &signature, later),
            Err(LinkRefused::Expired)
        );
    }
}
