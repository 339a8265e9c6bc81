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

    // MARK: - Temporary names and what killed writers leave (issue 12)

    /// A PID that is not running: a child that has exited and been reaped.
    private func deadPID() throws -> pid_t {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func testTemporaryNamesSayWhoWritesThem() throws {
        let dir = Repo.temporaryDirectory()
        let w = try AtomicFileWriter(destination: dir + "/o.bkm")
        let name = (w.temporaryPath as NSString).lastPathComponent
        XCTAssertTrue(name.hasPrefix(".o.bkm.bertkit-\(getpid())-") && name.hasSuffix(".tmp"), name)
        XCTAssertEqual(TemporaryName.owner(of: name, destination: dir + "/o.bkm"), getpid())
        for other in [".o.bkm.AbC123.tmp", ".o.bkm.bertkit-12-abc.tmp", ".o.bkm.bertkit-x-abcdef.tmp", ".p.bkm.bertkit-12-abcdef.tmp",
                      "o.bkm.bertkit-12-abcdef.tmp", ".o.bkm.bertkit-012-abcdef.tmp"] {
            XCTAssertNil(TemporaryName.owner(of: other, destination: dir + "/o.bkm"), other)
        }
        w.abandon()
    }

    func testTheNextWriteRemovesATemporaryFileADeadWriterLeft() throws {
        let dir = Repo.temporaryDirectory()
        let dead = try deadPID()
        let orphan = dir + "/.o.bkm.bertkit-\(dead)-AbC123.tmp"
        let folderOrphan = dir + "/.hf.bertkit-\(dead)-XyZ789.tmp"
        try Data(repeating: 1, count: 1000).write(to: URL(fileURLWithPath: orphan))
        try FileManager.default.createDirectory(atPath: folderOrphan + "/1_Pooling", withIntermediateDirectories: true)
        // Other names are never touched: another destination's, an older bertkit's, a user's.
        let kept = [".p.bkm.bertkit-\(dead)-AbC123.tmp", ".o.bkm.AbC123.tmp", "o.bkm.notes"]
        for k in kept { try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/" + k)) }

        try AtomicFileWriter.write(Data("new".utf8), to: dir + "/o.bkm")
        XCTAssertEqual(entries(dir).sorted(), (kept + [".hf.bertkit-\(dead)-XyZ789.tmp", "o.bkm"]).sorted())
        let w = try AtomicDirectoryWriter(destination: dir + "/hf", replace: false)
        try w.commit()
        XCTAssertEqual(entries(dir).sorted(), (kept + ["hf", "o.bkm"]).sorted())
    }

    func testALiveWritersTemporaryFileIsKept() throws {
        let dir = Repo.temporaryDirectory()
        // Owned by a running process (whose PID is in the name), even without a lock.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate(); sleeper.waitUntilExit() }
        let running = dir + "/.o.bkm.bertkit-\(sleeper.processIdentifier)-AbC123.tmp"
        try Data("a".utf8).write(to: URL(fileURLWithPath: running))
        // Named for a dead PID but locked: a writer in another PID namespace, say.
        let locked = dir + "/.o.bkm.bertkit-\(try deadPID())-DeF456.tmp"
        try Data("b".utf8).write(to: URL(fileURLWithPath: locked))
        let fd = open(locked, O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        // And this process's own writer, still writing.
        let mine = try AtomicFileWriter(destination: dir + "/o.bkm")
        try AtomicFileWriter.write(Data("new".utf8), to: dir + "/o.bkm")
        XCTAssertTrue(FileManager.default.fileExists(atPath: running))
        XCTAssertTrue(FileManager.default.fileExists(atPath: locked))
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine.temporaryPath))
        mine.abandon()
    }

    func testReplacingAFolderRefusesToDeleteWhatTheNewOneDoesNotHave() throws {
        let dir = Repo.temporaryDirectory()
        let dest = dir + "/model"
        try FileManager.default.createDirectory(atPath: dest + "/1_Pooling", withIntermediateDirectories: true)
        for f in ["config.json", "1_Pooling/config.json", "mine.txt", "1_Pooling/notes"] {
            try Data("old".utf8).write(to: URL(fileURLWithPath: dest + "/" + f))
        }
        let w = try AtomicDirectoryWriter(destination: dest, replace: true)
        try FileManager.default.createDirectory(atPath: w.path("1_Pooling"), withIntermediateDirectories: false)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: w.path("config.json")))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: w.path("1_Pooling/config.json")))
        XCTAssertThrowsError(try w.commit()) { e in
            XCTAssertEqual(e as? IOError, .wouldDelete(path: dest, files: ["1_Pooling/notes", "mine.txt"]))
        }
        XCTAssertEqual(try String(contentsOfFile: dest + "/config.json", encoding: .utf8), "old", "untouched")
        XCTAssertEqual(entries(dir), ["model"], "the new folder was removed")

        // Without them it is swapped in whole, and nothing of the old one remains.
        try FileManager.default.removeItem(atPath: dest + "/mine.txt")
        try FileManager.default.removeItem(atPath: dest + "/1_Pooling/notes")
        let v = try AtomicDirectoryWriter(destination: dest, replace: true)
        try FileManager.default.createDirectory(atPath: v.path("1_Pooling"), withIntermediateDirectories: false)
        for f in ["config.json", "1_Pooling/config.json", "vocab.txt"] { try Data("{}".utf8).write(to: URL(fileURLWithPath: v.path(f))) }
        try v.commit()
        XCTAssertEqual(entries(dest).sorted(), ["1_Pooling", "config.json", "vocab.txt"])
        XCTAssertEqual(try String(contentsOfFile: dest + "/1_Pooling/config.json", encoding: .utf8), "{}")
        XCTAssertEqual(entries(dir), ["model"])
    }
}
