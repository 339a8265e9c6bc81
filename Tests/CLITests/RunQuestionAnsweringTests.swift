import Foundation
import TestSupport
import XCTest

/// `bertkit run --task question-answering` against golden/expected/pipelines/question-answering.json.
final class RunQuestionAnsweringTests: XCTestCase {
    /// MiniLM + the committed qa_outputs head as a model folder: a two-shard index over MiniLM's weights
    /// file and the head file (hard links, else copies: a shard may not lead outside its folder through
    /// a symbolic link), MiniLM's tokenizer files, the head's config.json.
    static let folder: String? = try? {
        let minilm = Repo.miniLM, head = MiniLMWithHead.folder("question-answering")
        let dir = Repo.temporaryDirectory("qa-model")
        let fm = FileManager.default
        for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            try fm.createSymbolicLink(atPath: dir + "/" + f, withDestinationPath: minilm + "/" + f)
        }
        try fm.copyItem(atPath: head + "/config.json", toPath: dir + "/config.json")
        var map: [String: String] = [:]
        for (shard, file) in [("model-00001-of-00002.safetensors", minilm + "/model.safetensors"),
                              ("model-00002-of-00002.safetensors", head + "/head.safetensors")] {
            do { try fm.linkItem(atPath: file, toPath: dir + "/" + shard) } catch { try fm.copyItem(atPath: file, toPath: dir + "/" + shard) }
            for name in try tensorNames(file) { map[name] = shard }
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map], options: .sortedKeys)
        try index.write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        return dir
    }()

    static func tensorNames(_ path: String) throws -> [String] {
        let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? h.close() }
        let n = try h.read(upToCount: 8)!.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: try h.read(upToCount: n)!) as! [String: Any]
        return header.keys.filter { $0 != "__metadata__" }
    }

    func model() throws -> String {
        _ = try Repo.requireMiniLM()
        return try XCTUnwrap(Self.folder)
    }

    static func runs() throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/question-answering.json")))
        return (try JSONSerialization.jsonObject(with: data) as! [String: Any])["runs"] as! [[String: Any]]
    }

    /// The pipeline's parameters as run's flags.
    static func flags(_ options: [String: Any]) -> [String] {
        var f: [String] = []
        for (key, flag) in [("max_seq_len", "--max-seq-len"), ("doc_stride", "--doc-stride"), ("max_answer_len", "--max-answer-len"),
                            ("top_k", "--top-k")] {
            if let v = options[key] as? Int { f += [flag, String(v)] }
        }
        if options["handle_impossible_answer"] as? Bool == true { f.append("--handle-impossible-answer") }
        return f
    }

    func testJSONIsThePipelinesValuePerInput() throws {
        let model = try model()
        for (r, run) in try Self.runs().enumerated() {
            let cases = run["cases"] as! [[String: Any]]
            var args = ["run", model, "--json"] + Self.flags(run["options"] as! [String: Any])
            if r % 2 == 0 {
                for c in cases { args += ["--question", c["question"] as! String, "--context", c["context"] as! String] }
            } else {
                // Every other run from a JSON-lines file (with a key the reader ignores).
                let lines = try cases.map { c in
                    String(decoding: try JSONSerialization.data(withJSONObject: ["id": 7, "question": c["question"]!, "context": c["context"]!]),
                           as: UTF8.self)
                }
                let file = Repo.temporaryDirectory() + "/questions.jsonl"
                try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                args += ["--jsonl", file]
            }
            let out = try ToolRun.run(args)
            XCTAssertEqual(out.status, 0, out.stderr)
            let got = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [Any]
            XCTAssertEqual(got.count, cases.count, "one element per input")
            for (n, (g, c)) in zip(got, cases).enumerated() {
                Self.assertSame(g, c["output"]!, "\(run["name"]!) input \(n)")
            }
        }
    }

    /// A dict where the pipeline gives a dict, a list where it gives a list; same keys, texts and offsets;
    /// scores within 1e-5 (QuestionAnsweringTests.scoreTolerance says why).
    static func assertSame(_ got: Any, _ want: Any, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let pairs: [([String: Any], [String: Any])]
        switch (got, want) {
        case (let g as [String: Any], let w as [String: Any]): pairs = [(g, w)]
        case (let g as [[String: Any]], let w as [[String: Any]]) where g.count == w.count: pairs = Array(zip(g, w))
        default: return XCTFail("\(label): \(got) is not shaped like \(want)", file: file, line: line)
        }
        for (k, (g, w)) in pairs.enumerated() {
            XCTAssertEqual(Set(g.keys), ["score", "start", "end", "answer"], label, file: file, line: line)
            XCTAssertEqual(Array((g["answer"] as? String ?? "").unicodeScalars), Array((w["answer"] as! String).unicodeScalars),
                           "\(label) answer \(k)", file: file, line: line)
            XCTAssertEqual(g["start"] as? Int, w["start"] as? Int, "\(label) answer \(k) start", file: file, line: line)
            XCTAssertEqual(g["end"] as? Int, w["end"] as? Int, "\(label) answer \(k) end", file: file, line: line)
            XCTAssertEqual(g["score"] as? Double ?? .nan, w["score"] as! Double, accuracy: 1e-5, "\(label) answer \(k) score",
                           file: file, line: line)
        }
    }

    func testTextOutputNamesEachQuestionAndItsAnswers() throws {
        let r = try ToolRun.run(["run", try model(), "--question", "Is it raining?", "--context", "No.", "--top-k", "3",
                                 "--handle-impossible-answer", "--question", "Who won two Nobel Prizes?", "--context",
                                 "Marie Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911."])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "question 1: \"Is it raining?\"")
        XCTAssertTrue(lines[1].hasPrefix("  1. (no answer)  score 0.04"), lines[1])
        XCTAssertTrue(lines.contains("question 2: \"Who won two Nobel Prizes?\""), r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  1. \"Curie\"  score 0.2604, characters 6..<11") }, r.stdout)
    }
}

