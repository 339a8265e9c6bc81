import Foundation
import TestSupport
import XCTest

final class ConvertTests: XCTestCase {
    func testEveryFixtureConvertsToEveryFormat() throws {
        for fixture in ["tiny-bert", "tiny-bert-sharded", "tiny-cls", "tiny-cls-tokjson"] {
            let tmp = Repo.temporaryDirectory()
            for out in ["m.bkm", "m.safetensors", "hf"] {
                let r = try ToolRun.run(["convert", Repo.fixture(fixture), tmp + "/" + out])
                XCTAssertEqual(r.status, 0, "\(fixture) → \(out): \(r.stderr)")
                XCTAssertTrue(r.stdout.contains("wrote " + tmp + "/" + out))
            }
            for out in ["m.bkm", "hf"] { XCTAssertEqual(try ToolRun.run(["inspect", tmp + "/" + out, "--no-stats"]).status, 0) }
            let vocab = Repo.fixture(fixture + (fixture.hasSuffix("tokjson") ? "/tokenizer.json" : "/vocab.txt"))
            let again = try ToolRun.run(["convert", tmp + "/m.safetensors", tmp + "/again.bkm", "--config", Repo.fixture(fixture + "/config.json"),
                                         "--vocab", vocab])
            XCTAssertEqual(again.status, 0, again.stderr)
        }
    }

