import BertFormats
import Foundation
import TestSupport
import XCTest

/// formats/squad.md, rule by rule.
final class SQuADDatasetTests: XCTestCase {
    private func file(_ text: String, _ name: String = "squad.json", function: String = #function) throws -> String {
        let p = Repo.temporaryDirectory(function) + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    private let context = "The Eiffel Tower was completed in 1889 in Paris."

    private func squad(_ qas: String, version: String = "1.1") -> String {
        """
        {"version": "\(version)", "data": [{"title": "Eiffel", "paragraphs": [{"context": "\(context)", "qas": [\(qas)]}]}]}
        """
    }

    func testSQuADV1JSONReadsEveryQuestionWithItsAnswers() throws {
        let d = try SQuADDataset(contentsOf: file(squad("""
            {"id": "q1", "question": "When?", "answers": [{"text": "1889", "answer_start": 34}, {"text": "in 1889", "answer_start": 31}]},
            {"id": "q2", "question": "Where?", "answers": [{"text": "Paris", "answer_start": 42}]}
            """)))
        XCTAssertEqual(d.layout, .squadJSON)
        XCTAssertEqual(d.version, "1.1")
        XCTAssertFalse(d.hasImpossible)
        XCTAssertEqual(d.examples.map(\.id), ["q1", "q2"])
        XCTAssertEqual(d.examples[0], SQuADExample(id: "q1", title: "Eiffel", context: context, question: "When?",
                                                   answers: [SQuADAnswer(text: "1889", start: 34), SQuADAnswer(text: "in 1889", start: 31)],
                                                   location: "data[0].paragraphs[0].qas[0]"))
    }

    func testSQuADV2ImpossibleQuestionsHaveNoAnswers() throws {
        let d = try SQuADDataset(contentsOf: file(squad("""
            {"id": "q1", "question": "Who?", "answers": [], "is_impossible": true, "plausible_answers": [{"text": "Paris", "answer_start": 42}]},
            {"id": "q2", "question": "Where?", "answers": [{"text": "Paris", "answer_start": 42}], "is_impossible": false}
            """, version: "v2.0")))
        XCTAssertTrue(d.hasImpossible)
        XCTAssertEqual(d.examples.map(\.isImpossible), [true, false])
    }

    func testJSONLAsHFDatasetsExportsIt() throws {
        let line1 = #"{"id": "a", "title": "T", "context": "\#(context)", "question": "When?", "answers": {"text": ["1889"], "answer_start": [34]}}"#
        let line2 = #"{"id": "b", "title": "T", "context": "\#(context)", "question": "Who?", "answers": {"text": [], "answer_start": []}}"#
        let d = try SQuADDataset(contentsOf: file(line1 + "\r\n" + line2 + "\n\n", "squad.jsonl"))
        XCTAssertEqual(d.layout, .jsonl)
        XCTAssertNil(d.version)
        XCTAssertEqual(d.examples.map(\.answers), [[SQuADAnswer(text: "1889", start: 34)], []])
        XCTAssertEqual(d.examples.map(\.location), ["line 1", "line 2"])
        XCTAssertTrue(d.hasImpossible)
    }

    func testAnswerStartCountsCodePoints() throws {
        // "é" is two UTF-8 bytes and "👍" two UTF-16 units: one code point each, as Python counts.
        let c = "Café 👍 au lait"
        let d = try SQuADDataset(contentsOf: file(#"{"id": "x", "context": "\#(c)", "question": "What?", "answers": {"text": ["au"], "answer_start": [7]}}"#))
        XCTAssertEqual(d.examples[0].answers, [SQuADAnswer(text: "au", start: 7)])
    }

    func testAnAnswerStartThatDoesNotMatchItsTextNamesTheJSONPath() throws {
        let path = try file(squad("""
            {"id": "q1", "question": "When?", "answers": [{"text": "1889", "answer_start": 34}]},
            {"id": "q2", "question": "Where?", "answers": [{"text": "Paris", "answer_start": 40}]}
            """))
        XCTAssertThrowsError(try SQuADDataset(contentsOf: path)) { e in
            let s = e as! SQuADError
            XCTAssertEqual(s.file, path)
            XCTAssertEqual(s.location, "data[0].paragraphs[0].qas[1].answers[0].answer_start")
            XCTAssertEqual(s.problem, "answer_start 40 does not match the text: the context there reads \"n Par\", "
                + "the answer is \"Paris\"; the text occurs at 42")
        }
    }

    func testAnAnswerStartThatDoesNotMatchInJSONLNamesTheLine() throws {
        let path = try file(#"{"id": "a", "context": "\#(context)", "question": "When?", "answers": {"text": ["1889"], "answer_start": [99]}}"#)
        XCTAssertThrowsError(try SQuADDataset(contentsOf: path)) { e in
            XCTAssertEqual((e as! SQuADError).location, "line 1: answers[0].answer_start")
            XCTAssertTrue((e as! SQuADError).problem.contains("outside the 48-character context"), "\(e)")
        }
    }

    func testSkipBadRowsCountsBadQuestionsAndKeepsTheRest() throws {
        let path = try file(squad("""
            {"id": "q1", "question": "When?", "answers": [{"text": "1889", "answer_start": 30}]},
            {"id": "q2", "question": "Where?", "answers": [{"text": "Paris", "answer_start": 42}]},
            {"id": "q2", "question": "Again?", "answers": [{"text": "Paris", "answer_start": 42}]},
            {"id": "q4", "question": "", "answers": []},
            {"id": "q5", "question": "Who?", "answers": [{"text": "Paris", "answer_start": 42}], "is_impossible": true}
            """))
        XCTAssertThrowsError(try SQuADDataset(contentsOf: path))
        let d = try SQuADDataset(contentsOf: path, skipBadRows: true)
        XCTAssertEqual(d.examples.map(\.id), ["q2"])
        XCTAssertEqual(d.skipped, [
            "data[0].paragraphs[0].qas[0].answers[0].answer_start: answer_start 30 does not match the text: the context there reads \" in \", the answer is \"1889\"; the text occurs at 34",
            "data[0].paragraphs[0].qas[2]: duplicate id \"q2\" (first at data[0].paragraphs[0].qas[1])",
            "data[0].paragraphs[0].qas[3].question: is empty",
            "data[0].paragraphs[0].qas[4].answers: is_impossible is true but there are 1 answers",
        ])
    }

    func testSkipBadRowsInJSONLSkipsLinesThatAreNotJSON() throws {
        let good = #"{"id": "a", "context": "\#(context)", "question": "When?", "answers": {"text": ["1889"], "answer_start": [34]}}"#
        let path = try file(good + "\n{\"id\": \"b\", oops\n" + #"{"id": "c", "context": "x", "question": "q", "answers": {"text": ["x", "y"], "answer_start": [0]}}"#)
        XCTAssertThrowsError(try SQuADDataset(contentsOf: path)) { e in XCTAssertEqual((e as! SQuADError).location, "line 2") }
        let d = try SQuADDataset(contentsOf: path, skipBadRows: true)
        XCTAssertEqual(d.examples.map(\.id), ["a"])
        XCTAssertEqual(d.skipped.count, 2)
        XCTAssertTrue(d.skipped[1].hasPrefix("line 3: answers: 2 texts but 1 answer_start values"), d.skipped[1])
    }

    func testStructuralErrorsFailEvenWhenSkipping() throws {
        let cases: [(String, String)] = [
            (#"{"data": {"title": "x"}}"#, "data"),
            (#"{"data": [{"title": "x"}]}"#, "data[0].paragraphs"),
            (#"{"data": [{"paragraphs": [{"context": "c"}]}]}"#, "data[0].paragraphs[0].qas"),
        ]
        for (text, location) in cases {
            XCTAssertThrowsError(try SQuADDataset(contentsOf: file(text), skipBadRows: true), text) { e in
                XCTAssertEqual((e as! SQuADError).location, location, text)
            }
        }
    }

    func testBrokenSQuADJSONSaysWhereItBreaks() throws {
        let path = try file("{\"version\": \"1.1\",\n \"data\": [\n {\"title\": }]}")
        XCTAssertThrowsError(try SQuADDataset(contentsOf: path)) { e in
            XCTAssertEqual((e as! SQuADError).location, "line 3 column 12", "\(e)")
        }
    }

    func testNoQuestionsIsAnError() throws {
        XCTAssertThrowsError(try SQuADDataset(contentsOf: file(#"{"data": []}"#))) { e in
            XCTAssertEqual((e as! SQuADError).problem, "no questions")
        }
        XCTAssertThrowsError(try SQuADDataset(contentsOf: Repo.temporaryDirectory() + "/missing.json")) { e in
            XCTAssertEqual((e as! SQuADError).problem, "cannot read the file")
        }
    }
}
