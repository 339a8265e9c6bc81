import Foundation
import TestSupport
import XCTest

/// embed and run over files: the .npy/.safetensors/.jsonl outputs and their agreement with one
/// text at a time, bad rows, and atomic output under failure and Ctrl-C.
final class CorpusCLITests: XCTestCase {
    func texts(_ n: Int) -> [String] {
        let words = ["the", "team", "will", "win", "today", "stocks", "fell", "hello", "world", "news", "unbelievable"]
        return (0..<n).map { i in (0...(i * 7 % 13)).map { words[($0 * 5 + i) % words.count] }.joined(separator: " ") }
    }

    func file(_ lines: [String], _ name: String, in dir: String) throws -> String {
        let p = dir + "/" + name
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// An .npy file's shape and float32 values, checking formats/npy.md's rules on the way.
    func readNpy(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (shape: [Int], values: [Float]) {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(b[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0], "magic and version 1.0", file: file, line: line)
        let n = Int(b[8]) | Int(b[9]) << 8
        XCTAssertEqual((10 + n) % 64, 0, "the data starts 64-byte aligned", file: file, line: line)
        let header = String(decoding: b[10..<(10 + n)], as: UTF8.self)
        XCTAssertTrue(header.hasSuffix("\n"), file: file, line: line)
        let dict = header.trimmingCharacters(in: .whitespacesAndNewlines)
        let shapeText = dict.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        let shape = shapeText.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        XCTAssertEqual(dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shapeText)), }", file: file, line: line)
        let data = b[(10 + n)...]
        XCTAssertEqual(data.count, shape.reduce(1, *) * 4, "rows × columns float32", file: file, line: line)
        let values = stride(from: data.startIndex, to: data.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
        }
        return (shape, values)
    }

    func testEmbedOutputsAgreeWithEachOtherAndWithOneTextAtATime() throws {
        let dir = Repo.temporaryDirectory(), model = Repo.fixture("tiny-st-dense")
        let lines = texts(70)
        let input = try file(lines, "in.txt", in: dir)
        let args = ["embed", model, "--file", input, "--batch-size", "8", "--sort-window", "32", "--threads", "1"]
        let npy = try ToolRun.run(args + ["-o", dir + "/e.npy", "--json"])
        XCTAssertEqual(npy.status, 0, npy.stderr)
        let stats = CLI.json(npy.stdout)
        XCTAssertEqual(stats["texts"] as? Int, 70)
        XCTAssertNotNil(stats["padding_waste"] as? Double)
        let (shape, values) = try readNpy(dir + "/e.npy")
        let d = shape[1]
        XCTAssertEqual(shape[0], 70)

        // JSON lines on stdout: the same floats, in input order.
        let jsonl = try ToolRun.run(args)
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        XCTAssertTrue(jsonl.stderr.contains("embedded 70 texts") && jsonl.stderr.contains("padding"), jsonl.stderr)
        let rows = jsonl.stdout.split(separator: "\n").map { CLI.json(String($0)) }
        XCTAssertEqual(rows.map { $0["line"] as? Int }, (1...70).map { $0 })
        let fromLines = rows.flatMap { ($0["embedding"] as! [Double]).map { Float($0) } }
        XCTAssertEqual(fromLines, values, "the .npy and the JSON lines hold the same floats")

        // The safetensors file: one F32 tensor "embeddings" [70, d] holding the same bytes.
        XCTAssertEqual(try ToolRun.run(args + ["-o", dir + "/e.safetensors"]).status, 0)
        let st = try GoldenBytes(path: dir + "/e.safetensors")
        XCTAssertEqual(st.shape("embeddings"), [70, d])
        XCTAssertEqual(st.floats("embeddings"), values)

        // Each row equals the text embedded alone.
        for i in [0, 1, 13, 40, 69] {
            let one = try ToolRun.run(["embed", model, lines[i], "--json", "--threads", "1"])
            let expected = (CLI.json(one.stdout)["embeddings"] as! [[Double]])[0].map { Float($0) }
            // 1e-5: only the GEMMs' summation order differs between a batch and one text (padding
            // is masked), a few f32 ulps on values of order 1.
            assertClose(Array(values[i * d..<(i + 1) * d]), expected, atol: 1e-5, rtol: 1e-5, label: "text \(i + 1)")
        }
    }

