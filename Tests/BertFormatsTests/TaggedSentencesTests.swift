import BertFormats
import Foundation
import TestSupport
import XCTest

/// formats/ner.md: CoNLL/IOB2 text and HF JSONL, every rule and every bad-input case.
final class TaggedSentencesTests: XCTestCase {
    func write(_ text: String, _ name: String = "d.conll") throws -> String {
        let p = Repo.temporaryDirectory() + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testCoNLLSentencesTagsInTheLastColumnAndDocstartSkipped() throws {
        let p = try write("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\n\n"
                          + "Peter NNP B-NP B-PER\r\nBlackburn NNP I-NP I-PER\n-DOCSTART- -X- -X- O\nBRUSSELS NNP B-NP B-LOC\n")
        let d = try TaggedSentences(contentsOf: p, labels: nil)
        XCTAssertEqual(d.layout, .conll)
        XCTAssertEqual(d.labels, ["B-LOC", "B-MISC", "B-ORG", "B-PER", "I-PER", "O"], "found tags, sorted (run_ner.py)")
        XCTAssertEqual(d.sentences.map(\.words), [["EU", "rejects", "German"], ["Peter", "Blackburn"], ["BRUSSELS"]])
        XCTAssertEqual(d.sentences.map(\.line), [3, 8, 11])
        XCTAssertEqual(d.sentences[1].tags.map { d.labels[$0] }, ["B-PER", "I-PER"])
        // Tabs separate too, and two columns are enough.
        let tabs = try TaggedSentences(contentsOf: try write("Paris\tB-LOC\nis\tO\n"), labels: ["O", "B-LOC", "I-LOC"])
        XCTAssertEqual(tabs.sentences, [TaggedSentence(words: ["Paris", "is"], tags: [1, 0], line: 1)])
    }

    func testJSONLWithNamesOrIndices() throws {
        let names = try write("{\"id\": \"0\", \"tokens\": [\"EU\", \"rejects\"], \"ner_tags\": [\"B-ORG\", \"O\"]}\n\n"
                              + "{\"tokens\": [], \"ner_tags\": []}\n{\"tokens\": [\"Bonn\"], \"ner_tags\": [\"B-LOC\"]}\n", "d.jsonl")
        let d = try TaggedSentences(contentsOf: names, labels: nil)
        XCTAssertEqual(d.layout, .jsonl)
        XCTAssertEqual(d.labels, ["B-LOC", "B-ORG", "O"])
        XCTAssertEqual(d.sentences.map(\.line), [1, 4], "the empty sentence is dropped")
        let labels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
        let indices = try write("{\"tokens\": [\"EU\", \"rejects\", \"German\"], \"ner_tags\": [3, 0, 7]}\n", "i.jsonl")
        XCTAssertEqual(try TaggedSentences(contentsOf: indices, labels: labels).sentences[0].tags, [3, 0, 7])
        XCTAssertThrowsError(try TaggedSentences(contentsOf: indices, labels: nil)) {
            XCTAssertEqual(($0 as? TaggedDataError)?.errorDescription, "\(indices):1: ner_tags holds class indices; give the tag names with --labels")
        }
    }

    func assertBad(_ text: String, _ name: String = "d.conll", labels: [String]? = nil, strict: Bool = false, line: Int, says: String,
                   file: StaticString = #filePath, at: UInt = #line) throws {
        let p = try write(text, name)
        XCTAssertThrowsError(try TaggedSentences(contentsOf: p, labels: labels, strict: strict), file: file, line: at) {
            let e = $0 as? TaggedDataError
            XCTAssertEqual(e?.line, line, "\($0)", file: file, line: at)
            XCTAssertTrue(e?.errorDescription?.hasPrefix("\(p):\(line): ") == true, "\($0)", file: file, line: at)
            XCTAssertTrue(e?.problem.contains(says) == true, "\(e?.problem ?? "\($0)") lacks \(says)", file: file, line: at)
        }
    }

    func testBadInputNamesFileAndLine() throws {
        try assertBad("EU NNP B-ORG\nrejects VBZ O\nGerman B-MISC\n", line: 3, says: "expected 3 columns as on line 1, found 2")
        try assertBad("EU B-ORG\n\nalone\n", line: 3, says: "needs a word and a tag")
        try assertBad("EU B-ORG\nrejects O\n\nParis B-PLACE\n", labels: ["O", "B-ORG", "I-ORG"], line: 4,
                      says: "tag \"B-PLACE\" is not one of the labels (O, B-ORG, I-ORG)")
        try assertBad("The O\nBank I-ORG\n", strict: true, line: 2, says: "I-ORG follows O; IOB2 (--strict) begins every entity with B-ORG")
        try assertBad("Bank B-ORG\nof I-LOC\n", strict: true, line: 2, says: "I-LOC follows B-ORG")
        try assertBad("Bank E-ORG\n", strict: true, line: 1, says: "is not O, B-… or I-…")
        try assertBad("{\"tokens\": [\"a\"], \"ner_tags\": [\"O\"]}\n{\"tokens\": [\"a\", \"b\"], \"ner_tags\": [\"O\"]}\n", "d.jsonl",
                      line: 2, says: "ner_tags has 1 tags for 2 tokens")
        try assertBad("{\"tokens\": [\"a\"], \"ner_tags\": [9]}\n", "d.jsonl", labels: ["O", "B-X"], line: 1,
                      says: "ner_tags[0]: class 9 is outside 0..<2")
        try assertBad("{\"tokens\": [\"a\"], \"ner_tags\": [\"O\"]\n", "d.jsonl", line: 1, says: "not JSON")
        try assertBad("{\"tokens\": [1], \"ner_tags\": [\"O\"]}\n", "d.jsonl", line: 1, says: "tokens[0]: expected a string")
        // Not strict: an I- after O is allowed (IOB1, conlleval).
        XCTAssertEqual(try TaggedSentences(contentsOf: try write("The O\nBank I-ORG\n"), labels: nil).sentences.count, 1)
    }

    func testSkipBadRowsDropsTheSentenceAndCountsIt() throws {
        let p = try write("EU B-ORG\nrejects O\n\nParis B-PLACE\nis O\n\nBonn B-LOC\nx y z\n\nBerlin B-LOC\n")
        let d = try TaggedSentences(contentsOf: p, labels: ["O", "B-ORG", "B-LOC"], skipBadRows: true)
        XCTAssertEqual(d.sentences.map(\.words), [["EU", "rejects"], ["Berlin"]])
        XCTAssertEqual(d.skipped.count, 2)
        XCTAssertTrue(d.skipped[0].hasPrefix("line 4: tag \"B-PLACE\""), d.skipped[0])
        XCTAssertTrue(d.skipped[1].hasPrefix("line 8: expected 2 columns"), d.skipped[1])
    }
}
