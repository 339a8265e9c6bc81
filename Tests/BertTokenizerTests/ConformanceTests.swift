import BertFormats
import BertTokenizer
import TestSupport
import XCTest

/// Every corpus text (golden/corpus/texts.jsonl, 2,000 texts) must give exactly the ids of
/// transformers' Python BertTokenizer (golden/expected/tokenizer/, see golden/README.md).
final class ConformanceTests: XCTestCase {
    func testUncased() throws { try check("uncased.jsonl") { _ in } }
    func testCased() throws { try check("cased.jsonl") { $0.doLowerCase = false } }
    func testUncasedKeepAccents() throws { try check("uncased-keep-accents.jsonl") { $0.stripAccents = false } }
    func testNoCJKSplit() throws { try check("no-cjk-split.jsonl") { $0.tokenizeChineseChars = false } }

    private func check(_ name: String, _ change: (inout TokenizerSettings) -> Void) throws {
        let tokenizer = try miniLMTokenizer(change)
        let lines = try goldenLines("tokenizer/" + name)
        XCTAssertGreaterThanOrEqual(lines.count, 2000, "\(name): the corpus has at least 2,000 texts")
        var failures: [String] = []
        for (n, line) in lines.enumerated() {
            let text = line["text"]!.stringValue!
            let got = try tokenizer.encode(text).inputIds
            let diff = difference(got, ints(line["ids"]))
            if !diff.isEmpty { failures.append("line \(n + 1): \"\(visible(text))\"\n    \(diff)") }
        }
        XCTAssert(failures.isEmpty, "\(name): \(failures.count) of \(lines.count) texts differ\n"
                  + failures.prefix(10).joined(separator: "\n"))
    }

    /// Pairs through both truncation rules (golden/README.md, pairs.jsonl): corpus pairs at
    /// max_length 32, long pairs cut on both sides at 63 and 64 (even and odd room), both
    /// truncation sides, a stride. Where the reference refuses (`why_*`), bertkit must refuse too.
    func testPairs() throws {
        let tokenizer = try miniLMTokenizer()
        let left = try miniLMTokenizer { $0.truncationSide = "left" }
        let lines = try goldenLines("tokenizer/pairs.jsonl")
        XCTAssertEqual(lines.count, 714)
        var failures: [String] = [], compared = [TruncationRule: Int](), refused = compared, differ = 0
        for line in lines {
            let a = line["a"]!.stringValue!, b = line["b"]!.stringValue!
            let strategy = Truncation(rawValue: line["truncation"]!.stringValue!)!
            let side = line["side"]!.stringValue!
            let label = "\(line["group"]!.stringValue!) pair \(line["index"]!.intValue!) (\(strategy.rawValue), "
                + "max_length \(line["max_length"]!.intValue!), \(side)): \"\(visible(a))\" + \"\(visible(b))\""
            differ += line["ids_rust"] != line["ids_python"] ? 1 : 0
            // bertkit has no stride: its encoding is the Rust backend's first window.
            if line["stride"]!.intValue! > 0 { XCTAssertGreaterThan(line["windows_rust"]!.intValue!, 1, label) }
            for rule in TruncationRule.allCases {
                // The Rust tokenizer splits a few corpus texts into other pieces than the Python one.
                if rule == .rust, !line["same_tokens"]!.boolValue! { continue }
                compared[rule, default: 0] += 1
                let options = EncodingOptions(maxLength: line["max_length"]!.intValue!, truncation: strategy, truncationRule: rule)
                let got = Result { try (side == "left" ? left : tokenizer).encode(a, pair: b, options: options) }
                failures += check(got, line, rule, label)
                if line["why_\(rule)"]?.stringValue != nil { refused[rule, default: 0] += 1 }
            }
        }
        XCTAssertEqual(compared, [.rust: 710, .python: 714])
        XCTAssertEqual(refused, [.rust: 25, .python: 25])
        XCTAssertEqual(differ, 61, "pairs where the two rules give different ids")
        XCTAssert(failures.isEmpty, "\(failures.count) checks differ\n" + failures.prefix(10).joined(separator: "\n"))
    }

