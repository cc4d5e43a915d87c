// Dates of the proleptic Gregorian calendar as a real-time clock reports them, and the
// seconds since 1970-01-01 00:00 UTC that the rest of the system counts in (the kernel
// reads the clock once at boot: BootInfo::rtc_seconds). Pure and constexpr: the host's
// unit tests check it (tests/unit/test_calendar.cpp).
#pragma once

#include <base/types.hpp>

namespace kernel {

struct Date {
    u32 year, month, day; ///< month 1..12, day 1..31
    u32 hour, minute, second;
};

/// Days from 1970-01-01 to year-month-day. Years are counted from March, so that the leap
/// day ends a year: a 400-year era has 146,097 days, a year 365 plus a day every fourth,
/// but not every hundredth, but every four hundredth.
constexpr i64 days_from_civil(i64 year, u32 month, u32 day) {
    const i64 y = month <= 2 ? year - 1 : year;
    const i64 era = (y >= 0 ? y : y - 399) / 400;
    const i64 year_of_era = y - era * 400;                            // 0..399
    const i64 day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; // from March 1
    const i64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468; // (1970-01-01 is day 719,468 from 0000-03-01)
}

/// The date of day `days` since 1970-01-01: the inverse of days_from_civil.
constexpr void civil_from_days(i64 days, i64& year, u32& month, u32& day) {
    days += 719468;
    const i64 era = (days >= 0 ? days : days - 146096) / 146097;
    const i64 day_of_era = days - era * 146097;                                            // 0..146096
    const i64 year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const i64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const i64 mp = (5 * day_of_year + 2) / 153; // March = 0
    day = static_cast<u32>(day_of_year - (153 * mp + 2) / 5 + 1);
    month = static_cast<u32>(mp < 10 ? mp + 3 : mp - 9);
    year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

/// Seconds since 1970-01-01 00:00 UTC of a date (0 for a date before 1970, or one that
/// is not a date: a clock that does not know the time).
constexpr u64 unix_seconds(const Date& d) {
    if (d.year < 1970 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 23 || d.minute > 59 ||
        d.second > 60)
        return 0;
    const i64 days = days_from_civil(d.year, d.month, d.day);
    return static_cast<u64>(days) * 86400 + d.hour * 3600 + d.minute * 60 + d.second;
}

/// The date of `seconds` since 1970-01-01 00:00 UTC.
constexpr Date date_of(u64 seconds) {
    i64 year = 0;
    u32 month = 0, day = 0;
    civil_from_days(static_cast<i64>(seconds / 86400), year, month, day);
    const u64 s = seconds % 86400;
    return {static_cast<u32>(year), month, day, static_cast<u32>(s / 3600), static_cast<u32>(s / 60 % 60),
            static_cast<u32>(s % 60)};
}

static_assert(days_from_civil(1970, 1, 1) == 0 && days_from_civil(2000, 3, 1) == 11017);
static_assert(unix_seconds({2026, 12, 3, 18, 20, 5}) == 1796322005);

} // namespace kernel
