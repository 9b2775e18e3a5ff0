//! Cutting text to a byte budget without splitting a character: replies,
//! diagnostics and report texts are all kept within bounds this way.

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
pub(crate) fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Shortens `s` to at most `max` bytes, on a character boundary.
pub(crate) fn truncate(s: &mut String, max: usize) {
    let end = prefix(s, max).len();
    s.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_splits_a_character() {
        assert_eq!(prefix("héllo", 2), "h");
        assert_eq!(prefix("héllo", 3), "hé");
        assert_eq!(prefix("abc", 10), "abc");
        assert_eq!(prefix("", 0), "");
        let mut s = String::from("日本語");
        truncate(&mut s, 4);
        assert_eq!(s, "日");
    }
}