    /// Every length of both texts from 0 to 4 (the pair also absent), every max_length from 1 to 9
    /// (below, at and above the special tokens), every strategy, both sides (golden/README.md,
    /// truncation-grid.jsonl), under both rules.
    func testTruncationGrid() throws {
        let tokenizers = ["right": try miniLMTokenizer(), "left": try miniLMTokenizer { $0.truncationSide = "left" }]
        let lines = try goldenLines("tokenizer/truncation-grid.jsonl")
        XCTAssertEqual(lines.count, 1080)
        var failures: [String] = [], differ = 0, pythonBugs = 0
        for line in lines {
            let a = line["a"]!.stringValue!, b = line["b"]!.stringValue
            let strategy = Truncation(rawValue: line["truncation"]!.stringValue!)!
            let max = line["max_length"]!.intValue!, side = line["side"]!.stringValue!
            differ += line["tokens_rust"] != line["tokens_python"] ? 1 : 0
            for rule in TruncationRule.allCases {
                // truncation_side left: transformers' Python tokenizer loses an empty pair, [SEP] and all.
                if rule == .python, line["bug_python"] != nil {
                    pythonBugs += 1
                    continue
                }
                let options = EncodingOptions(maxLength: max, truncation: strategy, truncationRule: rule)
                let got = Result { try tokenizers[side]!.encode(a, pair: b, options: options) }
                let label = "\"\(a)\" + \(b.map { "\"\($0)\"" } ?? "none"), \(strategy.rawValue), max_length \(max), \(side)"
                switch (got, line["tokens_\(rule)"]?.stringValue) {
                case (.success(let e), let expected?):
                    if e.tokens.joined(separator: " ") != expected {
                        failures.append("\(label), \(rule): bertkit \(e.tokens.joined(separator: " ")), expected \(expected)")
                    }
                case (.success(let e), nil):
                    failures.append("\(label), \(rule): bertkit \(e.tokens.joined(separator: " ")), expected a refusal "
                                    + "(the reference \(line["why_\(rule)"]!.stringValue!))")
                case (.failure(let error), let expected?):
                    failures.append("\(label), \(rule): bertkit refused (\(error)), expected \(expected)")
                case (.failure(let error), nil):
                    guard case TokenizerError.cannotTruncate = error else { failures.append("\(label): \(error)"); break }
                }
            }
        }
        XCTAssertEqual(differ, 109, "inputs where the two rules differ")
        XCTAssertEqual(pythonBugs, 20)
        XCTAssert(failures.isEmpty, "\(failures.count) checks differ\n" + failures.prefix(10).joined(separator: "\n"))
    }

    /// One pair record against `rule`'s reference: the same ids and token types, or a refusal.
    private func check(_ got: Result<Encoding, Error>, _ line: JSONObject, _ rule: TruncationRule, _ label: String) -> [String] {
        let label = "\(label), \(rule) rule"
        guard line["why_\(rule)"]?.stringValue == nil else {
            switch got {
            case .success: return ["\(label)\n    expected a refusal (the reference \(line["why_\(rule)"]!.stringValue!))"]
            case .failure(TokenizerError.cannotTruncate): return []
            case .failure(let error): return ["\(label)\n    \(error)"]
            }
        }
        let e: Encoding
        switch got {
        case .success(let encoding): e = encoding
        case .failure(let error): return ["\(label)\n    bertkit refused: \(error)"]
        }
        let ids = ints(line["ids_\(rule)"]), segmentA = line["segment_a_\(rule)"]!.intValue!
        let types = [Int](repeating: 0, count: segmentA) + [Int](repeating: 1, count: ids.count - segmentA)
        var out: [String] = []
        for (key, got, expected) in [("ids", e.inputIds, ids), ("token_type_ids", e.tokenTypeIds, types),
                                     ("attention_mask", e.attentionMask, [Int](repeating: 1, count: ids.count))] {
            let diff = difference(got, expected)
            if !diff.isEmpty { out.append("\(label): \(key)\n    \(diff)") }
        }
        return out
    }

    /// Offsets (code-point spans) equal the Rust tokenizer's `offset_mapping` wherever its ids equal
    /// the Python tokenizer's (the golden marks the 8 texts where they do not).
    func testOffsets() throws {
        let tokenizer = try miniLMTokenizer()
        let lines = try goldenLines("tokenizer/offsets.jsonl")
        var failures: [String] = [], compared = 0
        for (n, line) in lines.enumerated() where line["same_as_slow"]!.boolValue! {
            compared += 1
            let text = line["text"]!.stringValue!
            let e = try tokenizer.encode(text)
            let expected = line["offsets"]!.arrayValue!.map { ints($0) }
            let diff = difference(e.offsets.map { [$0.lowerBound, $0.upperBound] }, expected)
            if e.inputIds != ints(line["ids"]) || !diff.isEmpty {
                failures.append("line \(n + 1): \"\(visible(text))\" tokens \(e.tokens)\n    \(diff)")
            }
        }
        XCTAssertGreaterThanOrEqual(compared, 490)
        XCTAssert(failures.isEmpty, "\(failures.count) of \(compared) texts differ\n" + failures.prefix(10).joined(separator: "\n"))
    }
}
