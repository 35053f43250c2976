import Foundation
import XCTest

/// Hostile and careless inputs to `churn score` through the real binary: each stays within the
/// budgets README.md ("Hostile input") states, fails with a clear error, and leaves nothing behind.
final class HostileInputTests: XCTestCase {
    var dir: URL!
    var model: String!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    private func leftovers(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.contains("tmp") || $0.hasPrefix("churn-xlsx") }
    }

    // MARK: XLSX (items 1 and 6)

    /// One cell per row at column XFD: 16,384 fields a row as CSV. 6,000 such rows would be 98 MB of
    /// temporary CSV from a file of a few kilobytes; the disk budget stops it at 64 MiB. The file size
    /// limit (RLIMIT_FSIZE) kills a process that writes any file past 80 MiB.
    func testSparseXLSXStaysWithinTheDiskBudget() throws {
        let xlsx = path("sparse.xlsx")
        try MeasuredRun.python(HostileXLSX.prelude + """
            make_xlsx(sys.argv[1], ('<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (i, i) for i in range(1, 6001)))
            """, [xlsx], in: dir)
        let xlsxBytes = try FileManager.default.attributesOfItem(atPath: xlsx)[.size] as! Int
        XCTAssertLessThan(xlsxBytes, 256 << 10)
        let tmp = path("scratch")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let r = try MeasuredRun.churn(["score", xlsx, "--model", model, "--out", path("out.csv"), "--no-history", "--quiet"],
                                      limits: [("RLIMIT_FSIZE", 80 << 20)], environment: ["TMPDIR": tmp + "/"])
        XCTAssertNil(r.signal, "killed by signal \(r.signal ?? 0) (25 = SIGXFSZ: a file grew past 80 MiB)")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("sparse.xlsx: the worksheet expands to more than 64 MiB of CSV"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "the temporary CSV is removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.csv")))
    }

    /// The temporary CSV is private to its owner while it exists, and SIGTERM removes it.
    func testXLSXTemporaryCSVIsPrivateAndRemovedOnSIGTERM() throws {
        let xlsx = path("big.xlsx")
        // 60,000 real customers: converting and scoring them takes long enough to be interrupted.
        try MeasuredRun.python(HostileXLSX.prelude + """
            import csv
            rows = list(csv.reader(open(sys.argv[2])))
            def cell(v):
                return '<c t="inlineStr"><is><t>%s</t></is></c>' % v
            def sheet():
                yield '<row>' + ''.join(cell(v) for v in rows[0]) + '</row>'
                for i in range(60000):
                    r = rows[1 + i % (len(rows) - 1)]
                    yield '<row>' + cell('C%d' % i) + ''.join(cell(v) for v in r[1:]) + '</row>'
            make_xlsx(sys.argv[1], sheet())
            """, [xlsx, ChurnBinary.testCSV], in: dir)
        let tmp = path("scratch")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = ChurnBinary.url
        process.arguments = ["score", xlsx, "--model", model, "--out", path("out.csv"), "--no-history", "--quiet", "--threads", "1"]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp + "/"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var temporary: String?
        let deadline = Date().addingTimeInterval(30)
        while temporary == nil && process.isRunning && Date() < deadline {
            temporary = try FileManager.default.contentsOfDirectory(atPath: tmp).first { $0.hasPrefix("churn-xlsx") }
            if temporary == nil { usleep(5_000) }
        }
        guard let temporary else {
            process.terminate()
            return XCTFail("no temporary CSV appeared in \(tmp)")
        }
        var st = stat()
        XCTAssertEqual(stat(tmp + "/" + temporary, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "the temporary CSV holds customer data: owner only")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 128 + SIGTERM)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "SIGTERM leaves no temporary CSV")
        XCTAssertEqual(leftovers(in: dir.path), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.csv")))
    }

    /// 320 shared strings of 1 MiB each (a file of a few hundred kilobytes): refused at the 256 MiB
    /// table budget, with the process's peak memory under 512 MiB.
    func testSharedStringsBombStaysWithinTheMemoryBudget() throws {
        let xlsx = path("strings.xlsx")
        try MeasuredRun.python(HostileXLSX.prelude + """
            big = '<si><t>' + 'a' * (1 << 20) + '</t></si>'
            make_xlsx(sys.argv[1], iter(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>']), (big for _ in range(320)))
            """, [xlsx], in: dir)
        let r = try MeasuredRun.churn(["score", xlsx, "--model", model, "--out", path("out.csv"), "--no-history", "--quiet"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("the shared string table needs more than 256 MiB of memory"), r.stderr)
        XCTAssertLessThan(r.maxRSSBytes, 512 << 20, "peak RSS \(r.maxRSSBytes >> 20) MiB")
    }

    /// Long XML constructs in a sheet (a comment, a tag with a long attribute value) are scanned in
    /// linear time too: the scanner no longer searches a construct again from its start with every
    /// 64 KiB of inflated data (a 24 MiB comment took minutes).
    func testLongXMLConstructsAreScannedInLinearTime() throws {
        let xlsx = path("constructs.xlsx")
        let header = #"'<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>'"#
        let constructs = [("comment", #"'<!--' + '-x' * (12 << 20) + '-->'"#),
                          ("attribute", #"'<row r="2" spans="' + '>' * (24 << 20) + '"/>'"#)]
        for (name, construct) in constructs {
            try MeasuredRun.python(HostileXLSX.prelude + "make_xlsx(sys.argv[1], iter([\(header), \(construct)]))\n",
                                   [xlsx], in: dir)
            let r = try MeasuredRun.churn(["score", xlsx, "--model", model, "--out", path("out.csv"), "--no-history", "--quiet"],
                                          limits: [("RLIMIT_CPU", 10)])
            XCTAssertNil(r.signal, "\(name): killed by signal \(r.signal ?? 0) (over 10 s of CPU)")
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.contains("constructs.xlsx:1: missing required columns"), "\(name): \(r.stderr.prefix(300))")
        }
    }

    // MARK: CSV header (item 7)

    /// A 24 MiB header line is read in linear time: well within 10 s of CPU (RLIMIT_CPU kills the
    /// process past it; the quadratic reader needed minutes).
    func testLongHeaderLineIsReadInLinearTime() throws {
        let input = path("wide.csv")
        var header = [UInt8](repeating: UInt8(ascii: "x"), count: 24 << 20)
        header.append(0x0A)
        header += Array("1\n".utf8)
        FileManager.default.createFile(atPath: input, contents: Data(header))
        let r = try MeasuredRun.churn(["score", input, "--model", model, "--out", path("out.csv"), "--no-history", "--quiet"],
                                      limits: [("RLIMIT_CPU", 10)])
        XCTAssertNil(r.signal, "killed by signal \(r.signal ?? 0) (24 = SIGXCPU: over 10 s of CPU)")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("wide.csv:1: missing required columns"), String(r.stderr.prefix(300)))
    }

    // MARK: Output paths (items 3 and 12)

    func testOutputsThatWouldOverwriteAnInputAreRefused() throws {
        let input = path("in.csv")
        try FileManager.default.copyItem(atPath: ChurnBinary.testCSV, toPath: input)
        let link = path("link.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
        let hard = path("hard.csv")
        try FileManager.default.linkItem(atPath: input, toPath: hard)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let modelBefore = try Data(contentsOf: URL(fileURLWithPath: model))
        let out = path("out.csv")
        let cases: [([String], String)] = [
            (["--out", input], "--out \(input) would overwrite the input"),
            (["--out", dir.path + "/./in.csv"], "would overwrite the input"),
            (["--out", link], "would overwrite the input"),
            (["--out", hard], "would overwrite the input"),
            (["--out", out, "--report", input], "--report \(input) would overwrite the input"),
            (["--out", out, "--summary-json", input], "--summary-json \(input) would overwrite the input"),
            (["--out", model], "would overwrite the model"),
            (["--out", out, "--report", out], "--report \(out) would overwrite --out"),
            (["--out", out, "--db", path("h.sqlite"), "--summary-json", path("h.sqlite")], "would overwrite the history database"),
        ]
        for (options, message) in cases {
            let r = try ChurnBinary.run(["score", input, "--model", model, "--quiet"] + options)
            XCTAssertEqual(r.status, 1, "\(options): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(options): \(r.stderr)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before, "\(options) changed the input")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), modelBefore, "\(options) changed the model")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(options) wrote results")
        }
        XCTAssertEqual(leftovers(in: dir.path), [])
    }

    /// README: "exit 1 … No results file is written". An output that cannot be written is found
    /// before scoring starts.
    func testUnwritableReportOrSummaryLeavesNoResultsFile() throws {
        let out = path("out.csv")
        let db = path("h.sqlite")
        let cases: [([String], String)] = [
            (["--report", path("missing-dir/report.html")], "--report \(path("missing-dir/report.html")): the directory"),
            (["--summary-json", path("missing-dir/s.json")], "--summary-json \(path("missing-dir/s.json")): the directory"),
            (["--report", dir.path], "is a directory"),
        ]
        for (options, message) in cases {
            let r = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", out, "--db", db, "--quiet"] + options)
            XCTAssertEqual(r.status, 1, "\(options): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(options): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(options) left a results file")
            XCTAssertEqual(leftovers(in: dir.path), [])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "nothing was recorded either")
    }

    // MARK: History file (item 4)

    func testBareFileNameForTheHistoryDatabase() throws {
        let work = path("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let score: [String] = ["score", ChurnBinary.testCSV, "--model", model, "--out", "out.csv", "--quiet"]
        let byOption = try MeasuredRun.churn(score + ["--db", "history.sqlite"], directory: work)
        XCTAssertEqual(byOption.status, 0, byOption.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/history.sqlite"))
        let byEnvironment = try MeasuredRun.churn(score, directory: work, environment: ["CHURN_DB": "env.sqlite"])
        XCTAssertEqual(byEnvironment.status, 0, byEnvironment.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/env.sqlite"))
        let runs = try MeasuredRun.churn(["runs", "--db", "history.sqlite"], directory: work)
        XCTAssertEqual(runs.status, 0, runs.stderr)
        XCTAssertTrue(runs.stdout.contains("succeeded"), runs.stdout)
        // A directory that cannot be made is a clear error naming the file.
        FileManager.default.createFile(atPath: work + "/plain", contents: Data())
        let blocked = try MeasuredRun.churn(score + ["--db", "plain/h.sqlite"], directory: work)
        XCTAssertEqual(blocked.status, 1)
        XCTAssertTrue(blocked.stderr.contains("plain/h.sqlite: cannot create the history's directory plain"), blocked.stderr)
    }

    // MARK: Ids (items 5 and 11)

    /// An id over 65,535 bytes is rejected as a bad row, the same way in-process and on workers, so
    /// the results stay byte-identical.
    func testOverlongIdsAreRejectedAlikeInProcessAndOnWorkers() throws {
        let input = path("long-ids.csv")
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let long = String(repeating: "L", count: 70_000)
        lines[3] = long + lines[3].drop { $0 != "," }
        lines[7] = "\"" + String(repeating: "Q", count: 65_530) + "\"\"\"\"\"\"\"\"" + "\"" + lines[7].drop { $0 != "," }  // 65,534 bytes once unquoted
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let inProcess = try ChurnBinary.run(["score", input, "--model", model, "--out", path("a.csv"), "--no-history", "--quiet",
                                             "--summary-json", path("a.json")])
        XCTAssertEqual(inProcess.status, 0, inProcess.stderr)
        let cluster = try ChurnBinary.run(["score", input, "--model", model, "--out", path("b.csv"), "--no-history", "--quiet",
                                           "--local", "1", "--summary-json", path("b.json")])
        XCTAssertEqual(cluster.status, 0, cluster.stderr)
        let a = try Data(contentsOf: URL(fileURLWithPath: path("a.csv")))
        XCTAssertEqual(a, try Data(contentsOf: URL(fileURLWithPath: path("b.csv"))), "results differ between the two paths")
        XCTAssertTrue(inProcess.stdout.contains("long-ids.csv:4: column 1 'customer_id': the id is 70000 bytes long; ids may be at most 65535"),
                      String(inProcess.stdout.suffix(600)))
        XCTAssertTrue(cluster.stdout.contains("long-ids.csv:4: column 1 'customer_id': the id is 70000 bytes long"), String(cluster.stdout.suffix(600)))
        let text = String(decoding: a, as: UTF8.self)
        XCTAssertEqual(text.split(separator: "\n").count, 1 + 499)
        XCTAssertTrue(text.contains(String(repeating: "Q", count: 65_530) + "\"\"\"\"\""), "an id of 65,534 bytes is kept whole")
        for summary in ["a.json", "b.json"] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(summary)))) as! [String: Any]
            XCTAssertEqual(json["rowsRejected"] as? Int, 1, summary)
        }
    }

    /// Numbers too large to score are rejected with their line and column, alike in-process and on
    /// workers; the other rows are scored (they crashed the process before).
    func testNumbersTooLargeToScoreAreRejectedAlikeInProcessAndOnWorkers() throws {
        let input = path("huge-numbers.csv")
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        func set(_ row: Int, _ column: String, _ value: String) {
            var cells = lines[row].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[header.firstIndex(of: column)!] = value
            lines[row] = cells.joined(separator: ",")
        }
        set(2, "mrr", "1e17")
        set(5, "open_tickets", "1e300")
        set(9, "avg_daily_usage", "-2e15")
        set(11, "open_tickets", "1e15")  // the largest accepted
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let inProcess = try ChurnBinary.run(["score", input, "--model", model, "--out", path("a.csv"), "--no-history",
                                             "--summary-json", path("a.json")])
        XCTAssertEqual(inProcess.status, 0, inProcess.stderr)
        let cluster = try ChurnBinary.run(["score", input, "--model", model, "--out", path("b.csv"), "--no-history",
                                           "--local", "1", "--summary-json", path("b.json")])
        XCTAssertEqual(cluster.status, 0, cluster.stderr)
        let a = try Data(contentsOf: URL(fileURLWithPath: path("a.csv")))
        XCTAssertEqual(a, try Data(contentsOf: URL(fileURLWithPath: path("b.csv"))), "results differ between the two paths")
        for out in [inProcess.stdout, cluster.stdout] {
            for (line, column, text) in [(3, "mrr", "1e17"), (6, "open_tickets", "1e300"), (10, "avg_daily_usage", "-2e15")] {
                let n = header.firstIndex(of: column)! + 1
                XCTAssertTrue(out.contains("huge-numbers.csv:\(line): column \(n) '\(column)': '\(text)' is out of range"), String(out.suffix(800)))
            }
        }
        XCTAssertEqual(String(decoding: a, as: UTF8.self).split(separator: "\n").count, 1 + lines.count - 1 - 3)
        for summary in ["a.json", "b.json"] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(summary)))) as! [String: Any]
            XCTAssertEqual(json["rowsRejected"] as? Int, 3, summary)
        }
    }

    /// Escape sequences in ids and cells are shown escaped, never sent to the terminal raw.
    func testControlCharactersFromTheInputAreEscapedOnTheTerminal() throws {
        let input = path("escapes.csv")
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        lines = Array(lines.prefix(21))
        lines[1] = "C\u{1B}]0;pwned\u{07}\u{1B}[2J" + lines[1].drop { $0 != "," }
        lines[2] = "C\u{9B}31m\r" + lines[2].drop { $0 != "," }
        var fields = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[4] = "\u{1B}[31mbad"
        lines[3] = fields.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let db = path("h.sqlite")
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", path("out.csv"), "--db", db, "--quiet", "--top", "20"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for (name, text) in [("stdout", r.stdout), ("stderr", r.stderr)] {
            XCTAssertFalse(text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x0D },
                           "raw control characters on \(name)")
        }
        XCTAssertTrue(r.stdout.contains("C\\u{1B}]0;pwned\\u{7}\\u{1B}[2J"), r.stdout)
        XCTAssertTrue(r.stdout.contains("'\\u{1B}[31mbad' is not a number"), r.stdout)
        let history = try ChurnBinary.run(["history", "C\u{9B}31m\r", "--db", db])
        XCTAssertEqual(history.status, 0, history.stderr)
        XCTAssertTrue(history.stdout.contains("Customer C\\u{9B}31m\\u{D}: 1 score"), history.stdout)
        XCTAssertFalse(history.stdout.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x0D })
    }

    /// `churn train` names the file's columns: escaped too.
    func testColumnNamesWithControlCharactersAreEscapedWhenTraining() throws {
        let input = path("train-escapes.csv")
        var lines = try String(contentsOfFile: ChurnBinary.trainCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        lines = Array(lines.prefix(301))
        lines[0] = lines[0].replacingOccurrences(of: "region", with: "reg\u{1B}]0;pwned\u{07}ion")
            .replacingOccurrences(of: "tenure_months", with: "tenure\u{9B}2J")
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let r = try ChurnBinary.run(["train", input, "--label", "churn_label", "--out", path("m.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        for (name, text) in [("stdout", r.stdout), ("stderr", r.stderr)] {
            XCTAssertFalse(text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B },
                           "raw control characters on \(name)")
        }
        XCTAssertTrue(r.stdout.contains("reg\\u{1B}]0;pwned\\u{7}ion"), r.stdout)
        XCTAssertTrue(r.stdout.contains("tenure\\u{9B}2J"), r.stdout)
    }

    // MARK: Secret files (item 8)

    func testOversizedSecretFileIsRefusedUnread() throws {
        let secret = path("secret")
        FileManager.default.createFile(atPath: secret, contents: nil, attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(truncate(secret, 2 << 30), 0)  // a sparse 2 GiB file: costs no disk
        let r = try MeasuredRun.churn(["worker", "--listen", "127.0.0.1:0", "--secret-file", secret], timeout: 20)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("the secret file holds 2147483648 bytes; a secret may be at most 4096"), r.stderr)
        XCTAssertLessThan(r.maxRSSBytes, 256 << 20, "the file was read: peak RSS \(r.maxRSSBytes >> 20) MiB")
        let score = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", path("out.csv"), "--quiet",
                                         "--local", "1", "--secret-file", secret], timeout: 20)
        XCTAssertEqual(score.status, 1)
        XCTAssertTrue(score.stderr.contains("a secret may be at most 4096"), score.stderr)
    }
}
