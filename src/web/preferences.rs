//! `/preferences`: tab General (time zone, date format, time format, with a live preview).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::clock::now_ms;
use crate::domain::{DateFormat, DisplayPrefs, TimeFormat, TimeZoneName};
use crate::error::AppError;
use crate::services::preferences;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreferencesForm {
    time_zone: String,
    date_format: String,
    time_format: String,
}

impl PreferencesForm {
    fn parse(&self) -> Result<DisplayPrefs, FieldErrors> {
        let mut errors = FieldErrors::default();
        let time_zone = errors.check("time_zone", TimeZoneName::parse(&self.time_zone));
        let date_format = errors.check("date_format", DateFormat::parse(&self.date_format));
        let time_format = errors.check("time_format", TimeFormat::parse(&self.time_format));
        match (time_zone, date_format, time_format) {
            (Some(time_zone), Some(date_format), Some(time_format)) => {
                Ok(DisplayPrefs { time_zone, date_format, time_format })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "preferences/general.html")]
struct GeneralTab<'a> {
    frame: Frame,
    form: &'a PreferencesForm,
    preview: String,
    errors: FieldErrors,
    /// Whether health alerts are mailed to this user.
    alert_mails: bool,
    /// Whether this server sends mail at all.
    mail_on: bool,
}

impl GeneralTab<'_> {
    fn zones(&self) -> &'static [String] {
        TimeZoneName::all()
    }

    fn date_formats(&self) -> [DateFormat; 6] {
        DateFormat::ALL
    }

    fn time_formats(&self) -> [TimeFormat; 2] {
        TimeFormat::ALL
    }
}

#[derive(Template)]
#[template(path = "preferences/_preview.html")]
struct Preview {
    preview: String,
    error: Option<String>,
}

pub async fn show(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let prefs = page.prefs();
    let form = PreferencesForm {
        time_zone: prefs.time_zone.as_str().to_owned(),
        date_format: prefs.date_format.as_str().to_owned(),
        time_format: prefs.time_format.as_str().to_owned(),
    };
    let preview = prefs.format_instant(now_ms());
    let (alert_mails, mail_on) = (page.user.alert_mails, state.mail.is_some());
    let errors = FieldErrors::default();
    render(StatusCode::OK, &GeneralTab { frame: page.frame, form: &form, preview, errors, alert_mails, mail_on })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertsForm {
    alert_mails: Option<String>,
}

/// The health alerts switch: whether mails about failing webhooks come to this user.
pub async fn save_alerts(
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<AlertsForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, on) = (page.user.id, form.alert_mails.is_some());
    state.db.write(move |conn| preferences::set_alert_mails(conn, user_id, on)).await?;
    let message =
        if on { "Health alerts will be mailed to you." } else { "Health alerts will no longer be mailed to you." };
    set_flash(&page.session, message, None);
    Ok(see_other("/preferences"))
}

pub async fn save(
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<PreferencesForm>,
) -> Result<HttpResponse, AppError> {
    let prefs = match form.parse() {
        Ok(prefs) => prefs,
        Err(errors) => {
            let preview = page.prefs().format_instant(now_ms());
            let (alert_mails, mail_on) = (page.user.alert_mails, state.mail.is_some());
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &GeneralTab { frame: page.frame, form: &form, preview, errors, alert_mails, mail_on },
            );
        }
    };
    let user_id = page.user.id;
    state.db.write(move |conn| preferences::save(conn, user_id, &prefs)).await?;
    set_flash(&page.session, "Preferences saved.", None);
    Ok(see_other("/preferences"))
}

/// The preview fragment, for htmx as the selections change. A plain visit gets the page.
pub async fn preview(
    req: HttpRequest,
    _page: Page,
    form: web::Query<PreferencesForm>,
) -> Result<HttpResponse, AppError> {
    if !req.headers().contains_key("HX-Request") {
        return Ok(see_other("/preferences"));
    }
    let fragment = match form.parse() {
        Ok(prefs) => Preview { preview: prefs.format_instant(now_ms()), error: None },
        Err(_) => {
            Preview { preview: String::new(), error: Some("Choose a value from each list to see a preview.".into()) }
        }
    };
    render(StatusCode::OK, &fragment)
}

#[derive(Template)]
#[template(path = "preferences/advanced.html")]
struct AdvancedTab {
    frame: Frame,
}

/// Tab Advanced: the way to API keys (and, for Owners and Admins, webhooks).
pub async fn advanced(page: Page) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, &AdvancedTab { frame: page.frame })
}
