// The Catch2 main of the host suites (unit, boot, linux), and the reporter meson reads them
// with: `-r tap-cases` (meson.build: protocol 'tap') prints one TAP line per test case,
// "ok N - name" or "not ok N - name", with each failed assertion before it as comment
// lines (where, what, its expansion and its INFO/SHOW messages), and the plan "1..N" at
// the end. meson counts the cases (meson-logs/testlog.junit.xml), and scripts/test reads
// meson's count. (Catch2 2.x's own TAP reporter prints a line per assertion: 1.7 million
// in the unit suite.)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace {

class CaseTapReporter : public Catch::StreamingReporterBase<CaseTapReporter> {
public:
    using StreamingReporterBase::StreamingReporterBase;

    static std::string getDescription() { return "TAP with one line per test case (meson's protocol 'tap')"; }

    void assertionStarting(Catch::AssertionInfo const&) override {}

    bool assertionEnded(Catch::AssertionStats const& stats) override {
        const Catch::AssertionResult& r = stats.assertionResult;
        if (r.isOk()) return true;
        std::ostringstream text;
        text << r.getSourceInfo() << ": FAILED";
        if (r.hasExpression()) text << ": " << r.getExpressionInMacro();
        if (r.hasExpandedExpression() && r.getExpandedExpression() != r.getExpression())
            text << "\nwith expansion: " << r.getExpandedExpression();
        if (r.hasMessage()) text << "\n" << r.getMessage();
        for (const Catch::MessageInfo& m : stats.infoMessages) text << "\nwith message: " << m.message;
        comment(text.str());
        return true;
    }

    void testCaseEnded(Catch::TestCaseStats const& stats) override {
        ++cases_;
        stream << (stats.totals.assertions.allOk() ? "ok " : "not ok ") << cases_ << " - " << stats.testInfo.name
               << "\n";
        stream.flush();
        StreamingReporterBase::testCaseEnded(stats);
    }

    void testRunEnded(Catch::TestRunStats const& stats) override {
        stream << "1.." << cases_ << "\n";
        comment(std::to_string(stats.totals.assertions.passed) + " assertions passed, " +
                std::to_string(stats.totals.assertions.failed) + " failed");
        stream.flush();
        StreamingReporterBase::testRunEnded(stats);
    }

private:
    /// Text as TAP comment lines.
    void comment(const std::string& text) {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) stream << "# " << line << "\n";
    }

    unsigned cases_ = 0;
};

} // namespace

CATCH_REGISTER_REPORTER("tap-cases", CaseTapReporter)
