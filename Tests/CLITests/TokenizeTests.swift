import Foundation
import TestSupport
import XCTest

/// `bertkit tokenize`, run as a user would.
final class TokenizeTests: XCTestCase {
    private func write(_ bytes: [UInt8], _ name: String) -> String {
        let path = Repo.temporaryDirectory() + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    private func json(_ line: Substring) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// The issue's acceptance check: the seed sentence through MiniLM's folder.
    func testSeedSentence() throws {
        let model = try Repo.requireMiniLM()
        let r = try ToolRun.run(["tokenize", model, "PyTorch is a great framework for NLP", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(Substring(r.stdout.trimmingCharacters(in: .newlines)))
        XCTAssertEqual(o["input_ids"] as? [Int], [101, 1052, 22123, 2953, 2818, 2003, 1037, 2307, 7705, 2005, 17953, 2361, 102])
        XCTAssertEqual(o["tokens"] as? [String], ["[CLS]", "p", "##yt", "##or", "##ch", "is", "a", "great", "framework", "for", "nl", "##p", "[SEP]"])
        XCTAssertEqual(o["token_type_ids"] as? [Int], Array(repeating: 0, count: 13))
        XCTAssertEqual(o["attention_mask"] as? [Int], Array(repeating: 1, count: 13))
        XCTAssertEqual((o["offsets"] as? [[Int]])?.prefix(3), [[0, 0], [0, 1], [1, 3]])

        let table = try ToolRun.run(["tokenize", model, "PyTorch is a great framework for NLP"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssert(table.stdout.contains("##yt") && table.stdout.contains("22123"), table.stdout)
    }

    /// A .bkm carries the tokenizer: every corpus text (and pair) tokenizes exactly as from the
    /// folder it was converted from. Also for a folder with only tokenizer.json.
    func testBKMTokenizesLikeItsSourceFolder() throws {
        let corpus = Repo.golden("corpus/texts.jsonl")
        XCTAssert(FileManager.default.fileExists(atPath: corpus), corpus)
        let pairs = write(Array(try String(contentsOfFile: corpus, encoding: .utf8).split(separator: "\n").prefix(300).enumerated()
            .map { "{\"text\": \($1.dropFirst(8).dropLast()), \"pair\": \"pair \($0)\"}" }.joined(separator: "\n").utf8), "pairs.jsonl")
        // tiny-cls has strip_accents: false; `custom` changes every setting a .bkm must keep.
        let custom = Repo.temporaryDirectory() + "/custom"
        try FileManager.default.copyItem(atPath: Repo.fixture("tiny-cls"), toPath: custom)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: custom + "/tokenizer_config.json"))) as? [String: Any])
        let changed = config.merging(["do_lower_case": false, "strip_accents": true, "tokenize_chinese_chars": false,
                                      "never_split": ["hello", "[X]"], "split_special_tokens": true, "padding_side": "left"]) { $1 }
        try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: custom + "/tokenizer_config.json"))
        for source in [try Repo.requireMiniLM(), Repo.fixture("tiny-cls-tokjson"), Repo.fixture("tiny-cls"), custom] {
            let bkm = Repo.temporaryDirectory() + "/model.bkm"
            let c = try ToolRun.run(["convert", source, bkm])
            XCTAssertEqual(c.status, 0, c.stderr)
            for input in [corpus, pairs] {
                let fromFolder = try ToolRun.run(["tokenize", source, "--jsonl", input, "--padding", "longest"])
                let fromBKM = try ToolRun.run(["tokenize", bkm, "--jsonl", input, "--padding", "longest"])
                XCTAssertEqual(fromFolder.status, 0, fromFolder.stderr)
                XCTAssertEqual(fromBKM.status, 0, fromBKM.stderr)
                XCTAssertGreaterThanOrEqual(fromFolder.stdout.split(separator: "\n").count, 300)
                XCTAssert(fromFolder.stdout == fromBKM.stdout, "\(source) vs its .bkm differ on \(input)")
            }
        }
    }

    func testPairPaddingAndEmptyText() throws {
        let model = try Repo.requireMiniLM()
        let r = try ToolRun.run(["tokenize", model, "What is it?", "--pair", "A pair of texts.", "--max-length", "14",
                                 "--padding", "max_length", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(Substring(r.stdout.trimmingCharacters(in: .newlines)))
        XCTAssertEqual(o["input_ids"] as? [Int], [101, 2054, 2003, 2009, 1029, 102, 1037, 3940, 1997, 6981, 1012, 102, 0, 0])
        XCTAssertEqual(o["token_type_ids"] as? [Int], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
        XCTAssertEqual(o["attention_mask"] as? [Int], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        let empty = try ToolRun.run(["tokenize", model, "", "--json"])
        XCTAssertEqual(try json(Substring(empty.stdout.trimmingCharacters(in: .newlines)))["input_ids"] as? [Int], [101, 102])
    }

    /// One result line per input line, in order; padding to the longest of the batch.
    func testJSONLines() throws {
        let model = try Repo.requireMiniLM()
        let input = write(Array("""
            {"text": "Hello, world!"}
            {"text": "What is it?", "pair": "A pair."}
            {"text": "", "pair": null}

            """.utf8), "in.jsonl")
        let r = try ToolRun.run(["tokenize", model, "--jsonl", input, "--padding", "longest"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let ids = try lines.map { try json($0)["input_ids"] as? [Int] }
        XCTAssertEqual(ids[0], [101, 7592, 1010, 2088, 999, 102, 0, 0, 0, 0])
        XCTAssertEqual(ids[1], [101, 2054, 2003, 2009, 1029, 102, 1037, 3940, 1012, 102])
        XCTAssertEqual(ids[2], [101, 102, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try json(lines[1])["token_type_ids"] as? [Int], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1])

        // Same through stdin.
        let piped = try ToolRun.run(["tokenize", model, "--jsonl", "-", "--padding", "longest"],
                                    stdin: String(decoding: FileManager.default.contents(atPath: input)!, as: UTF8.self))
        XCTAssertEqual(piped.stdout, r.stdout)
    }

    /// Tokens that need escaping in JSON ("\"", "\\") and non-ASCII ones come out as valid JSON.
    func testJSONEscapes() throws {
        let model = try Repo.requireMiniLM()
        let r = try ToolRun.run(["tokenize", model, "say \"hi\" \\ 中", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(Substring(r.stdout.trimmingCharacters(in: .newlines)))
        XCTAssertEqual(o["tokens"] as? [String], ["[CLS]", "say", "\"", "hi", "\"", "\\", "中", "[SEP]"])
    }

    func testInvalidUTF8NamesTheLine() throws {
        let model = try Repo.requireMiniLM()
        let bad: [UInt8] = Array("{\"text\": \"fine\"}\n{\"text\": \"caf".utf8) + [0xE9] + Array("\"}\n".utf8)
        for (option, name, bytes) in [("--jsonl", "in.jsonl", bad),
                                      ("--file", "in.txt", Array("fine\nalso fine\nbad ".utf8) + [0xFF, 0xFE] + [0x0A])] {
            let path = write(bytes, name)
            let r = try ToolRun.run(["tokenize", model, option, path])
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertEqual(r.stdout, "", "nothing is printed before the input is checked")
            let line = option == "--jsonl" ? 2 : 3
            XCTAssert(r.stderr.contains("\(path):\(line): not valid UTF-8"), r.stderr)
        }
    }

    func testInvalidUTF8Argument() throws {
        let model = try Repo.requireMiniLM()
        // Swift passes arguments as strings; a shell can pass raw bytes ("caf" + 0xE9, Latin-1 é).
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" tokenize \"$1\" \"$(printf 'caf\\351')\"", ToolRun.binary, model]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 2, message)
        XCTAssert(message.contains("command-line argument 3 is not valid UTF-8"), message)
    }

    func testBadJSONLineNamesTheLine() throws {
        let model = try Repo.requireMiniLM()
        let path = write(Array("{\"text\": \"ok\"}\n[1, 2]\n".utf8), "in.jsonl")
        let r = try ToolRun.run(["tokenize", model, "--jsonl", path])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("\(path):2: expected an object with a string \"text\""), r.stderr)
    }

    func testImpossibleTruncationNamesTheLine() throws {
        let model = try Repo.requireMiniLM()
        let path = write(Array("{\"text\": \"a\", \"pair\": \"b\"}\n{\"text\": \"a\", \"pair\": \"one two three four five six\"}\n".utf8), "in.jsonl")
        let r = try ToolRun.run(["tokenize", model, "--jsonl", path, "--max-length", "6", "--truncation", "only_first"])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("\(path):2: cannot truncate to 6 tokens with only_first"), r.stderr)
    }

    /// A long pair cut on both sides with odd room: by default as AutoTokenizer (the Rust backend)
    /// cuts it, with --truncation-rule python as BertTokenizerLegacy; the first such pair of
    /// golden/expected/tokenizer/pairs.jsonl.
    func testPairTruncationRule() throws {
        let model = try Repo.requireMiniLM()
        let lines = try String(contentsOfFile: Repo.expected("tokenizer/pairs.jsonl"), encoding: .utf8).split(separator: "\n")
        let line = try XCTUnwrap(try lines.lazy.map(json).first {
            $0["group"] as? String == "long" && $0["truncation"] as? String == "longest_first"
                && $0["side"] as? String == "right" && $0["ids_rust"] as? [Int] != $0["ids_python"] as? [Int]
        })
        let args = ["tokenize", model, try XCTUnwrap(line["a"] as? String), "--pair", try XCTUnwrap(line["b"] as? String),
                    "--max-length", "\(try XCTUnwrap(line["max_length"] as? Int))", "--json"]
        for (extra, key) in [([], "ids_rust"), (["--truncation-rule", "rust"], "ids_rust"), (["--truncation-rule", "python"], "ids_python")] {
            let r = try ToolRun.run(args + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try json(Substring(r.stdout.trimmingCharacters(in: .newlines)))["input_ids"] as? [Int],
                           try XCTUnwrap(line[key] as? [Int]), "\(extra)")
        }
        XCTAssertEqual(try ToolRun.run(args + ["--truncation-rule", "perl"]).status, 64)
    }

    /// Room for the special tokens alone: both libraries return more than --max-length tokens; bertkit refuses.
    func testMaxLengthBelowTheSpecialTokensIsRefused() throws {
        let model = try Repo.requireMiniLM()
        let r = try ToolRun.run(["tokenize", model, "a b", "--pair", "c", "--max-length", "2"])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("cannot truncate to 2 tokens with longest_first: the 3 special tokens alone are longer")
                  && r.stderr.contains("HINT: use a larger max length"), r.stderr)
    }

    func testVocabularyWithoutPADIsRefused() throws {
        let dir = Repo.temporaryDirectory()
        try "[UNK]\n[CLS]\n[SEP]\nhello\n".write(toFile: dir + "/vocab.txt", atomically: true, encoding: .utf8)
        let r = try ToolRun.run(["tokenize", dir, "hello"])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("the vocabulary has no [PAD] (pad_token)"), r.stderr)
    }

    func testUsageErrors() throws {
        let model = try Repo.requireMiniLM()
        XCTAssertEqual(try ToolRun.run(["tokenize", model]).status, 64)
        XCTAssertEqual(try ToolRun.run(["tokenize", model, "x", "--padding", "sideways"]).status, 64)
        XCTAssertEqual(try ToolRun.run(["tokenize", "/no/such/folder", "x"]).status, 2)
    }
}