    func testRunWritesOneLinePerTextInInputOrder() throws {
        let dir = Repo.temporaryDirectory(), model = Repo.fixture("tiny-cls")
        let lines = texts(40)
        let csv = try file(["id,sentence"] + lines.enumerated().map { "\($0),\"\($1)\"" }, "in.csv", in: dir)
        let r = try ToolRun.run(["run", model, "--csv", csv, "--text-column", "sentence", "--batch-size", "4", "--max-tokens", "40",
                                 "-o", dir + "/out.jsonl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8).split(separator: "\n").map { CLI.json(String($0)) }
        XCTAssertEqual(out.map { $0["line"] as? Int }, (2...41).map { $0 }, "CSV lines, header first")
        for i in [0, 7, 39] {
            let one = try ToolRun.run(["run", model, lines[i], "--json"])
            let expected = (try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [[String: Any]])[0]
            XCTAssertEqual(out[i]["label"] as? String, expected["label"] as? String)
            // 1e-5: as for embed, only the summation order differs.
            assertClose((out[i]["logits"] as! [Double]).map { Float($0) }, (expected["logits"] as! [Double]).map { Float($0) },
                        atol: 1e-5, rtol: 1e-5, label: "text \(i + 1)")
        }
    }

    func testBadRowsStopBeforeAnyOutputOrAreSkippedAndCounted() throws {
        let dir = Repo.temporaryDirectory(), model = Repo.fixture("tiny-st-dense")
        let cases: [(option: String, bytes: [UInt8], line: Int, problem: String)] = [
            ("--file", Array("one\ntwo\n\nfour\n".utf8), 3, "the line is empty"),
            ("--file", Array("one\n".utf8) + [0xC3, 0x28] + Array("\nthree\n".utf8), 2, "not valid UTF-8"),
            ("--jsonl", Array("{\"text\": \"a\"}\n[\"a\"]\n{\"text\": \"c\"}\n".utf8), 2, "expected a JSON object"),
            ("--jsonl", Array("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"body\": \"c\"}\n".utf8), 3, "no \"text\""),
        ]
        for c in cases {
            let input = dir + "/in"
            try Data(c.bytes).write(to: URL(fileURLWithPath: input))
            let out = dir + "/out.npy"
            let r = try ToolRun.run(["embed", model, c.option, input, "-o", out])
            CLI.assertBadInput(r, names: ["\(input):\(c.line):", c.problem])
            XCTAssertEqual(CLI.listing(dir), ["in"], "no output and no temporary file")
            let s = try ToolRun.run(["embed", model, c.option, input])
            CLI.assertBadInput(s, names: ["\(input):\(c.line):"])
            XCTAssertEqual(s.stdout, "", "the file is checked before any line is printed")

            let skip = try ToolRun.run(["embed", model, c.option, input, "-o", out, "--skip-bad-rows"])
            XCTAssertEqual(skip.status, 0, skip.stderr)
            XCTAssertTrue(skip.stderr.contains("skipped \(input):\(c.line): \(c.problem)"), skip.stderr)
            XCTAssertTrue(skip.stderr.contains("1 bad rows skipped"), skip.stderr)
            XCTAssertEqual(try readNpy(out).shape[0], c.option == "--file" && c.line == 3 ? 3 : 2, "the good rows")
            try FileManager.default.removeItem(atPath: out)
        }
        // A file is checked whole first: a bad row past the first windows (and past the 1 MiB stdout
        // buffer) prints nothing either.
        let late = try file(texts(12000).map { "{\"text\": \"\($0)\"}" } + ["{\"text\": 1}"], "late.txt", in: dir)
        let l = try ToolRun.run(["embed", model, "--jsonl", late, "--sort-window", "1000"])
        CLI.assertBadInput(l, names: ["\(late):12001:"])
        XCTAssertEqual(l.stdout, "", "nothing printed before the bad row was found")
        try FileManager.default.removeItem(atPath: late)
        // Stdin is checked as it streams: a bad row past the first window still leaves no file.
        let rows = texts(1500) + [""] + ["last"]
        let out = dir + "/late.npy"
        let r = try ToolRun.run(["embed", model, "--file", "-", "-o", out, "--sort-window", "500"], stdin: rows.joined(separator: "\n") + "\n")
        CLI.assertBadInput(r, names: ["-:1501: the line is empty"])
        XCTAssertEqual(CLI.listing(dir), ["in"])
        // A text over the limit with --no-truncate is a bad row of its line.
        let long = try file(["short", Array(repeating: "word", count: 80).joined(separator: " ")], "long.txt", in: dir)
        CLI.assertBadInput(try ToolRun.run(["run", Repo.fixture("tiny-cls"), "--file", long, "--no-truncate"]),
                           names: ["\(long):2:", "over the model's limit"])
        let cut = try ToolRun.run(["run", Repo.fixture("tiny-cls"), "--file", long])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("\(long):2 has ") && cut.stderr.contains("tokens; truncated to 64") && cut.stderr.contains("1 truncated"), cut.stderr)
    }

    /// Ctrl-C: no output and no temporary file; with --keep-partial, OUT.partial-N.npy holding the
    /// N rows of the windows done, a valid .npy.
    func testInterruptLeavesNothingOrTheNamedPartial() throws {
        let dir = Repo.temporaryDirectory(), model = Repo.fixture("tiny-cls")
        let input = try file(texts(200_000), "in.txt", in: dir)
        for keep in [false, true] {
            let out = dir + "/out.npy"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ToolRun.binary)
            p.arguments = ["embed", model, "--file", input, "-o", out, "--sort-window", "256", "--threads", "1"] + (keep ? ["--keep-partial"] : [])
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // Wait for the temporary output, then for some windows to be done.
            let deadline = Date().addingTimeInterval(60)
            while !CLI.listing(dir).contains(where: { $0.hasPrefix(".out.npy.bertkit-") }), Date() < deadline { usleep(50_000) }
            sleep(2)
            p.interrupt()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 130, stderr)
            let files = CLI.listing(dir).filter { $0 != "in.txt" }
            if !keep {
                XCTAssertEqual(files, [], "no output, no temporary file: \(stderr)")
                continue
            }
            XCTAssertEqual(files.count, 1, "\(files) \(stderr)")
            let name = files.first ?? ""
            XCTAssertTrue(name.hasPrefix("out.partial-") && name.hasSuffix(".npy"), name)
            let n = Int(name.dropFirst("out.partial-".count).dropLast(4)) ?? -1
            XCTAssertGreaterThan(n, 0)
            XCTAssertEqual(n % 256, 0, "whole windows only")
            XCTAssertTrue(stderr.contains("kept the first \(n) rows in \(dir)/\(name)"), stderr)
            XCTAssertEqual(try readNpy(dir + "/" + name).shape, [n, 32])
        }
    }

    /// The other tasks, dump and attention take the same file inputs.
    func testOtherTasksDumpAndAttentionReadFiles() throws {
        let dir = Repo.temporaryDirectory()
        let input = try file(["hello world", "the cat sat on the mat"], "in.txt", in: dir)
        let tok = try ToolRun.run(["run", Repo.fixture("tiny-tokcls"), "--file", input, "--aggregation", "simple"])
        XCTAssertEqual(tok.status, 0, tok.stderr)
        let lines = tok.stdout.split(separator: "\n").map { CLI.json(String($0)) }
        XCTAssertEqual(lines.map { $0["line"] as? Int }, [1, 2])
        let one = try ToolRun.run(["run", Repo.fixture("tiny-tokcls"), "the cat sat on the mat", "--aggregation", "simple", "--json"])
        let expected = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [Any]
        XCTAssertEqual(lines[1]["result"] as? NSArray, expected[0] as? NSArray, "the --json element of the text alone")

        let dump = try ToolRun.run(["dump", Repo.fixture("tiny-bert"), "--file", input, "-o", dir + "/acts.safetensors"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let golden = try GoldenBytes(path: dir + "/acts.safetensors")
        XCTAssertEqual(golden.metadata["texts"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] },
                       ["hello world", "the cat sat on the mat"])

        let att = try ToolRun.run(["attention", Repo.fixture("tiny-bert"), "--file", input, "-o", dir + "/att.svg"])
        XCTAssertEqual(att.status, 0, att.stderr)
        XCTAssertTrue(CLI.listing(dir).contains("att-1.svg") && CLI.listing(dir).contains("att-2.svg"), "\(CLI.listing(dir))")
        let bad = try file(["fine", ""], "bad.txt", in: dir)
        CLI.assertBadInput(try ToolRun.run(["attention", Repo.fixture("tiny-bert"), "--file", bad, "-o", dir + "/b.svg"]),
                           names: ["\(bad):2: the line is empty"])
        XCTAssertFalse(CLI.listing(dir).contains("b-1.svg"), "every row is checked before any picture")
    }
}
