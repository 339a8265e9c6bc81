import BertFormats
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// The records of a golden JSONL file, parsed strictly.
func goldenLines(_ rel: String, file: StaticString = #filePath, line: UInt = #line) throws -> [JSONObject] {
    let path = Repo.expected(rel)
    guard let data = FileManager.default.contents(atPath: path) else {
        XCTFail("missing golden \(path)\n---> HINT: golden/generate.py --only tokenizer writes it", file: file, line: line)
        throw XCTSkip("golden missing")
    }
    return try data.split(separator: 0x0A).enumerated().map { n, bytes in
        guard let o = try JSONParser.parse(Array(bytes), file: "\(path):\(n + 1)").objectValue else {
            throw XCTSkip("\(path):\(n + 1) is not an object")
        }
        return o
    }
}

func ints(_ v: JSONValue?) -> [Int] { v?.arrayValue?.compactMap(\.intValue) ?? [] }

/// Unicode escapes for anything outside printable ASCII, so a failure shows invisible characters.
func visible(_ s: String) -> String {
    s.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? String($0) : String(format: "\\u{%X}", $0.value) }.joined()
}

/// "" when equal; else both lists and the first differing position.
func difference<T: Equatable>(_ got: [T], _ expected: [T]) -> String {
    guard got != expected else { return "" }
    let k = (0..<min(got.count, expected.count)).first { got[$0] != expected[$0] } ?? min(got.count, expected.count)
    return "first difference at position \(k)\n    bertkit:      \(got)\n    transformers: \(expected)"
}

/// The MiniLM tokenizer (bert-base-uncased vocabulary) with tokenizer_config.json overrides.
func miniLMTokenizer(_ change: (inout TokenizerSettings) -> Void = { _ in }) throws -> BertTokenizer {
    let folder = try Repo.requireMiniLM()
    var (vocabulary, settings) = try TokenizerFiles.read(folder: folder)
    change(&settings)
    return try BertTokenizer(vocabulary: vocabulary, settings: settings, source: folder)
}
