import Foundation
import TestSupport
import XCTest

/// `finetune`'s progress line: on a terminal only, with step, loss, accuracy, sequences/s and ETA.
final class FinetuneProgressTests: XCTestCase {
    /// (exit status, everything the terminal or the pipes received)
    func finetune(terminal: Bool) throws -> (status: Int32, output: String) {
        let dir = Repo.temporaryDirectory()
        let args = [ToolRun.binary, "finetune", Repo.fixture("tiny-cls"), "--train", Repo.golden("data/text-label.csv"),
                    "--labels", "World,Sports,Business,Sci/Tech", "--reset-head", "--steps", "4", "--report-every", "2",
                    "-o", dir + "/m.bkm"]
        guard terminal else {
            let r = try ToolRun.run(Array(args.dropFirst()))
            return (r.status, r.stdout + r.stderr)
        }
        // util-linux `script` runs the command on a pseudo-terminal, so stdout is a terminal.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("no /usr/bin/script") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", args.map { "'\($0)'" }.joined(separator: " "), "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testProgressLineOnATerminalOnly() throws {
        let tty = try finetune(terminal: true)
        XCTAssertEqual(tty.status, 0, tty.output)
        let lines = tty.output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map(String.init)
        let progress = lines.filter { $0.contains("step 3/4") }
        XCTAssertEqual(progress.count, 1, tty.output)
        for field in ["loss ", "accuracy ", " seq/s", "ETA "] {
            XCTAssertTrue(progress.first?.contains(field) ?? false, "\(field) in \(progress)")
        }
        let piped = try finetune(terminal: false)
        XCTAssertEqual(piped.status, 0, piped.output)
        XCTAssertFalse(piped.output.contains("step 3/4"), "no progress line when stdout is not a terminal")
        XCTAssertTrue(piped.output.contains("Step 4: Loss = "), piped.output)
    }
}
