//! The local calendar date and hour of a moment (the process's `TZ`), for
//! plugins that name files or query APIs by date (`%Y%m%d` log names,
//! `getcdr?date=YYYYMMDD`). One `localtime_r(3)` call: no time zone database of
//! our own.

use crate::runner::Failure;

/// Local date and time fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// The year, e.g. 2026.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
}

impl LocalTime {
    /// `YYYYMMDD`.
    pub fn yyyymmdd(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// Seconds since the epoch now.
pub fn now_seconds() -> Result<i64, Failure> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .map_err(|_| Failure::unknown("the clock is before 1970"))
}

/// The local date and hour now.
pub fn now_local() -> Result<LocalTime, Failure> {
    local_time(now_seconds()?)
}

/// The local date and hour of a Unix timestamp.
pub fn local_time(t: i64) -> Result<LocalTime, Failure> {
    // time_t is i64 here, i32 on some 32-bit targets.
    #[allow(clippy::useless_conversion)]
    let t: libc::time_t = t
        .try_into()
        .map_err(|_| Failure::unknown(format!("time {t} is out of range")))?;
    // SAFETY: localtime_r only writes into the tm we own; both pointers are valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return Err(Failure::unknown("cannot compute the local date"));
    }
    Ok(LocalTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_date_is_computed() {
        let t = local_time(0).unwrap();
        assert!(t.year == 1970 || t.year == 1969);
        assert_eq!(
            LocalTime {
                year: 2010,
                month: 10,
                day: 2,
                hour: 0
            }
            .yyyymmdd(),
            "20101002"
        );
    }
}
