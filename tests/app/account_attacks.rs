//! What an attacker with an account of their own tries against other people's accounts:
//! guessing a password through an invitation, racing the login throttle, and replaying a
//! session cookie after it was ended. Each attack is performed and must be refused.

use reqwest::StatusCode;

use crate::helpers::{Answer, Client, TestApp, OWNER_EMAIL, OWNER_PASSWORD};

/// The `keyhook_session=…` pair a response set, as a copied cookie would carry it.
fn session_cookie(answer: &Answer) -> String {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("keyhook_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no session cookie in {:?}", answer.headers))
}

/// Opens `path` with nothing but a copied cookie.
async fn replay(address: &str, cookie: &str, path: &str) -> StatusCode {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = http.get(format!("{address}{path}")).header("cookie", cookie).send().await.expect("GET");
    let (status, location) = (response.status(), response.headers().get("location").cloned());
    if status == StatusCode::SEE_OTHER {
        assert_eq!(location.and_then(|l| l.to_str().ok().map(str::to_owned)).as_deref(), Some("/login"));
    }
    status
}

/// Signs in on a fresh client and answers it with a copy of its cookie.
async fn signed_in_copy(app: &TestApp, email: &str, password: &str) -> (Client, String) {
    let client = app.client();
    let answer = client.login(email, password).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let cookie = session_cookie(&answer);
    (client, cookie)
}

/// The attacker creates a workspace, invites the victim's address and opens the link. The
/// page is the same as for an address without an account, checks no password, signs nobody
/// in as the victim, and its guesses count in the login throttle.
async fn an_invitation_cannot_guess_an_accounts_password(app: TestApp) {
    let victim = app.setup_owner().await;
    let acme = victim.active_workspace().await;
    let attacker = app.add_member(&victim, &acme, "mallory@example.com", "REGULAR").await;
    let lair = attacker.create_workspace("Lair").await;
    let to_victim = attacker.invite(&lair, OWNER_EMAIL, "ADMIN").await;
    let to_nobody = attacker.invite(&lair, "nobody@example.com", "ADMIN").await;

    let stranger = app.client();
    let (victims_page, nobodys_page) = (stranger.get(&to_victim).await, stranger.get(&to_nobody).await);
    let neutral = |answer: &Answer, link: &str, email: &str| {
        let token = link.trim_start_matches("/invitations/");
        answer
            .body
            .replace(token, "TOKEN")
            .replace(email, "EMAIL")
            .replace(&answer.attr("input[name=csrf_token]", "value").unwrap_or_default(), "CSRF")
    };
    assert_eq!(
        neutral(&victims_page, &to_victim, OWNER_EMAIL),
        neutral(&nobodys_page, &to_nobody, "nobody@example.com"),
        "the page does not tell whether the address has an account"
    );
    assert!(victims_page.attr("#login-to-join", "href").unwrap_or_default().starts_with("/login?next=/invitations/"));

    let mut statuses = Vec::new();
    for guess in 0..25 {
        let password = if guess == 24 { OWNER_PASSWORD.to_owned() } else { format!("guess-number-{guess}") };
        let answer = stranger.post_form(&to_victim, &to_victim, &[("name", "Mallory"), ("password", &password)]).await;
        assert_ne!(answer.status, StatusCode::SEE_OTHER, "guess {guess} was let in");
        statuses.push(answer.status);
    }
    assert!(statuses[..5].iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY), "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "throttled: {statuses:?}");
    assert_eq!(stranger.get("/preferences").await.location(), "/login", "never signed in as the victim");
    let locked = app.client().login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "the same throttle as /login");
    assert!(locked.text("#login-error").unwrap_or_default().contains("Too many failed attempts"));
    assert_eq!(
        victim.get(&format!("/workspaces/{lair}/settings")).await.status,
        StatusCode::NOT_FOUND,
        "the victim was not joined to the attacker's workspace"
    );
}

