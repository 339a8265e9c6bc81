import Foundation
import XCTest

/// golden/expected/pipelines/token-classification.json (golden/generate_token_classification.py).
public struct TokenClassificationGolden {
    public struct Case {
        /// `minilm-heads/token-classification` or `tiny-tokcls`.
        public let model: String
        public let aggregation: String
        /// nil: the pipeline's default (["O"]).
        public let ignoreLabels: [String]?
        public let inputs: [String]
        /// Per input, the pipeline's list of dicts.
        public let outputs: [[[String: Any]]]

        public var name: String { "\(model) \(aggregation)" + (ignoreLabels.map { " ignore \($0)" } ?? "") }
    }

    public let cases: [Case]
    /// Per model, per input: `text`, `ids`, `tokens`, `offsets`, `special`, `is_subword`.
    public let tokens: [String: [[String: Any]]]
    public let decode: [(tokens: [String], string: String)]
    public let labels: [String]

    public static func load() throws -> TokenClassificationGolden {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/token-classification.json")))
        let o = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let cases = (o["cases"] as! [[String: Any]]).map { c in
            Case(model: c["model"] as! String, aggregation: c["aggregation"] as! String,
                 ignoreLabels: c["ignore_labels"] as? [String], inputs: c["inputs"] as! [String],
                 outputs: c["outputs"] as! [[[String: Any]]])
        }
        let decode = (o["decode"] as! [[String: Any]]).map { ($0["tokens"] as! [String], $0["string"] as! String) }
        return TokenClassificationGolden(cases: cases, tokens: o["tokens"] as! [String: [[String: Any]]], decode: decode,
                                         labels: o["labels"] as! [String])
    }

    public func cases(model: String) -> [Case] { cases.filter { $0.model == model } }
}

/// Asserts one input's entities equal the pipeline's: the same number, the same keys, strings
/// (as code points) and offsets equal, scores within `scoreTolerance`.
public func assertEntities(_ actual: [[String: Any]], _ expected: [[String: Any]], scoreTolerance: Double, label: String,
                           file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) entities, expected \(expected.count)\n  got \(actual.prefix(4))\n  expected \(expected.prefix(4))",
                file: file, line: line)
        return
    }
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let at = "\(label), entity \(i)"
        guard Set(a.keys) == Set(e.keys) else {
            XCTFail("\(at): keys \(a.keys.sorted()), expected \(e.keys.sorted())", file: file, line: line)
            return
        }
        for (k, ev) in e {
            if let es = ev as? String {
                let av = a[k] as? String
                if av.map({ Array($0.unicodeScalars) }) != Array(es.unicodeScalars) {
                    XCTFail("\(at): \(k) \(av.map(JSONString) ?? "\(String(describing: a[k]))"), expected \(JSONString(es))",
                            file: file, line: line)
                }
            } else if let en = number(ev), let an = number(a[k]) {
                // Offsets and indices exactly; the score within the tolerance.
                if k == "score" ? abs(an - en) > scoreTolerance : an != en {
                    XCTFail("\(at): \(k) \(an), expected \(en)" + (k == "score" ? " (tolerance \(scoreTolerance))" : ""),
                            file: file, line: line)
                }
            } else {
                XCTFail("\(at): \(k) is \(String(describing: a[k])), expected \(ev)", file: file, line: line)
            }
        }
    }
}

/// A JSON number as JSONSerialization gives it (Int, Double or NSNumber).
func number(_ v: Any?) -> Double? {
    switch v {
    case let i as Int: Double(i)
    case let d as Double: d
    case let n as NSNumber: n.doubleValue
    default: nil
    }
}

/// The largest |score − expected score| over matching entities (for reporting the agreement).
public func maxScoreDifference(_ actual: [[String: Any]], _ expected: [[String: Any]]) -> Double {
    zip(actual, expected).map { a, e in
        abs((number(a["score"]) ?? .nan) - (number(e["score"]) ?? .nan))
    }.max() ?? 0
}

private func JSONString(_ s: String) -> String {
    "\"" + s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : String(format: "\\u{%04x}", $0.value) }.joined() + "\""
}
