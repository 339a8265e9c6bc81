import Foundation
import TestSupport
import XCTest

/// Issue 12's findings, end to end through the tool: hostile or careless input gets a clear
/// refusal and a documented exit code, never a crash, and nothing the user had is lost.
final class HardeningTests: XCTestCase {
    /// Runs bertkit under /bin/sh with `prelude` first (ulimit, trap), reporting how it ended.
    private func shell(_ prelude: String, _ args: [String]) throws -> (reason: Process.TerminationReason, status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", prelude + "; exec \"$0\" \"$@\"", ToolRun.binary] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationReason, p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    // MARK: - 1. A deeply nested pickle crashed every command that loads a .bin

    func testDeeplyNestedPickleIsRefusedByEveryCommand() throws {
        let tmp = Repo.temporaryDirectory()
        for name in ["nested-lists-30000.bin", "nested-tuples-40000.bin"] {
            let bin = Repo.root + "/Fuzz/regressions/zip/" + name
            for args in [["inspect", bin, "--config", Repo.fixture("tiny-bert/config.json")],
                         ["convert", bin, tmp + "/o.bkm", "--config", Repo.fixture("tiny-bert/config.json")]] {
                let r = try ToolRun.run(args)
                CLI.assertBadInput(r, names: [bin, "data.pkl", "deeper than 64 levels"])
            }
        }
        XCTAssertEqual(CLI.listing(tmp), [])
    }

    // MARK: - 2. Writing .h5 on a full disk crashed inside libhdf5

    func testFullDiskEndsEveryWriterWithExit3() throws {
        // RLIMIT_FSIZE (64 KiB) makes write() fail with EFBIG, as a full disk fails with ENOSPC.
        let out = Repo.temporaryDirectory()
        for target in ["o.h5", "o.safetensors", "o.bkm", "hf"] {
            let r = try shell("trap '' XFSZ; ulimit -f 64", ["convert", Repo.fixture("tiny-cls"), out + "/" + target])
            XCTAssertEqual(r.reason, .exit, "\(target) ended by signal \(r.status): \(r.stderr.suffix(500))")
            XCTAssertEqual(r.status, 3, "\(target): \(r.stderr.suffix(500))")
            XCTAssertTrue(r.stderr.contains(out + "/" + target) && r.stderr.contains("File too large"), r.stderr)
            XCTAssertEqual(CLI.listing(out), [], "left behind writing \(target)")
        }
    }

    // MARK: - 3. convert --force onto a folder deleted files bertkit did not write

    func testForceNeverDeletesAUsersFile() throws {
        let tmp = Repo.temporaryDirectory()
        let hf = tmp + "/hf"
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-bert"), hf]).status, 0)
        try Data("my notes".utf8).write(to: URL(fileURLWithPath: hf + "/mine.txt"))
        try FileManager.default.createDirectory(atPath: hf + "/runs", withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: hf + "/runs/log"))
        let before = CLI.listing(hf)
        let config = FileManager.default.contents(atPath: hf + "/config.json")