/// The invitee with an account signs in (brought back by `next`) and joins with one click;
/// someone signed in as another account cannot use the link.
async fn an_existing_account_signs_in_then_joins(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme = owner.active_workspace().await;
    let bob = app.add_member(&owner, &acme, "bob@example.com", "REGULAR").await;
    let bobs = bob.create_workspace("Bob's").await;
    let link = bob.invite(&bobs, OWNER_EMAIL, "ADMIN").await;

    let other = bob.post_form(&link, &link, &[]).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "bob is not the invitee");
    assert!(other.text("#invitation-error").unwrap_or_default().contains("another address"));

    let olivia = app.client();
    let login = olivia.get(&format!("/login?next={link}")).await;
    assert_eq!(login.attr("input[name=next]", "value").as_deref(), Some(link.as_str()));
    let signed_in = olivia
        .post_form("/login", "/login", &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD), ("next", &link)])
        .await;
    assert_eq!(signed_in.location(), link, "back to the invitation");
    let page = olivia.get(&link).await;
    assert!(page.text("#join").is_some(), "{}", page.body);
    let joined = olivia.post_form(&link, &link, &[]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    assert_eq!(olivia.get(&format!("/workspaces/{bobs}/settings")).await.status, StatusCode::OK);
}

/// 24 wrong passwords for one account sent at once: at most the limit (5) are checked.
async fn simultaneous_wrong_logins_are_checked_at_most_the_limit(app: TestApp) {
    let _owner = app.setup_owner().await;
    let mut attempts = Vec::new();
    for _ in 0..24 {
        let client = app.client();
        let token = client.csrf("/login").await;
        attempts.push((client, token));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (client, token) in attempts {
        tasks.spawn(async move {
            let fields = [("csrf_token", token.as_str()), ("email", OWNER_EMAIL), ("password", "wrong-password")];
            client.post_raw("/login", &fields).await
        });
    }
    let (mut checked, mut throttled) = (0, 0);
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.expect("task");
        match answer.status {
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(answer.text("#login-error").as_deref(), Some("Email or password is incorrect."));
                checked += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(checked + throttled, 24);
}

/// A cookie copied before logout opens nothing after it.
async fn a_cookie_copied_before_logout_is_refused_after_it(app: TestApp) {
    let _owner = app.setup_owner().await;
    let (owner, copy) = signed_in_copy(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(replay(&app.address, &copy, "/preferences").await, StatusCode::OK, "the copy works while signed in");
    assert_eq!(owner.post_form("/preferences", "/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(replay(&app.address, &copy, "/preferences").await, StatusCode::SEE_OTHER, "ended on the server");
    assert_eq!(replay(&app.address, &copy, "/api-keys").await, StatusCode::SEE_OTHER);
}

/// A removed member is signed out everywhere, even one with a workspace of their own.
async fn a_removed_members_cookie_is_refused(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme = owner.active_workspace().await;
    app.add_member(&owner, &acme, "rita@example.com", "REGULAR").await;
    let (rita, copy) = signed_in_copy(&app, "rita@example.com", "member-password-1").await;
    rita.create_workspace("Rita's").await;
    assert_eq!(replay(&app.address, &copy, "/preferences").await, StatusCode::OK);
    let members = owner.get(&format!("/workspaces/{acme}/settings/members")).await;
    let rita = members
        .html()
        .select(&scraper::Selector::parse("form[action$='/remove']").expect("selector"))
        .find_map(|f| f.value().attr("action").map(str::to_owned))
        .expect("a Remove form for Rita, the only one who can be removed");
    let removed = owner.post_form(&format!("/workspaces/{acme}/settings/members"), &rita, &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert_eq!(replay(&app.address, &copy, "/preferences").await, StatusCode::SEE_OTHER, "signed out by the removal");
}

crate::on_both_backends!(
    an_invitation_cannot_guess_an_accounts_password,
    an_existing_account_signs_in_then_joins,
    simultaneous_wrong_logins_are_checked_at_most_the_limit,
    a_cookie_copied_before_logout_is_refused_after_it,
    a_removed_members_cookie_is_refused,
);

/// Two instances on one PostgreSQL: a logout on one holds on the other within 2 seconds.
#[tokio::test]
async fn a_logout_holds_on_every_instance_within_two_seconds() {
    let Some(first) = crate::helpers::spawn_postgres_app(|_| {}).await else { return };
    let second = first.second_instance().await;
    let _owner = first.setup_owner().await;
    let (owner, copy) = signed_in_copy(&first, OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(replay(&second.address, &copy, "/preferences").await, StatusCode::OK, "any instance serves it");
    assert_eq!(owner.post_form("/preferences", "/logout", &[]).await.status, StatusCode::SEE_OTHER);
    let ended = std::time::Instant::now();
    loop {
        if replay(&second.address, &copy, "/preferences").await == StatusCode::SEE_OTHER {
            break;
        }
        assert!(ended.elapsed() < std::time::Duration::from_secs(2), "the other instance still honours it");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(replay(&first.address, &copy, "/preferences").await, StatusCode::SEE_OTHER);
}
