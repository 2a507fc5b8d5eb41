//! When to try a failed delivery again: the configured schedule, with jitter that only adds
//! (0-10 %), and a receiver's `Retry-After` honoured within the schedule's bounds.

use std::time::Duration;

use rand::Rng;

/// The wait before retry number `retry` (0-based), or `None` when the schedule is used up.
pub fn retry_delay(schedule: &[Duration], retry: usize, retry_after: Option<Duration>) -> Option<Duration> {
    let planned = *schedule.get(retry)?;
    let longest = schedule.iter().copied().max().unwrap_or(planned);
    // A receiver may ask for more time than planned, never for less, and never past the
    // schedule's longest wait.
    let wanted = retry_after.map_or(planned, |asked| asked.clamp(planned, longest.max(planned)));
    let jitter = rand::thread_rng().gen_range(0.0..=0.1);
    Some(wanted.mul_f64(1.0 + jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn follows_the_schedule_with_added_jitter_only() {
        let schedule = [secs(5), secs(300), secs(1800)];
        for _ in 0..200 {
            let d = retry_delay(&schedule, 1, None).expect("a retry");
            assert!(d >= secs(300) && d <= secs(330), "{d:?}");
        }
        assert_eq!(retry_delay(&schedule, 3, None), None, "used up");
        assert_eq!(retry_delay(&[], 0, None), None);
    }

    #[test]
    fn retry_after_is_clamped_to_the_schedule() {
        let schedule = [secs(5), secs(300), secs(1800)];
        let asked_less = retry_delay(&schedule, 1, Some(secs(1))).expect("a retry");
        assert!(asked_less >= secs(300));
        let asked_more = retry_delay(&schedule, 0, Some(secs(600))).expect("a retry");
        assert!(asked_more >= secs(600) && asked_more <= secs(660));
        let asked_too_much = retry_delay(&schedule, 0, Some(secs(99_999))).expect("a retry");
        assert!(asked_too_much <= secs(1980));
    }
}
