import BertFormats
import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// The corpus reader, the length-bucketed batch plan and the streaming runner: order, equality
/// with one text at a time, bad rows, and memory bounded by the window.
final class CorpusTests: XCTestCase {
    func write(_ text: String, _ name: String, _ test: String = #function) throws -> String {
        try write(Array(text.utf8), name, test)
    }

    func write(_ bytes: [UInt8], _ name: String, _ test: String = #function) throws -> String {
        let p = Repo.temporaryDirectory(test) + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Texts of many lengths, in a mixed order: the first 300 of the golden corpus.
    func corpusTexts() throws -> [String] {
        let lines = try String(contentsOfFile: Repo.golden("corpus/texts.jsonl"), encoding: .utf8).split(separator: "\n")
        return try lines.prefix(300).map { l in
            try JSONParser.parse(Array(l.utf8), file: "texts.jsonl").objectValue!["text"]!.stringValue!
        }.filter { !$0.isEmpty && !$0.contains("\n") && !$0.contains("\r") }
    }

    // MARK: BatchPlan

    func testPlanSortsLongestFirstAndRespectsBothLimits() {
        let lengths = [3, 9, 1, 9, 4, 7, 2, 8, 5, 6]
        let plan = BatchPlan(lengths: lengths, batchSize: 3, maxTokens: 20)
        XCTAssertEqual(plan.batches.flatMap { $0 }.sorted(), Array(lengths.indices), "every row exactly once")
        let flat = plan.batches.flatMap { $0 }.map { lengths[$0] }
        XCTAssertEqual(flat, flat.sorted(by: >), "longest first")
        for b in plan.batches {
            XCTAssertLessThanOrEqual(b.count, 3)
            XCTAssertLessThanOrEqual(b.count * lengths[b[0]], 20, "\(b)")
        }
        // 9,9 (18) | 8,7 (16) | 6,5,4 (18) | 3,2,1 (9)
        XCTAssertEqual(plan.batches, [[1, 3], [7, 5], [9, 8, 4], [0, 6, 2]])
        XCTAssertEqual(plan.tokens, lengths.reduce(0, +))
        XCTAssertEqual(plan.paddedTokens, 18 + 16 + 18 + 9)
        // A row over the budget runs alone.
        XCTAssertEqual(BatchPlan(lengths: [30, 2, 2], batchSize: 8, maxTokens: 10).batches, [[0], [1, 2]])
    }

    // MARK: Runner: order and equality

    /// Every result equals the one-text-at-a-time forward, in input order, with batches of mixed
    /// lengths and a window smaller than the corpus.
    func checkAgainstOneByOne(fixture: String, sentences: Bool) throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture(fixture)))
        let texts = try corpusTexts()
        // Pairs on every third text, through the JSONL "pair" key.
        let inputs = texts.enumerated().map { i, t in TextInput(t, pair: i % 3 == 0 ? "a second segment \(i)" : nil) }
        let jsonl = inputs.map { t in
            JSONValue.object(JSONObject([("text", .string(t.text))] + (t.pair.map { [("pair", JSONValue.string($0))] } ?? [])))
                .serialized(indent: 0)
        }.joined(separator: "\n") + "\n"
        let path = try write(jsonl, "in.jsonl", "\(fixture)")
        let encoder = sentences ? try model.sentenceEncoder() : try model.textEncoder()
        let runner = CorpusRunner(reader: try CorpusReader(path: path, format: .jsonl()), encoder: encoder, config: model.config,
                                  options: CorpusRunOptions(batchSize: 7, maxTokens: 300, window: 50)) { input in
            sentences ? try model.sentenceEmbeddings(input) : try Self.logits(model, input)
        }
        var got: [(EncodedRow, [Float])] = []
        XCTAssertTrue(try runner.run(emit: { got.append(($0, $1)) }))
        XCTAssertEqual(got.map(\.0.index), Array(inputs.indices), "results in input order")
        XCTAssertEqual(got.map(\.0.line), Array(1...inputs.count), "lines in input order")
        XCTAssertGreaterThan(runner.stats.batches, inputs.count / 7, "the batches hold several texts")
        XCTAssertGreaterThan(runner.stats.truncated, 0, "the corpus has texts over the 64-position limit")
        for (i, t) in inputs.enumerated() {
            let one = sentences ? try model.encodeSentences([t]) : try BertInput.encode([t], tokenizer: model.makeTokenizer(), config: model.config)
            let expected = sentences ? try model.sentenceEmbeddings(one.input)[0] : try Self.logits(model, one.input)[0]
            // 1e-5: batching changes only the GEMMs' summation order (padding is masked out of
            // attention and pooling), which moves f32 values of order 1 by a few ulps (~1e-7 each).
            assertClose(got[i].1, expected, atol: 1e-5, rtol: 1e-5, label: "\(fixture) text \(i + 1)")
        }
    }

    static func logits(_ model: BertModel, _ input: BertInput) throws -> [[Float]] {
        let out = try model.run(input)
        let n = model.config.numLabels
        return (0..<out.batch).map { BertOutput.row(out.logits!, $0, width: n) }
    }

    func testClassifierResultsMatchOneTextAtATimeInInputOrder() throws {
        try checkAgainstOneByOne(fixture: "tiny-cls", sentences: false)
    }

    func testSentenceEmbeddingsMatchOneTextAtATimeInInputOrder() throws {
        try checkAgainstOneByOne(fixture: "tiny-st-dense", sentences: true)
    }

    func testStopBetweenBatchesKeepsOnlyWholeWindows() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
        let path = try write((1...100).map { "text number \($0)" }.joined(separator: "\n"), "in.txt")
        let runner = CorpusRunner(reader: try CorpusReader(path: path, format: .lines), encoder: try model.textEncoder(),
                                  config: model.config, options: CorpusRunOptions(batchSize: 4, window: 30)) { try Self.logits(model, $0) }
        var emitted = 0, batches = 0
        let done = try runner.run(emit: { _, _ in emitted += 1 }, progress: { s in batches = s.batches },
                                  shouldStop: { batches >= 10 })
        XCTAssertFalse(done)
        XCTAssertEqual(emitted, 30, "the first window (8 batches) was emitted; the second was dropped when told to stop")
    }

    // MARK: Reader: bad rows

    func rows(_ text: String, _ format: CorpusFormat, skip: Bool = true) throws -> (rows: [CorpusRow], bad: [String]) {
        try rows(Array(text.utf8), format, skip: skip)
    }

    func rows(_ bytes: [UInt8], _ format: CorpusFormat, skip: Bool = true) throws -> (rows: [CorpusRow], bad: [String]) {
        let r = try CorpusReader(path: try write(bytes, "in"), format: format)
        var rows: [CorpusRow] = [], bad: [String] = []
        while true {
            do {
                guard let row = try r.next() else { break }
                rows.append(row)
            } catch let e as InputFileError {
                guard skip else { throw e }
                bad.append("\(e.line): \(e.problem)")
            }
        }
        return (rows, bad)
    }

    func testEveryBadRowIsNamedByLineAndTheRestIsRead() throws {
        let lines = try rows(Array("one\r\n\ntwo\n".utf8) + [0xFF] + Array("bad\nthree".utf8), .lines)
        XCTAssertEqual(lines.rows.map(\.input.text), ["one", "two", "three"])
        XCTAssertEqual(lines.rows.map(\.line), [1, 3, 5])
        XCTAssertEqual(lines.bad.count, 2)
        XCTAssertTrue(lines.bad[0].hasPrefix("2: the line is empty"), "\(lines.bad)")
        XCTAssertTrue(lines.bad[1].hasPrefix("4: not valid UTF-8"), "\(lines.bad)")

        let jsonl = """
            {"text": "a", "pair": "b"}
            [1, 2]
            {"txt": "a"}
            {"text": 3}
            {"text": ""}
            not json
            {"text": "c", "text_pair": "d"}
            {"text": "e", "pair": null}

            """
        let j = try rows(jsonl, .jsonl())
        XCTAssertEqual(j.rows.map(\.input), [TextInput("a", pair: "b"), TextInput("c", pair: "d"), TextInput("e")])
        XCTAssertEqual(j.rows.map(\.line), [1, 7, 8])
        XCTAssertEqual(j.bad.map { String($0.prefix(2)) }, ["2:", "3:", "4:", "5:", "6:"])
        XCTAssertTrue(j.bad[0].contains("expected a JSON object"), j.bad[0])
        XCTAssertTrue(j.bad[1].contains("no \"text\""), j.bad[1])
        XCTAssertTrue(j.bad[2].contains("must be a string"), j.bad[2])
        XCTAssertTrue(j.bad[3].contains("is empty"), j.bad[3])
        XCTAssertTrue(j.bad[4].contains("not JSON"), j.bad[4])

        let fields = try rows("{\"q\": \"x\", \"c\": \"y\"}\n", .jsonl(textField: "q", pairField: "c"))
        XCTAssertEqual(fields.rows.map(\.input), [TextInput("x", pair: "y")])
    }

    func testCSVRecordsSpanLinesAndBadOnesNameTheirLine() throws {
        let csv = "id,review,other\n1,\"two\nlines\",x\n2,,x\n3,only two\n4,\"fine\",x\n"
        let c = try rows(csv, .csv(textColumn: "review", pairColumn: "other"))
        XCTAssertEqual(c.rows.map(\.input), [TextInput("two\nlines", pair: "x"), TextInput("fine", pair: "x")])
        XCTAssertEqual(c.rows.map(\.line), [2, 6])
        XCTAssertEqual(c.bad.count, 2)
        XCTAssertTrue(c.bad[0].hasPrefix("4: the text column is empty"), "\(c.bad)")
        XCTAssertTrue(c.bad[1].hasPrefix("5: 2 fields; the header has 3"), "\(c.bad)")
        XCTAssertThrowsError(try CorpusReader(path: try write("id,text\n", "in"), format: .csv(textColumn: "review"))) { e in
            XCTAssertTrue((e as? LocalizedError)?.errorDescription?.contains("no column \"review\"") == true, "\(e)")
        }
        XCTAssertThrowsError(try rows("text\n\"open\n", .csv(), skip: false)) { e in
            XCTAssertEqual((e as? InputFileError)?.line, 2, "\(e)")
        }
    }

    // MARK: Memory

    /// VmRSS of this process, in bytes.
    static var resident: Int {
        let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = s.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// One million lines (~40 MB, ~15 M token ids as [Int] if held) go through the reader, the
    /// tokenizer and the batcher while resident memory stays within a few windows.
    func testMillionLinesStreamInBoundedMemory() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
        let path = Repo.temporaryDirectory() + "/million.txt"
        let words = ["the", "team", "will", "win", "today", "stocks", "fell", "hello", "world", "news"]
        var text = ""
        text.reserveCapacity(45 << 20)
        for i in 0..<1_000_000 { text += (0...(i % 5)).map { words[($0 * 7 + i) % words.count] }.joined(separator: " ") + "\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        text = ""
        let runner = CorpusRunner(reader: try CorpusReader(path: path, format: .lines), encoder: try model.textEncoder(),
                                  config: model.config, options: CorpusRunOptions(batchSize: 256, window: 4096)) { input in
            input.lengths  // no forward: the test is about what the stream holds
        }
        let before = Self.resident
        var peak = before, count = 0, tokens = 0
        try runner.run(emit: { _, n in
            count += 1
            tokens += n
            if count % 50_000 == 0 { peak = max(peak, Self.resident) }
        })
        XCTAssertEqual(count, 1_000_000)
        XCTAssertGreaterThan(tokens, 5_000_000)
        // 3 windows of 4096 rows of ≤ 12 ids is under 2 MB; 64 MB leaves room for allocator slack
        // while holding the corpus (the file is 40 MB, its ids 60+ MB as [Int]) would exceed it.
        print("corpus memory: resident grew \((peak - before) >> 20) MB over 1 M lines")
        XCTAssertLessThan(peak - before, 64 << 20, "resident memory grew \((peak - before) >> 20) MB over 1 M lines")
    }
}
