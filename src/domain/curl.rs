//! "Copy as curl": a recorded request as a shell command that sends it again, so the receiver's
//! owner can reproduce a failure against their endpoint.

/// The header whose value is a credential: shown as a shell variable, never as the token.
const TOKEN_HEADER: &str = "clockify-signature";

/// A POST of `body` to `url` with `headers`, as a POSIX shell command. The Clockify token
/// becomes `$CLOCKIFY_SIGNATURE` (set it to the webhook's token to send it too).
pub fn curl_command<'a>(url: &str, headers: impl IntoIterator<Item = (&'a str, &'a str)>, body: &str) -> String {
    let mut lines = vec![format!("curl -X POST {}", quote(url))];
    for (name, value) in headers {
        let line = if name.eq_ignore_ascii_case(TOKEN_HEADER) {
            // Double quotes: the shell fills the variable in.
            format!("-H \"{name}: $CLOCKIFY_SIGNATURE\"")
        } else {
            format!("-H {}", quote(&format!("{name}: {value}")))
        };
        lines.push(line);
    }
    lines.push(format!("--data-raw {}", quote(body)));
    lines.join(" \\\n  ")
}

/// Single-quoted for a POSIX shell: nothing inside is expanded; a quote ends the quoting,
/// is escaped, and starts it again.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_repeats_the_request_with_the_token_as_a_placeholder() {
        let command = curl_command(
            "https://hooks.example.com/in?a=1&b=2",
            [("content-type", "application/json"), ("clockify-signature", "[redacted]"), ("webhook-id", "msg_1")],
            r#"{"name":"O'Brien $HOME `id`"}"#,
        );
        assert_eq!(
            command,
            "curl -X POST 'https://hooks.example.com/in?a=1&b=2' \\\n  \
             -H 'content-type: application/json' \\\n  \
             -H \"clockify-signature: $CLOCKIFY_SIGNATURE\" \\\n  \
             -H 'webhook-id: msg_1' \\\n  \
             --data-raw '{\"name\":\"O'\\''Brien $HOME `id`\"}'"
        );
    }

    #[test]
    fn a_shell_reads_the_quoted_text_back_unchanged() {
        let hostile = "it's $(rm -rf /) `id` \\ \" \n end";
        let echoed = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote(hostile)))
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&echoed.stdout), hostile);
    }
}
