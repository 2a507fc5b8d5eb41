//! Preferences: time zone, date and time formats, and the live preview.

use reqwest::StatusCode;

use crate::helpers::TestApp;

fn matches_shape(text: &str, shape: &str) -> bool {
    // `9` stands for any digit; everything else must match exactly.
    text.len() == shape.len()
        && text.chars().zip(shape.chars()).all(|(c, s)| if s == '9' { c.is_ascii_digit() } else { c == s })
}

async fn preferences_are_saved_and_shape_every_time(app: TestApp) {
    let owner = app.setup_owner().await;
    let page = owner.get("/preferences").await;
    assert_eq!(page.text("nav.tabs a[aria-current=page]").as_deref(), Some("General"));
    assert_eq!(page.attr("#time_zone option[selected]", "value").as_deref(), Some("UTC"));
    assert!(page.html().select(&scraper::Selector::parse("#time_zone option").expect("s")).count() > 300);
    let preview = page.text("#preview strong").expect("preview");
    assert!(preview.ends_with(" AM") || preview.ends_with(" PM"), "12-hour default: {preview}");

    let saved = owner
        .post_form(
            "/preferences",
            "/preferences",
            &[("time_zone", "Asia/Kolkata"), ("date_format", "YYYY-MM-DD"), ("time_format", "HOUR24")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = owner.get("/preferences").await;
    assert_eq!(page.text(".flash p").as_deref(), Some("Preferences saved."));
    assert_eq!(page.attr("#time_zone option[selected]", "value").as_deref(), Some("Asia/Kolkata"));
    assert_eq!(page.attr("#date_format option[selected]", "value").as_deref(), Some("YYYY-MM-DD"));
    assert_eq!(page.attr("#time_format option[selected]", "value").as_deref(), Some("HOUR24"));
    let preview = page.text("#preview strong").expect("preview");
    assert!(matches_shape(&preview, "9999-99-99 99:99:99"), "{preview}");
}

async fn the_preview_follows_the_choices(app: TestApp) {
    let owner = app.setup_owner().await;
    let fragment = owner
        .http
        .get(format!(
            "{}/preferences/preview?time_zone=Europe/Berlin&date_format=DD.MM.YYYY&time_format=HOUR12",
            owner.address
        ))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let html = scraper::Html::parse_fragment(&fragment);
    let strong: String =
        html.select(&scraper::Selector::parse("#preview strong").expect("s")).flat_map(|e| e.text()).collect();
    assert!(strong.starts_with(|c: char| c.is_ascii_digit()) && strong.chars().nth(2) == Some('.'), "{strong}");
    assert!(strong.ends_with(" AM") || strong.ends_with(" PM"), "{strong}");
    assert!(!fragment.contains("<html"), "a fragment, not a page");

    let bad = owner
        .http
        .get(format!(
            "{}/preferences/preview?time_zone=Mars/Base&date_format=DD.MM.YYYY&time_format=HOUR12",
            owner.address
        ))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("GET");
    assert_eq!(bad.status(), StatusCode::OK);
    assert!(bad.text().await.expect("body").contains("Choose a value"));

    let plain = owner.get("/preferences/preview?time_zone=UTC").await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER, "the fragment route is for htmx only");
}

async fn bad_preferences_are_refused_next_to_the_field(app: TestApp) {
    let owner = app.setup_owner().await;
    let answer = owner
        .post_form(
            "/preferences",
            "/preferences",
            &[("time_zone", "Mars/Base"), ("date_format", "YY/MM"), ("time_format", "HOUR25")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.field_error("time_zone").as_deref(), Some("Choose a time zone from the list."));
    assert!(answer.field_error("date_format").is_some());
    assert!(answer.field_error("time_format").is_some());
    let page = owner.get("/preferences").await;
    assert_eq!(page.attr("#time_zone option[selected]", "value").as_deref(), Some("UTC"), "nothing saved");
}

crate::on_both_backends!(
    preferences_are_saved_and_shape_every_time,
    the_preview_follows_the_choices,
    bad_preferences_are_refused_next_to_the_field,
);
