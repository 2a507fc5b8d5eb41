//! Where a form may send the browser next. A `next` taken from a request is followed only if
//! it is a path on this site written in plain printable ASCII: browsers drop tabs and line
//! breaks from a `Location` (so `/\t/evil.example/` becomes `//evil.example/`) and read `\`
//! as `/`, and a header value with CR, LF or NUL cannot be sent at all.

/// `next`, if it is a same-site path that cannot be read as another site.
pub fn local_path(next: &str) -> Option<&str> {
    let printable = next.bytes().all(|b| b.is_ascii_graphic());
    let after_slash = next.strip_prefix('/')?;
    let another_site = after_slash.starts_with('/') || next.contains('\\');
    (printable && !another_site).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_plain_same_site_paths_are_followed() {
        assert_eq!(local_path("/preferences"), Some("/preferences"));
        assert_eq!(local_path("/invitations/abc?x=1"), Some("/invitations/abc?x=1"));
        for hostile in [
            "https://evil.example/",
            "//evil.example/",
            "/\t/evil.example/",
            "/\\evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\0",
            "/ /evil",
            "/préférences",
            "",
            "evil.example",
        ] {
            assert_eq!(local_path(hostile), None, "{hostile:?}");
        }
    }
}
