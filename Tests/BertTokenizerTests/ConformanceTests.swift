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

    /// Pairs with max_length 32 and each truncation strategy; where transformers 4 and the Rust
    /// tokenizer refuse (the chosen side is too short), bertkit must refuse too.
    func testPairs() throws {
        let tokenizer = try miniLMTokenizer()
        let lines = try goldenLines("tokenizer/pairs.jsonl")
        XCTAssertEqual(lines.count, 500)
        var failures: [String] = [], refused = 0
        for line in lines {
            let a = line["a"]!.stringValue!, b = line["b"]!.stringValue!
            let strategy = Truncation(rawValue: line["truncation"]!.stringValue!)!
            let options = EncodingOptions(maxLength: line["max_length"]!.intValue!, truncation: strategy)
            let label = "pair \(line["index"]!.intValue!) (\(strategy.rawValue)): \"\(visible(a))\" + \"\(visible(b))\""
            if line["error"]!.boolValue! {
                refused += 1
                do {
                    _ = try tokenizer.encode(a, pair: b, options: options)
                    failures.append("\(label)\n    expected a refusal to truncate")
                } catch TokenizerError.cannotTruncate {}
                continue
            }
            let e = try tokenizer.encode(a, pair: b, options: options)
            for (key, got) in [("ids", e.inputIds), ("token_type_ids", e.tokenTypeIds), ("attention_mask", e.attentionMask)] {
                let diff = difference(got, ints(line[key]))
                if !diff.isEmpty { failures.append("\(label): \(key)\n    \(diff)") }
            }
        }
        XCTAssertEqual(refused, 9)
        XCTAssert(failures.isEmpty, "\(failures.count) of \(lines.count) pairs differ\n" + failures.prefix(10).joined(separator: "\n"))
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
