import BertTensors
import TestSupport
import XCTest

final class AtomicFileTests: XCTestCase {
    private func entries(_ dir: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] }

    func testCommitReplacesAndLeavesNoTemporary() throws {
        let dir = Repo.temporaryDirectory()
        let path = dir + "/out.bin"
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let w = try AtomicFileWriter(destination: path)
        try w.write(Data("new contents".utf8))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old", "destination untouched before commit")
        try w.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new contents")
        XCTAssertEqual(entries(dir), ["out.bin"])
    }

    func testDroppedWriterLeavesNothing() throws {
        let dir = Repo.temporaryDirectory()
        do {
            let w = try AtomicFileWriter(destination: dir + "/never.bin")
            try w.write(Data(repeating: 7, count: 4096))
        }
        XCTAssertEqual(entries(dir), [])
    }

    func testPendingWritesCleanup() throws {
        let dir = Repo.temporaryDirectory()
        let w = try AtomicFileWriter(destination: dir + "/x.bin")
        try w.write(Data([1, 2, 3]))
        XCTAssertEqual(entries(dir).count, 1)
        PendingWrites.shared.removeAll() // what the SIGINT handler does
        XCTAssertEqual(entries(dir), [])
        w.abandon()
    }

    func testDirectoryWriterRefusesExistingUnlessReplacing() throws {
        let dir = Repo.temporaryDirectory()
        let dest = dir + "/model"
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicDirectoryWriter(destination: dest, replace: false))
        let w = try AtomicDirectoryWriter(destination: dest, replace: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: w.path("config.json")))
        try w.commit()
        XCTAssertEqual(entries(dest), ["config.json"])
        XCTAssertEqual(entries(dir), ["model"])
    }
}
