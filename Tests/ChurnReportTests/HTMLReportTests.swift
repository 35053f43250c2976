import ChurnCore
import Foundation
import XCTest

@testable import ChurnReport

final class HTMLReportTests: XCTestCase {
    private func occurrences(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    /// Values of `attribute="…"` on elements that start with `prefix`.
    private func attributeValues(_ attribute: String, elementPrefix prefix: String, in html: String) -> [String] {
        html.components(separatedBy: prefix).dropFirst().compactMap { tail -> String? in
            let element = tail.prefix { $0 != ">" }
            guard let r = element.range(of: " \(attribute)=\"") else { return nil }
            return String(element[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    func testRealisticReportHasChartsEscapedTextOffersAndNoExternalReferences() throws {
        let aggregate = ReportFixtures.realisticAggregate()
        let html = HTMLReport.render(ReportFixtures.input(aggregate))
        try html.write(toFile: "/tmp/churn-report-sample.html", atomically: true, encoding: .utf8)

        // Self-contained: no scripts, no network references.
        XCTAssertFalse(html.contains("http://"))
        XCTAssertFalse(html.contains("https://"))
        XCTAssertFalse(html.lowercased().contains("<script"), "the hostile id must be escaped, and the report has no scripts")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("&lt;b&gt;n/a&lt;/b&gt; &amp; &quot;unknown&quot;"))
        XCTAssertFalse(html.contains("<b>n/a</b>"))

        // Health chart: ten bars with their counts and band labels.
        XCTAssertEqual(occurrences("<svg class=\"chart\"", in: html), 1)
        let counts = attributeValues("data-count", elementPrefix: "<rect class=\"bar\"", in: html)
        XCTAssertEqual(counts, aggregate.healthHistogram.map(String.init))
        let bands = attributeValues("data-bin", elementPrefix: "<rect class=\"bar\"", in: html)
        XCTAssertEqual(bands, ["0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90–100"])
        for band in bands { XCTAssertTrue(html.contains(">\(band)</text>"), band) }
        XCTAssertTrue(html.contains(">7,114</text>"), "counts are labelled on the bars")
        XCTAssertTrue(html.contains("Health score (0 = poor, 100 = healthy)"))

        // Pie: three slices whose percentages add up to 100, in the legend too.
        let percents = attributeValues("data-percent", elementPrefix: "class=\"slice\"", in: html).compactMap(Double.init)
        XCTAssertEqual(percents.count, 3)
        XCTAssertEqual(percents.reduce(0, +), 100, accuracy: 1e-9)
        XCTAssertEqual(occurrences("<path class=\"slice\"", in: html), 3)
        XCTAssertEqual(attributeValues("data-level", elementPrefix: "<path class=\"slice\"", in: html), ["High", "Medium", "Low"])
        XCTAssertTrue(html.contains("<span class=\"legend-pct\">12.9%</span>"), "6217 / 48213 = 12.89%")

        // KPI tiles.
        XCTAssertTrue(html.contains(">48,213<"))
        XCTAssertTrue(html.contains(">6,217<"))
        XCTAssertTrue(html.contains(">$62,540,191<"))
        XCTAssertTrue(html.contains(">$8,032,114<"))
        XCTAssertTrue(html.contains(">$11,745,010<"))

        // Top table: one row and one drafted offer per customer, NEW badges for newly High risk.
        XCTAssertEqual(occurrences("<tr class=\"customer\">", in: html), 10)
        XCTAssertEqual(occurrences("<details>", in: html), 10)
        XCTAssertEqual(occurrences("title=\"Newly at High risk\">NEW</span>", in: html), 3)
        XCTAssertTrue(html.contains("We&#39;re sorry: a dedicated support engineer for your team"))
        XCTAssertTrue(html.contains("An invitation to a call with our executive sponsor"))
        XCTAssertTrue(html.contains("To: <b>maria.lopez@northwind.example</b>"))
        XCTAssertTrue(html.contains("Hello Maria,"))
        XCTAssertTrue(html.contains("href=\"mailto:maria.lopez@northwind.example?subject="))
        XCTAssertTrue(html.contains("Failed payments <span class=\"impact strong\""))
        XCTAssertTrue(html.contains("Usage drop %"))
        XCTAssertTrue(html.contains("$12,400.00"))

        // Rejected rows: the first 100 and the total.
        XCTAssertTrue(html.contains("137 rows could not be scored; the first 100 are listed"))
        let rejectedSection = try XCTUnwrap(html.components(separatedBy: "id=\"rejected\"").last)
        XCTAssertEqual(occurrences("<tr><td class=\"num\">", in: rejectedSection), 100)

        // Metadata.
        XCTAssertTrue(html.contains("sha256:3b9d41e07c5a2f6e8d1c"))
        XCTAssertTrue(html.contains("<dt>ROC AUC</dt><dd>0.995</dd>"))
        XCTAssertTrue(html.contains("fnv1a64:8c3f0e2a91b7d455"))
        XCTAssertTrue(html.contains("26.3k rows/s"))
    }

    func testASingleLevelIsDrawnAsAFullCircle() {
        var a = ScoreAggregate(topLimit: 5)
        a.rowsScored = 250
        a.riskCounts = [250, 0, 0]
        a.healthHistogram = [0, 0, 0, 0, 0, 0, 0, 0, 50, 200]
        let html = HTMLReport.render(ReportFixtures.input(a, newlyHighRisk: [], previousRun: nil))
        XCTAssertEqual(occurrences("<circle class=\"slice\" data-level=\"Low\"", in: html), 1)
        XCTAssertEqual(occurrences("<path class=\"slice\"", in: html), 0, "empty levels draw no slice, a full one no arc")
        XCTAssertEqual(attributeValues("data-percent", elementPrefix: "class=\"slice\"", in: html), ["100.0"])
        XCTAssertTrue(html.contains(">100%</text>"))
        XCTAssertTrue(html.contains("<span class=\"legend-pct\">0.0%</span>"))
        XCTAssertFalse(html.contains("id=\"newly-high\""), "no previous run and nobody new: no comparison section")

        // A large but partial slice uses the large-arc flag.
        a.riskCounts = [200, 0, 50]
        let two = HTMLReport.render(ReportFixtures.input(a))
        XCTAssertEqual(occurrences("<path class=\"slice\"", in: two), 2)
        XCTAssertTrue(two.contains(" 0 1 1 "), "the 80% slice needs the large-arc flag")
    }

    func testZeroRowsRendersEmptyStates() {
        let a = ScoreAggregate(topLimit: 10)
        let html = HTMLReport.render(ReportFixtures.input(a, newlyHighRisk: []))
        XCTAssertTrue(html.contains("No customers scored"))
        XCTAssertEqual(attributeValues("data-count", elementPrefix: "<rect class=\"bar\"", in: html), Array(repeating: "0", count: 10))
        XCTAssertFalse(html.contains("nan"), "no NaN from empty shares")
        XCTAssertFalse(html.contains("inf"))
        XCTAssertEqual(occurrences("class=\"slice\"", in: html), 0)
        XCTAssertTrue(html.contains("No customers were scored."))
        XCTAssertTrue(html.contains("No rows were rejected."))
        XCTAssertTrue(html.contains("No customer moved into High risk since run #41 of 2025-02-28."))
        XCTAssertFalse(html.contains("http://") || html.contains("https://"))
    }

    func testFormatting() {
        XCTAssertEqual(ReportFormat.integer(0), "0")
        XCTAssertEqual(ReportFormat.integer(1_234_567), "1,234,567")
        XCTAssertEqual(ReportFormat.integer(-1234), "−1,234")
        XCTAssertEqual(ReportFormat.compact(9_999), "9,999")
        XCTAssertEqual(ReportFormat.compact(12_345), "12.3k")
        XCTAssertEqual(ReportFormat.compact(2_500_000), "2.5M")
        XCTAssertEqual(ReportFormat.money(cents: 123_456, symbol: "$"), "$1,235")
        XCTAssertEqual(ReportFormat.money(cents: 123_405, symbol: "€", showCents: true), "€1,234.05")
        XCTAssertEqual(ReportFormat.money(cents: -250, symbol: "$", showCents: true), "−$2.50")
        XCTAssertEqual(ReportFormat.percent(0.00001), "<0.1%")
        XCTAssertEqual(ReportFormat.roundedPercentages([1, 1, 1]), [33.4, 33.3, 33.3])
        XCTAssertEqual(ReportFormat.roundedPercentages([1, 0, 2]).reduce(0, +), 100, accuracy: 1e-9)
        XCTAssertEqual(ReportFormat.roundedPercentages([0, 0, 0]), [0, 0, 0])
        XCTAssertEqual(ReportFormat.duration(75), "1 min 15 s")
        XCTAssertEqual(HealthChart.niceScale(7_802).max, 8_000)
        XCTAssertEqual(HealthChart.niceScale(3).max, 3)
        XCTAssertEqual(DriverWording.label("usage_drop_pct"), "Usage drop %")
        XCTAssertEqual(DriverWording.label("mrr"), "MRR")
        XCTAssertEqual(DriverWording.label("segment=small-business"), "Segment: small-business")
        XCTAssertEqual(HTML.escape("a<b>&\"c'\u{7}"), "a&lt;b&gt;&amp;&quot;c&#39;")
        XCTAssertEqual(HTMLReport.percentEncode("a b\n&"), "a%20b%0D%0A%26")
    }
}
