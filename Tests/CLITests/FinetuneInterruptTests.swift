import Foundation
import TestSupport
import XCTest

/// Ctrl-C during `bertkit finetune` saves a resumable checkpoint atomically and exits 130.
final class FinetuneInterruptTests: XCTestCase {
    func testInterruptSavesAResumableCheckpoint() throws {
        let dir = Repo.temporaryDirectory()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ToolRun.binary)
        p.arguments = ["finetune", Repo.fixture("tiny-cls"), "--train", Repo.golden("data/text-label.csv"),
                       "--labels", "World,Sports,Business,Sci/Tech", "--reset-head", "--lr", "1e-3", "--seed", "1",
                       "--steps", "1000000", "--report-every", "1", "-o", dir + "/m.bkm"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait for a few reported steps, so there is a good state to save.
        var seen = Data()
        while String(decoding: seen, as: UTF8.self).components(separatedBy: "Loss = ").count < 4 {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            seen.append(chunk)
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["m.bkm", "m.bkm.optim.safetensors"], "the checkpoint and its optimizer state, no temporary files")
        // The saved model loads, and training resumes from it.
        let resumed = try ToolRun.run(["finetune", dir + "/m.bkm", "--train", Repo.golden("data/text-label.csv"),
                                       "--lr", "1e-3", "--seed", "1", "--steps", "1", "--resume",
                                       dir + "/m.bkm.optim.safetensors", "-o", dir + "/next.bkm"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }
}
