//! Links by mail through a real SMTP server (aiosmtpd on 127.0.0.1): an invitation is mailed to
//! the invitee (and still shown once to the inviter); a forgotten password is set again through
//! a one-time link that works for an hour, once, and signs the account out everywhere, asked
//! for with the same answer whether or not the address has an account, and throttled. Without
//! mail, neither is offered.

use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, OWNER_EMAIL, OWNER_PASSWORD};
use crate::smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(10);

fn with_mail(smtp: &str) -> impl FnOnce(&mut Settings) + '_ {
    move |settings: &mut Settings| {
        settings.smtp_url = Some(smtp.parse().expect("infallible"));
        settings.mail_from = Some("keyhook <accounts@keyhook.test>".into());
    }
}

/// The path of the first link in `body` that starts with `address`.
fn link_in(body: &str, address: &str) -> String {
    let start = body.find(address).unwrap_or_else(|| panic!("a link to {address} in {body}"));
    let link: String = body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.trim_start_matches(address).to_owned()
}

async fn invitations_and_password_links_come_by_mail(app: TestApp, smtp: SmtpServer) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;

    // An invitation: mailed, and shown once on the page too.
    let members = format!("/workspaces/{ws}/settings/members");
    let fields = [("email", "new.member@example.com"), ("role", "ADMIN")];
    let invited = owner.post_form(&members, &format!("/workspaces/{ws}/members/invite"), &fields).await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    let page = owner.get(&members).await;
    assert!(page.text("#reveal-message").unwrap_or_default().contains("mailed to them"), "the page says it was sent");
    let shown = page.text("#flash-secret").expect("the link, shown once");
    let shown = shown.trim_start_matches(&owner.address).to_owned();
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "new.member@example.com");
    assert!(mails[0].subject.contains("Acme"), "{}", mails[0].subject);
    assert_eq!(link_in(&mails[0].body, &owner.address), shown, "the mailed link is the one shown");

    // The login page offers the forgotten-password page; its answer is the same for any address.
    let login = app.client().get("/login").await;
    assert_eq!(login.attr("#forgot", "href").as_deref(), Some("/password/forgot"));
    let stranger = app.client();
    let unknown = stranger.post_form("/password/forgot", "/password/forgot", &[("email", "nobody@example.com")]).await;
    let known = stranger.post_form("/password/forgot", "/password/forgot", &[("email", OWNER_EMAIL)]).await;
    assert_eq!((unknown.status, known.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(unknown.text("#asked"), known.text("#asked"), "the same words either way");
    let mails = smtp.wait_for(2, WAIT).await;
    assert_eq!(mails.len(), 2, "one mail, to the account that exists");
    assert_eq!(mails[1].to, OWNER_EMAIL);
    let reset = link_in(&mails[1].body, &owner.address);
    assert!(reset.starts_with("/password/reset/"), "{reset}");

    // A bad address is refused next to its field.
    let bad = stranger.post_form("/password/forgot", "/password/forgot", &[("email", "not an address")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text("#email-error").is_some());

    // The link sets a new password: too short is refused next to the field; then it works,
    // the owner's other session is signed out, and the link cannot be used again.
    let short = stranger.post_form(&reset, &reset, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text("#password-error").is_some());
    let set = stranger.post_form(&reset, &reset, &[("password", "a-brand-new-password-1")]).await;
    assert_eq!((set.status, set.location()), (StatusCode::SEE_OTHER, "/login?reset=done"), "{}", set.body);
    let signed_out = owner.get("/preferences").await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER, "the old session ended");
    assert!(signed_out.location().starts_with("/login"), "{}", signed_out.location());
    let again = app.client();
    assert_eq!(
        again.login(OWNER_EMAIL, OWNER_PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the old password is refused"
    );
    assert_eq!(again.login(OWNER_EMAIL, "a-brand-new-password-1").await.status, StatusCode::SEE_OTHER);
    let reused = app.client().get(&reset).await;
    assert_eq!(reused.status, StatusCode::GONE);
    assert!(reused.text("#link-gone").is_some());
    let reused = stranger.post_raw(&reset, &[("password", "another-password-12")]).await;
    assert_ne!(reused.status, StatusCode::SEE_OTHER, "a used link sets nothing");
}

/// Three links an hour per account, however many ask at once; five asks per address an hour.
async fn password_links_are_throttled_per_account_and_address(app: TestApp, smtp: SmtpServer) {
    let _owner = app.setup_owner().await;
    // Eight asks at once, each from a client of its own (all from 127.0.0.1).
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let address = app.address.clone();
        asks.spawn(async move {
            let client = Client::of(&address);
            let token = client.csrf("/password/forgot").await;
            client.post_raw("/password/forgot", &[("csrf_token", token.as_str()), ("email", OWNER_EMAIL)]).await.status
        });
    }
    let statuses: Vec<StatusCode> = asks.join_all().await;
    // The first five pass the address limit, the rest are told to wait.
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 3, "{statuses:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = smtp.wait_for(3, WAIT).await;
    assert_eq!(mails.len(), 3, "three links an hour for one account, though five asks passed");
}

async fn without_mail_no_link_is_offered(app: TestApp) {
    app.setup_owner().await;
    let login = app.client().get("/login").await;
    assert!(login.attr("#forgot", "href").is_none());
    assert_eq!(app.client().get("/password/forgot").await.status, StatusCode::NOT_FOUND);
    let owner = app.client();
    owner.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    let prefs = owner.get("/preferences").await;
    assert!(prefs.text("#mail-off").is_some_and(|t| t.contains("KEYHOOK_SMTP_URL")), "the pages say mail is off");
}

mod by_mail {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        let smtp = SmtpServer::start().await;
        let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, with_mail(&smtp.url())).await;
        invitations_and_password_links_come_by_mail(app, smtp).await;
    }

    #[tokio::test]
    async fn postgres() {
        let smtp = SmtpServer::start().await;
        if let Some(app) = crate::helpers::spawn_postgres_app(with_mail(&smtp.url())).await {
            invitations_and_password_links_come_by_mail(app, smtp).await;
        }
    }

    #[tokio::test]
    async fn throttled_sqlite() {
        let smtp = SmtpServer::start().await;
        let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, with_mail(&smtp.url())).await;
        password_links_are_throttled_per_account_and_address(app, smtp).await;
    }

    #[tokio::test]
    async fn throttled_postgres() {
        let smtp = SmtpServer::start().await;
        if let Some(app) = crate::helpers::spawn_postgres_app(with_mail(&smtp.url())).await {
            password_links_are_throttled_per_account_and_address(app, smtp).await;
        }
    }

    #[tokio::test]
    async fn without_mail() {
        without_mail_no_link_is_offered(crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await).await;
    }
}
