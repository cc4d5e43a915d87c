// The kernel's calendar (microkernel/calendar.hpp): real-time clock dates to seconds since
// 1970 and back, checked against the C library's timegm and gmtime over four centuries.
#include <catch2/catch.hpp>
#include <microkernel/calendar.hpp>

#include <ctime>

using namespace kernel;

TEST_CASE("calendar: dates to seconds since 1970 and back agree with timegm and gmtime_r") {
    // Every day from 1970 to 2370 at a time of day that moves through the day.
    for (u64 day = 0; day < 146097; ++day) {
        const u64 seconds = day * 86400 + (day * 7919) % 86400;
        std::time_t t = static_cast<std::time_t>(seconds);
        std::tm tm{};
        REQUIRE(gmtime_r(&t, &tm) != nullptr);
        const Date d = date_of(seconds);
        REQUIRE(d.year == static_cast<u32>(tm.tm_year + 1900));
        REQUIRE(d.month == static_cast<u32>(tm.tm_mon + 1));
        REQUIRE(d.day == static_cast<u32>(tm.tm_mday));
        REQUIRE((d.hour == static_cast<u32>(tm.tm_hour) && d.minute == static_cast<u32>(tm.tm_min) &&
                 d.second == static_cast<u32>(tm.tm_sec)));
        REQUIRE(unix_seconds(d) == seconds);
        REQUIRE(static_cast<std::time_t>(unix_seconds(d)) == timegm(&tm));
    }
}

TEST_CASE("calendar: leap days, and what is not a date gives 0") {
    CHECK(unix_seconds({2000, 2, 29, 0, 0, 0}) == 951782400);  // 2000 is a leap year (divisible by 400)
    CHECK(unix_seconds({2100, 3, 1, 0, 0, 0}) == 4107542400);  // 2100 is not: Feb 28 then Mar 1
    CHECK(unix_seconds({2100, 2, 28, 0, 0, 0}) + 86400 == 4107542400);
    CHECK(unix_seconds({1969, 12, 31, 23, 59, 59}) == 0);     // before 1970
    CHECK(unix_seconds({2024, 13, 1, 0, 0, 0}) == 0);
    CHECK(unix_seconds({2024, 0, 1, 0, 0, 0}) == 0);
    CHECK(unix_seconds({2024, 1, 0, 0, 0, 0}) == 0);
    CHECK(unix_seconds({2024, 1, 1, 24, 0, 0}) == 0);
}