        let r = try ToolRun.run(["convert", Repo.fixture("tiny-cls"), hf, "--force"])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.contains(hf) && r.stderr.contains("mine.txt, runs/") && r.stderr.contains("move them out"), r.stderr)
        XCTAssertEqual(CLI.listing(hf), before, "the folder must be untouched")
        XCTAssertEqual(FileManager.default.contents(atPath: hf + "/mine.txt"), Data("my notes".utf8))
        XCTAssertEqual(FileManager.default.contents(atPath: hf + "/config.json"), config)
        XCTAssertEqual(CLI.listing(tmp), ["hf"], "no temporary folder left")

        // Holding only what the export writes, the folder is replaced.
        try FileManager.default.removeItem(atPath: hf + "/mine.txt")
        try FileManager.default.removeItem(atPath: hf + "/runs")
        let again = try ToolRun.run(["convert", Repo.fixture("tiny-cls"), hf, "--force"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertNotEqual(FileManager.default.contents(atPath: hf + "/config.json"), config)
        XCTAssertEqual(CLI.listing(tmp), ["hf"])
    }

    // MARK: - 4. A conversion silently dropped tensors

    /// tiny-bert (2 layers) under a config that says 1: layer 1's 16 tensors are not parameters.
    private func oneLayerConfig(_ dir: String) throws -> String {
        let text = try String(contentsOfFile: Repo.fixture("tiny-bert/config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 1")
        let path = dir + "/config.json"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func testUnexpectedTensorsFailTheConversionNamingThemAll() throws {
        let tmp = Repo.temporaryDirectory()
        let config = try oneLayerConfig(tmp)
        let weights = Repo.fixture("tiny-bert/model.safetensors")
        for target in ["o.bkm", "o.safetensors", "o.h5", "hf"] {
            let r = try ToolRun.run(["convert", weights, tmp + "/" + target, "--config", config])
            CLI.assertBadInput(r, names: [weights, "16 tensors are not part of the model", "16 of them belong to layers past num_hidden_layers 1",
                                          "encoder.layer.1.attention.self.query.weight", "encoder.layer.1.output.LayerNorm.bias",
                                          "--drop-unexpected"])
        }
        XCTAssertEqual(CLI.listing(tmp), ["config.json"])
    }

    func testDropUnexpectedWritesTheModelAndRecordsWhatWasDropped() throws {
        let tmp = Repo.temporaryDirectory()
        let config = try oneLayerConfig(tmp)
        let r = try ToolRun.run(["convert", Repo.fixture("tiny-bert/model.safetensors"), tmp + "/o.bkm", "--config", config,
                                 "--drop-unexpected", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let dropped = (CLI.json(r.stdout)["dropped"] as? [String: [String]])?["unexpected"] ?? []
        XCTAssertEqual(dropped.count, 16)
        XCTAssertTrue(r.stderr.contains("not carried over (unexpected, --drop-unexpected): encoder.layer.1."), r.stderr)
        // The .bkm keeps the list in its load_report, and inspect shows it.
        let inspect = try ToolRun.run(["inspect", tmp + "/o.bkm", "--json", "--no-stats"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("encoder.layer.1.attention.self.query.weight"), inspect.stdout)
        // A folder says so in the convert report.
        let hf = try ToolRun.run(["convert", Repo.fixture("tiny-bert/model.safetensors"), tmp + "/hf", "--config", config, "--drop-unexpected"])
        XCTAssertEqual(hf.status, 0, hf.stderr)
        XCTAssertTrue(hf.stderr.contains("not carried over (unexpected, --drop-unexpected): encoder.layer.1."), hf.stderr)
    }

    // MARK: - 5. A killed convert left its temporary file for good

    func testTheNextConvertRemovesWhatAKilledOneLeft() throws {
        let dir = try Repo.requireMiniLM()
        var orphans = 0
        for target in ["m.bkm", "hf", "m.bkm", "hf"] where orphans < 2 {
            let out = Repo.temporaryDirectory()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ToolRun.binary)
            p.arguments = ["convert", dir, out + "/" + target]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning, Date() < deadline, !CLI.listing(out).contains(where: { $0.hasPrefix(".") }) { usleep(200) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            guard p.terminationReason == .uncaughtSignal, let orphan = CLI.listing(out).first(where: { $0.hasPrefix(".") }) else { continue }
            orphans += 1
            XCTAssertTrue(orphan.hasPrefix(".\(target).bertkit-\(p.processIdentifier)-") && orphan.hasSuffix(".tmp"), orphan)
            let r = try ToolRun.run(["convert", Repo.fixture("tiny-bert"), out + "/" + target])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(CLI.listing(out), [target], "the orphan of a killed convert must be gone")
        }
        XCTAssertGreaterThan(orphans, 0, "no convert was killed mid-write")
    }

    // MARK: - 6. Smaller defects

    func testTokenizeRefusesAVocabularyTheModelCannotEmbed() throws {
        for (extra, relation) in [("extra1\nextra2\n", "219 tokens, more than the 217 rows"), ("", "fewer")] {
            let dir = try CLI.copy("tiny-bert", to: Repo.temporaryDirectory())
            var vocab = try String(contentsOfFile: dir + "/vocab.txt", encoding: .utf8)
            if extra.isEmpty { vocab = vocab.split(separator: "\n").dropLast().joined(separator: "\n") + "\n" } else { vocab += extra }
            try vocab.write(toFile: dir + "/vocab.txt", atomically: false, encoding: .utf8)
            for args in [["tokenize", dir, "hello"], ["inspect", dir, "--no-stats"], ["convert", dir, dir + "/../o.bkm"]] {
                let r = try ToolRun.run(args)
                if args[0] == "inspect" {
                    XCTAssertTrue(r.stdout.contains(dir + "/vocab.txt") && r.stdout.contains(relation), r.stdout)
                    continue
                }
                CLI.assertBadInput(r, names: [dir + "/vocab.txt", relation, "vocab_size in \(dir)/config.json", "HINT: pass --vocab"])
            }
        }
    }

    func testStrictFiniteRefusesNaNWeights() throws {
        let tmp = Repo.temporaryDirectory()
        // A NaN in the first f32 of the embeddings' LayerNorm bias, written into a copy.
        let dir = try CLI.copy("tiny-bert", to: tmp)
        var b = [UInt8](FileManager.default.contents(atPath: dir + "/model.safetensors")!)
        let headerLength = Int(b[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(b[8..<8 + headerLength])) as! [String: Any]
        let offsets = (header["embeddings.LayerNorm.bias"] as! [String: Any])["data_offsets"] as! [Int]
        b.replaceSubrange(8 + headerLength + offsets[0]..<8 + headerLength + offsets[0] + 4, with: [0x00, 0x00, 0xC0, 0x7F])
        _ = FileManager.default.createFile(atPath: dir + "/model.safetensors", contents: Data(b))

        let strict = try ToolRun.run(["convert", dir, tmp + "/o.bkm", "--strict-finite"])
        CLI.assertBadInput(strict, names: [dir + "/model.safetensors", "embeddings.LayerNorm.bias: 1 NaN, 0 ±Inf", "--strict-finite"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/o.bkm"))
        XCTAssertEqual(try ToolRun.run(["convert", dir, tmp + "/o.bkm"]).status, 0, "without the flag the weights convert as they are")
        // Rounding to f16 can make a finite weight infinite: checked after --dtype.
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-bert"), tmp + "/h.bkm", "--dtype", "f16", "--strict-finite"]).status, 0)
    }
}