extension RunQuestionAnsweringTests {
    func testAQuestionWithNoRoomLeftIsBadInputNamingTheInput() throws {
        let model = try model()
        let q = "one two three four five six seven eight nine"  // 9 tokens + 3 special = 12
        let r = try ToolRun.run(["run", model, "--max-seq-len", "12", "--question", "Why?", "--context", "Because.",
                                 "--question", q, "--context", "A context."])
        CLI.assertBadInput(r, names: ["input 2", "9 tokens", "no room for the context", "--max-seq-len"])
        XCTAssertEqual(r.stdout, "")

        let file = Repo.temporaryDirectory() + "/q.jsonl"
        try "{\"question\": \"Why?\", \"context\": \"Because.\"}\n{\"question\": \"\(q)\", \"context\": \"A context.\"}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let j = try ToolRun.run(["run", model, "--max-seq-len", "12", "--jsonl", file])
        CLI.assertBadInput(j, names: [file + ":2:", "no room for the context"])
        XCTAssertEqual(j.stdout, "")

        let s = try ToolRun.run(["run", model, "--max-seq-len", "12", "--doc-stride", "6", "--question", "one two three four",
                                 "--context", "a b c d e f g h i"])
        CLI.assertBadInput(s, names: ["input 1", "doc_stride 6", "5 context tokens", "--doc-stride"])
    }

    func testBadJSONLinesAreNamedByLine() throws {
        let model = try model()
        let dir = Repo.temporaryDirectory()
        for (text, problem) in [("{\"question\": \"a\", \"context\": \"b\"}\n{\"question\": \"a\"}\n", ":2: no \"context\""),
                                ("{\"question\": \"a\", \"context\": \"b\"}\n\nx\n", ":2: not JSON"),
                                ("[1]\n", ":1: expected an object"),
                                ("{\"question\": 3, \"context\": \"b\"}\n", ":1: \"question\" must be a string"),
                                ("{\"question\": \"\", \"context\": \"b\"}\n", ":1: \"question\" is empty")] {
            let file = dir + "/bad.jsonl"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try ToolRun.run(["run", model, "--jsonl", file])
            CLI.assertBadInput(r, names: [file + problem])
            XCTAssertEqual(r.stdout, "")
        }
    }

    func testInputsAndFlagsThatDoNotGoTogetherAreRefused() throws {
        let model = try model()
        func usage(_ args: [String], _ message: String) throws {
            let r = try ToolRun.run(["run"] + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        try usage([model, "some text", "--question", "q", "--context", "c"], "not TEXT")
        try usage([model, "--question", "q", "--question", "r", "--context", "c"], "2 --question and 1 --context")
        try usage([model, "--question", "q", "--context", "c", "--jsonl", "f.jsonl"], "not both")
        try usage([model, "--question", "q", "--context", "c", "--no-truncate"], "split into windows")
        try usage([model, "--question", "q", "--context", "c", "--top-k", "0"], "--top-k must be at least 1")
        // --top-k is fill-mask's and question answering's: on a classifier it is bad input once the task is known.
        let topK = try ToolRun.run(["run", Repo.fixture("tiny-cls"), "text", "--top-k", "3"])
        CLI.assertBadInput(topK, names: ["--top-k is for --task fill-mask and question-answering, not text-classification"])
        try usage([Repo.fixture("tiny-cls"), "text", "--max-answer-len", "3"], "are for question-answering")
        try usage([Repo.fixture("tiny-cls")], "give at least one TEXT")
        // embed and dump still need their texts.
        let e = try ToolRun.run(["embed", model])
        XCTAssertEqual(e.status, 64)
        XCTAssertTrue(e.stderr.contains("give at least one TEXT"), e.stderr)
        let d = try ToolRun.run(["dump", model, "-o", Repo.temporaryDirectory() + "/x.safetensors"])
        XCTAssertTrue(d.status == 64 && d.stderr.contains("give at least one TEXT"), d.stderr)
    }

    func testTheTaskAndTheHeadMustBeQuestionAnswering() throws {
        let model = try model()
        CLI.assertBadInput(try ToolRun.run(["run", Repo.fixture("tiny-cls"), "--question", "q", "--context", "c"]),
                           names: ["BertForSequenceClassification", "cannot do question-answering", "BertForQuestionAnswering"])
        CLI.assertBadInput(try ToolRun.run(["run", model, "--task", "text-classification", "--question", "q", "--context", "c"]),
                           names: ["--task question-answering", "not text-classification"])
        CLI.assertBadInput(try ToolRun.run(["run", model, "Some text."]), names: ["--question Q --context C", "not TEXT"])
        CLI.assertBadInput(try ToolRun.run(["run", model, "--max-seq-len", "600", "--question", "q", "--context", "c"]),
                           names: ["max_seq_len is 600", "max_position_embeddings", "--max-seq-len"])
    }
}
