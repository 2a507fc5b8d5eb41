//! What axe cannot judge: that keyboard focus is visible. Every control the page shows is
//! focused in turn (after a real Tab press, so the browser is in keyboard mode) and must draw
//! an outline or a focus ring.

use fantoccini::{key::Key, Client};

const CHECK: &str = r##"
const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
  (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
  " \"" + (el.textContent || el.value || "").trim().slice(0, 30) + "\"";
const was = document.activeElement;
const problems = [];
let checked = 0;
for (const el of document.querySelectorAll(controls)) {
  if (el.disabled || !el.getClientRects().length) continue;
  el.focus({ preventScroll: true });
  if (document.activeElement !== el) continue; // inert behind a modal dialog
  checked++;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== "none";
  if (!el.matches(":focus-visible")) problems.push("focused without :focus-visible: " + describe(el));
  else if (!outline && !ring) problems.push("no visible focus: " + describe(el));
}
if (was && was.focus) was.focus({ preventScroll: true });
return { checked, problems };
"##;

/// The controls on the page whose focus is invisible, one line each; fails when none could be
/// checked (the check would prove nothing).
pub async fn invisible(client: &Client) -> Vec<String> {
    if let Ok(active) = client.active_element().await {
        let _ = active.send_keys(&Key::Tab).await;
    }
    let result = client.execute(CHECK, vec![]).await.expect("the focus check runs");
    assert!(result["checked"].as_u64().unwrap_or(0) > 0, "no control could be focused: {result}");
    result["problems"].as_array().into_iter().flatten().filter_map(|p| p.as_str().map(str::to_owned)).collect()
}