    func testBKMToBKMIsByteIdentical() throws {
        let dir = try Repo.requireMiniLM()
        let tmp = Repo.temporaryDirectory()
        let r = try ToolRun.run(["convert", dir, tmp + "/a.bkm", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = CLI.json(r.stdout)
        XCTAssertEqual(summary["parameters"] as? Int, 22_713_216)
        XCTAssertEqual((summary["dropped"] as? [String: [String]])?["ignored"], ["embeddings.position_ids"])
        XCTAssertEqual(try ToolRun.run(["convert", tmp + "/a.bkm", tmp + "/b.bkm"]).status, 0)
        // Tensors, config, tokenizer and provenance all carried over unchanged.
        XCTAssertEqual(FileManager.default.contents(atPath: tmp + "/a.bkm"), FileManager.default.contents(atPath: tmp + "/b.bkm"))
        XCTAssertEqual(try ToolRun.run(["convert", tmp + "/a.bkm", tmp + "/hf"]).status, 0)
        XCTAssertEqual(CLI.listing(tmp + "/hf"), ["1_Pooling", "config.json", "config_sentence_transformers.json", "model.safetensors",
                                                  "modules.json", "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json",
                                                  "tokenizer_config.json", "vocab.txt"])
    }

    func testDTypeOption() throws {
        let tmp = Repo.temporaryDirectory()
        let r = try ToolRun.run(["convert", Repo.fixture("tiny-bert"), tmp + "/h.bkm", "--dtype", "bf16", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(CLI.json(r.stdout)["dtypes"] as? [String], ["BF16"])
        let bad = try ToolRun.run(["convert", Repo.fixture("tiny-bert"), tmp + "/x.bkm", "--dtype", "int8"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--dtype must be f32, f16 or bf16"))
    }

    func testExistingOutputNeedsForce() throws {
        let tmp = Repo.temporaryDirectory()
        _ = FileManager.default.createFile(atPath: tmp + "/m.bkm", contents: Data("old".utf8))
        let r = try ToolRun.run(["convert", Repo.fixture("tiny-bert"), tmp + "/m.bkm"])
        XCTAssertEqual(r.status, 3)
        XCTAssertTrue(r.stderr.contains("--force"))
        XCTAssertEqual(FileManager.default.contents(atPath: tmp + "/m.bkm"), Data("old".utf8))
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-bert"), tmp + "/m.bkm", "--force"]).status, 0)
        XCTAssertEqual(CLI.listing(tmp), ["m.bkm"])
    }

    /// REFERENCES §6 inputs: exit 2, a message naming the file and the field, and nothing left in
    /// the output folder (no output, no temporary file).
    func testFailingConvertsLeaveNoFile() throws {
        let tmp = Repo.temporaryDirectory()
        let out = Repo.temporaryDirectory() + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func run(_ args: [String], names: [String], line: UInt = #line) throws {
            for target in ["m.bkm", "m.safetensors", "hf"] {
                CLI.assertBadInput(try ToolRun.run(["convert"] + args + [out + "/" + target]), names: names, line: line)
                XCTAssertEqual(CLI.listing(out), [], line: line)
            }
        }
        // Header length larger than the file.
        let a = try CLI.copy("tiny-bert", to: tmp + "/a")
        var bytes = [UInt8](FileManager.default.contents(atPath: a + "/model.safetensors")!)
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { [UInt8]($0) })
        _ = FileManager.default.createFile(atPath: a + "/model.safetensors", contents: Data(bytes))
        try run([a], names: [a + "/model.safetensors", "header length"])
        // NaN in config.json.
        let b = try CLI.copy("tiny-bert", to: tmp + "/b")
        let cfg = try String(contentsOfFile: b + "/config.json", encoding: .utf8).replacingOccurrences(of: "\"layer_norm_eps\": 1e-07", with: "\"layer_norm_eps\": NaN")
        try cfg.write(toFile: b + "/config.json", atomically: false, encoding: .utf8)
        try run([b], names: [b + "/config.json", "layer_norm_eps", "NaN"])
        // Shard index pointing outside the folder.
        let c = try CLI.copy("tiny-bert-sharded", to: tmp + "/c")
        let idx = try String(contentsOfFile: c + "/model.safetensors.index.json", encoding: .utf8)
            .replacingOccurrences(of: "\"model-00003-of-00003.safetensors\"", with: "\"../../model-00003-of-00003.safetensors\"")
        try idx.write(toFile: c + "/model.safetensors.index.json", atomically: false, encoding: .utf8)
        try run([c], names: [c + "/model.safetensors.index.json", "outside the model folder"])
        // A required tensor missing: every missing one listed.
        let d = try CLI.copy("tiny-bert-sharded", to: tmp + "/d")
        // Keep only the first shard (the embeddings), as a single model.safetensors.
        try FileManager.default.removeItem(atPath: d + "/model.safetensors.index.json")
        try FileManager.default.moveItem(atPath: d + "/model-00001-of-00003.safetensors", toPath: d + "/model.safetensors")
        try run([d], names: [d + "/model.safetensors", "required tensors are missing", "encoder.layer.0.attention.self.query.weight"])
        // Duplicate tokens in vocab.txt.
        let e = try CLI.copy("tiny-bert", to: tmp + "/e")
        try (String(contentsOfFile: e + "/vocab.txt", encoding: .utf8) + "[PAD]\n").write(toFile: e + "/vocab.txt", atomically: false, encoding: .utf8)
        try run([e], names: [e + "/vocab.txt", "duplicate token \"[PAD]\""])
        // A bare weights file without --config.
        try run([Repo.fixture("tiny-bert/model.safetensors")], names: ["--config"])
        // A .bkm with a corrupt tensor.
        let f = tmp + "/f.bkm"
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-bert"), f]).status, 0)
        var fb = [UInt8](FileManager.default.contents(atPath: f)!)
        fb[fb.count - 3] ^= 0xFF
        _ = FileManager.default.createFile(atPath: f, contents: Data(fb))
        try run([f], names: [f, "pooler.dense.bias", "crc32c"])
    }

    /// Ctrl-C in the middle of writing a large output removes the partial file and exits 130.
    func testInterruptedConvertLeavesNothing() throws {
        let dir = try Repo.requireMiniLM()
        var interrupted = 0
        for target in ["m.bkm", "hf", "m.bkm", "hf", "m.bkm", "hf"] where interrupted < 2 {
            let out = Repo.temporaryDirectory()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ToolRun.binary)
            p.arguments = ["convert", dir, out + "/" + target]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Wait until the temporary output exists and holds some bytes, then interrupt.
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning, Date() < deadline {
                if let name = CLI.listing(out).first(where: { $0.hasPrefix(".") }), partialSize(out + "/" + name) > 1 << 20 { break }
                usleep(500)
            }
            if p.isRunning { kill(p.processIdentifier, SIGINT) }
            p.waitUntilExit()
            if p.terminationStatus == 130 {
                interrupted += 1
                XCTAssertEqual(CLI.listing(out), [], "left behind after SIGINT while writing \(target)")
            } else {
                XCTAssertEqual(p.terminationStatus, 0)  // it finished before the signal; try again
            }
        }
        XCTAssertGreaterThan(interrupted, 0, "no run was interrupted mid-write")
    }

    private func partialSize(_ path: String) -> Int {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return 0 }
        if !isDir.boolValue { return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        return CLI.listing(path).reduce(0) { $0 + partialSize(path + "/" + $1) }
    }
}

extension ConvertTests {
    /// The .bin, .h5 and Keras fixtures (golden/fixtures/formats) inspect and convert to every output;
    /// the broken ones exit 2 naming the file.
    func testEveryFormatFixtureInspectsAndConverts() throws {
        let root = Repo.fixture("formats")
        for name in CLI.listing(root) where name.hasPrefix("tiny-") {
            let tmp = Repo.temporaryDirectory()
            let inspect = try ToolRun.run(["inspect", root + "/" + name])
            XCTAssertEqual(inspect.status, 0, "\(name): \(inspect.stderr)")
            XCTAssertTrue(inspect.stdout.contains("loads: yes"), name)
            for out in ["m.bkm", "m.safetensors", "m.h5", "hf"] {
                let r = try ToolRun.run(["convert", root + "/" + name, tmp + "/" + out])
                XCTAssertEqual(r.status, 0, "\(name) → \(out): \(r.stderr)")
            }
            XCTAssertEqual(try ToolRun.run(["convert", tmp + "/m.h5", tmp + "/back.bkm", "--config", tmp + "/hf/config.json"]).status, 0, name)
        }
        for name in CLI.listing(root + "/broken") {
            let p = root + "/broken/" + name
            CLI.assertBadInput(try ToolRun.run(["inspect", p]), names: [p])
        }
    }
}
