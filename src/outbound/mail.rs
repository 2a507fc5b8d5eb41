//! Mail out: `KEYHOOK_SMTP_URL` (`smtp://` plain or with `?tls=required`, `smtps://` implicit
//! TLS, credentials in the URL) and `KEYHOOK_MAIL_FROM`, through `lettre`'s async SMTP client.
//! Without them keyhook sends no mail and its pages say so.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// `KEYHOOK_SMTP_URL` as given: read without a check, so that a malformed one is refused by
/// [`Mailer::configured`] with a message that names the setting and never echoes the URL (its
/// password). Its `Debug` hides the password too.
#[derive(Clone)]
pub struct SmtpSetting(String);

impl std::str::FromStr for SmtpSetting {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for SmtpSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        SmtpUrl(self.0.clone()).fmt(f)
    }
}

/// An SMTP server's URL, checked. Its `Debug` hides the password.
#[derive(Clone)]
pub struct SmtpUrl(String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = reqwest::Url::parse(&self.0).map_or_else(
            |_| "(unparsable)".to_owned(),
            |mut url| {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                url.to_string()
            },
        );
        write!(f, "SmtpUrl({shown})")
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(text.trim())
            .map_err(|e| format!("not a URL ({e}); use smtp://host:25, smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(format!("the scheme is {:?}; use smtp:// or smtps://", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the URL names no host".into());
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str()).map_err(|e| format!("not an SMTP URL: {e}"))?;
        Ok(Self(url.to_string()))
    }
}

/// A sender address, checked at start (`keyhook <alerts@example.com>` or a bare address).
#[derive(Debug, Clone)]
pub struct MailFrom(Mailbox);

impl std::str::FromStr for MailFrom {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.trim().parse::<Mailbox>().map(Self).map_err(|e| format!("not a mail address ({e})"))
    }
}

/// Sends mails through the configured server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer the settings ask for: none without `KEYHOOK_SMTP_URL`; an error naming the
    /// setting when it does not parse or `KEYHOOK_MAIL_FROM` is missing.
    pub fn configured(url: Option<&SmtpSetting>, from: Option<&str>) -> anyhow::Result<Option<Self>> {
        let Some(url) = url.filter(|u| !u.0.trim().is_empty()) else {
            if from.is_some() {
                anyhow::bail!(
                    "KEYHOOK_MAIL_FROM is set but KEYHOOK_SMTP_URL is not: set both to send mail, or neither"
                );
            }
            return Ok(None);
        };
        let url: SmtpUrl = url.0.parse().map_err(|e| anyhow::anyhow!("KEYHOOK_SMTP_URL: {e}"))?;
        let from = from.ok_or_else(|| {
            anyhow::anyhow!("KEYHOOK_SMTP_URL is set: set KEYHOOK_MAIL_FROM too, like keyhook <alerts@example.com>")
        })?;
        let from: MailFrom = from.parse().map_err(|e| anyhow::anyhow!("KEYHOOK_MAIL_FROM: {e}"))?;
        Ok(Some(Self::new(&url, &from)?))
    }

    pub fn new(url: &SmtpUrl, from: &MailFrom) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)?.timeout(Some(Duration::from_secs(15))).build();
        Ok(Self { transport, from: from.0.clone() })
    }

    /// Sends one plain-text mail; the error says what the server (or the way to it) answered.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("the recipient {to:?} is not an address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| format!("the mail could not be built: {e}"))?;
        self.transport.send(message).await.map(drop).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_and_their_passwords_never_shown() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtps://user:pa%24%24@mail.example.com:465",
            "smtp://u:p@mail.example.com:587?tls=required",
        ] {
            assert!(good.parse::<SmtpUrl>().is_ok(), "{good}");
        }
        for bad in ["", "mail.example.com", "http://mail.example.com", "smtp://", "smtp:///nohost"] {
            assert!(bad.parse::<SmtpUrl>().is_err(), "{bad:?} was accepted");
        }
        let url: SmtpUrl = "smtps://user:secret-password@mail.example.com:465".parse().expect("valid");
        let shown = format!("{url:?}");
        assert!(!shown.contains("secret-password") && shown.contains("***"), "{shown}");
        assert!("keyhook <alerts@example.com>".parse::<MailFrom>().is_ok());
        assert!("not an address".parse::<MailFrom>().is_err());
    }
}
