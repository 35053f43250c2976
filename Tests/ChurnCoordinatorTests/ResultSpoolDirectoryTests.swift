@testable import ChurnCoordinator
import Foundation
import XCTest

/// The sweep of spool directories that coordinators killed with SIGKILL left behind.
final class ResultSpoolDirectoryTests: XCTestCase {
    private var parent = ""

    override func setUpWithError() throws {
        parent = NSTemporaryDirectory() + "spool-sweep-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: parent)
    }

    /// The pid of a process that has ended.
    private func endedPid() throws -> pid_t {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    private func makeDirectory(_ name: String, files: [String] = ["0.csv", "1.csv.free"]) throws -> String {
        let path = parent + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        for f in files { try Data("x".utf8).write(to: URL(fileURLWithPath: path + "/" + f)) }
        return path
    }

    func testADeadCoordinatorsDirectoryIsRemovedAndALiveOnesIsKept() throws {
        let dead = try makeDirectory("churn-spool-\(try endedPid())-Ab12Cd")
        let live = try makeDirectory("churn-spool-\(getppid())-Ef34Gh")
        let mine = try makeDirectory("churn-spool-\(getpid())-Ij56Kl")
        let other = try makeDirectory("not-churn-spool-1-x")
        ResultSpoolDirectory.removeAbandoned(in: parent)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead), "the dead coordinator's directory stays")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live + "/0.csv"), "a running process's directory was touched")
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine + "/0.csv"), "this process's own directory was touched")
        XCTAssertTrue(FileManager.default.fileExists(atPath: other + "/0.csv"), "another name was touched")
    }

    /// A directory its coordinator still holds (locked) stays even when its PID looks dead, as it
    /// does from another PID namespace.
    func testALockedDirectoryIsKeptWhateverItsPid() throws {
        let held = try makeDirectory("churn-spool-\(try endedPid())-Qr90St")
        let fd = open(held, O_RDONLY | O_DIRECTORY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        ResultSpoolDirectory.removeAbandoned(in: parent)
        XCTAssertTrue(FileManager.default.fileExists(atPath: held + "/0.csv"), "a locked directory was emptied")
    }

    func testALinkWithASpoolNameIsNotFollowed() throws {
        let target = try makeDirectory("precious")
        let link = parent + "/churn-spool-\(try endedPid())-Mn78Op"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        ResultSpoolDirectory.removeAbandoned(in: parent)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target).sorted(), ["0.csv", "1.csv.free"])
    }

    func testNamesThatOnlyLookLikeOnesAreKept() throws {
        let names = ["churn-spool-", "churn-spool-abc-x", "churn-spool-0-x", "churn-spool--5-x", "churn-spool-\(try endedPid())"]
        for n in names { _ = try makeDirectory(n) }
        ResultSpoolDirectory.removeAbandoned(in: parent)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent).sorted(), names.sorted())
    }
}
