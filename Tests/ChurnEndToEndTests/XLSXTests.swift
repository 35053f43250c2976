import Foundation
import XCTest

/// XLSX input gives exactly the results of the same data as CSV.
final class XLSXEndToEndTests: XCTestCase {
    func testXLSXAndCSVGiveIdenticalResults() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let csv = dir.appendingPathComponent("customers.csv").path
        let xlsx = dir.appendingPathComponent("customers.xlsx").path
        // openpyxl writes numbers as numbers; write the CSV from the same values so both hold the same text.
        let script = """
        import csv, sys, openpyxl
        rows = list(csv.reader(open(sys.argv[1])))
        def cell(v):
            try:
                f = float(v)
                return int(f) if f.is_integer() and '.' not in v else f
            except ValueError:
                return v
        wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Customers"
        ws.append(rows[0])
        for r in rows[1:]:
            ws.append([cell(v) for v in r])
        ws.append(["C9", "x@y", "enterprise", "north", "abc", 1, 2, 3, 4, 5, 6, 7, 8, 0])
        wb.save(sys.argv[2])
        with open(sys.argv[3], "w", newline="") as f:
            w = csv.writer(f, lineterminator="\\n")
            for row in ws.iter_rows(values_only=True):
                w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
        """
        let scriptPath = dir.appendingPathComponent("make.py").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let made = try ChurnBinary.python([scriptPath, ChurnBinary.testCSV, xlsx, csv])
        XCTAssertEqual(made.status, 0, "openpyxl is needed (scripts/test installs it): \(made.stderr)")

        func score(_ input: String, _ name: String, extra: [String] = []) throws -> (Data, String) {
            let out = dir.appendingPathComponent("\(name).csv").path
            let r = try ChurnBinary.run(["score", input, "--model", model, "--out", out, "--quiet", "--no-history"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return (try Data(contentsOf: URL(fileURLWithPath: out)), r.stdout)
        }
        let (fromCSV, csvText) = try score(csv, "from-csv")
        let (fromXLSX, xlsxText) = try score(xlsx, "from-xlsx")
        XCTAssertEqual(fromCSV, fromXLSX)
        // On --local workers too (the sheet becomes a temporary CSV, scored like any CSV).
        let (fromXLSXLocal, localText) = try score(xlsx, "from-xlsx-local", extra: ["--local", "1"])
        XCTAssertEqual(fromXLSXLocal, fromXLSX)
        XCTAssertTrue(localText.contains("customers.xlsx:502:"), localText)
        XCTAssertEqual(String(decoding: fromCSV, as: UTF8.self).split(separator: "\n").count, 501)
        // The bad row is reported at its spreadsheet row (header = row 1).
        XCTAssertTrue(xlsxText.contains("customers.xlsx:502: column 5 'avg_daily_usage': 'abc' is not a number"), xlsxText)
        XCTAssertTrue(csvText.contains("customers.csv:502:"), csvText)

        let sheet = try ChurnBinary.run(["score", xlsx, "--model", model, "--out", dir.appendingPathComponent("x.csv").path, "--sheet", "Nope", "--no-history"])
        XCTAssertNotEqual(sheet.status, 0)
        XCTAssertTrue(sheet.stderr.contains("Customers"), "the error lists the sheets: \(sheet.stderr)")
    }
}
