import BertFormats
import Foundation
import TestSupport
import XCTest

/// formats/multiple-choice.md, rule by rule.
final class MultipleChoiceDataTests: XCTestCase {
    func write(_ text: String, _ name: String) -> String {
        let p = Repo.temporaryDirectory() + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func testSwagCSVLayout() throws {
        let d = try MultipleChoiceDataset(contentsOf: Repo.golden("data/multiple-choice/train.csv"))
        XCTAssertEqual(d.layout, .csv)
        XCTAssertEqual(d.choices, 4)
        XCTAssertEqual(d.examples.count, 20)
        let e = d.examples[1]
        XCTAssertEqual(e.context, "A boy kicks a ball toward the goal.")
        XCTAssertEqual(e.stem, "The goalkeeper")
        XCTAssertEqual(e.label, 1)
        XCTAssertEqual(e.line, 3)
        // run_swag's second sentence: f"{sent2} {ending}".
        XCTAssertEqual(e.secondSegments[1], "The goalkeeper dives and catches the ball.")
        // Any column order, other columns ignored, two or more endings.
        let p = write("label,ending1,sent2,x,ending0,sent1\n0,no,The,?,yes,A b.\n", "mc.csv")
        let two = try MultipleChoiceDataset(contentsOf: p)
        XCTAssertEqual(two.examples, [MultipleChoiceExample(context: "A b.", stem: "The", endings: ["yes", "no"], label: 0, line: 2)])
    }

    func testJSONLLayout() throws {
        let p = write("""
            {"sent1": "A b.", "sent2": "It", "ending0": "x", "ending1": "y", "ending2": "z", "label": 2}

            {"sent1": "C d.", "sent2": "", "ending0": "x", "ending1": "y", "ending2": "z", "label": "0", "gold-source": "gen"}
            """, "mc.jsonl")
        let d = try MultipleChoiceDataset(contentsOf: p)
        XCTAssertEqual(d.layout, .jsonl)
        XCTAssertEqual(d.choices, 3)
        XCTAssertEqual(d.examples.map(\.label), [2, 0])
        XCTAssertEqual(d.examples.map(\.line), [1, 3])
        XCTAssertEqual(d.examples[1].secondSegments[0], " x", "run_swag's f-string keeps the space of an empty sent2")
    }

    func testLabelOutOfRangeIsAnErrorNamingFileAndLine() {
        let csv = write("sent1,sent2,ending0,ending1,label\nA.,B,x,y,1\nA.,B,x,y,2\n", "mc.csv")
        XCTAssertThrowsError(try MultipleChoiceDataset(contentsOf: csv)) {
            XCTAssertEqual($0.localizedDescription, "\(csv):3: the label 2 is out of range: there are 2 endings (0...1)")
        }
        let neg = write("sent1,sent2,ending0,ending1,label\nA.,B,x,y,-1\n", "mc.csv")
        XCTAssertThrowsError(try MultipleChoiceDataset(contentsOf: neg)) { XCTAssertEqual(($0 as? MultipleChoiceDataError)?.line, 2) }
        let jsonl = write("{\"sent1\":\"A\",\"sent2\":\"B\",\"ending0\":\"x\",\"ending1\":\"y\",\"label\":0}\n{\"sent1\":\"A\",\"sent2\":\"B\",\"ending0\":\"x\",\"ending1\":\"y\",\"label\":5}\n", "mc.jsonl")
        XCTAssertThrowsError(try MultipleChoiceDataset(contentsOf: jsonl)) {
            XCTAssertEqual($0.localizedDescription, "\(jsonl):2: the label 5 is out of range: there are 2 endings (0...1)")
        }
    }

    func testOtherBadRows() {
        let cases: [(String, String, String)] = [
            ("sent1,sent2,ending0,label\nA,B,x,0\n", "mc.csv", ":1: expected a header naming sent1, sent2, ending0, ending1, … and label; missing ending1 (found sent1, sent2, ending0, label)"),
            ("sent1,sent2,ending0,ending1,label\nA,B,x,y,one\n", "mc.csv", ":2: the label \"one\" is not an ending index (0...1)"),
            ("sent1,sent2,ending0,ending1,label\nA,B,x\n", "mc.csv", ":2: expected 5 columns as the header, found 3"),
            ("{\"sent1\":\"A\",\"sent2\":\"B\",\"ending0\":\"x\",\"ending1\":\"y\",\"label\":0}\n{\"sent1\":\"A\",\"sent2\":\"B\",\"ending0\":\"x\",\"label\":0}\n", "mc.jsonl", ":2: expected 2 endings (ending0, ending1, …), found 1"),
            ("{\"sent1\":\"A\",\"ending0\":\"x\",\"ending1\":\"y\",\"label\":0}\n", "mc.jsonl", ":1: no \"sent2\" key"),
            ("[1]\n", "mc.jsonl", ":1: expected a JSON object, found an array"),
            ("{\"sent1\":\"A\",\"sent2\":\"B\",\"ending0\":\"x\",\"ending1\":\"y\",\"label\":0.5}\n", "mc.jsonl", ":1: \"label\" is a fractional number (0.5), expected an integer"),
        ]
        for (text, name, message) in cases {
            let p = write(text, name)
            XCTAssertThrowsError(try MultipleChoiceDataset(contentsOf: p), message) { XCTAssertEqual($0.localizedDescription, p + message) }
        }
    }

    func testSkipBadRowsCountsThem() throws {
        let p = write("sent1,sent2,ending0,ending1,label\nA.,B,x,y,1\nA.,B,x,y,2\nC.,D,x,y,0\n", "mc.csv")
        let d = try MultipleChoiceDataset(contentsOf: p, skipBadRows: true)
        XCTAssertEqual(d.examples.map(\.line), [2, 4])
        XCTAssertEqual(d.skipped, ["line 3: the label 2 is out of range: there are 2 endings (0...1)"])
        XCTAssertThrowsError(try MultipleChoiceDataset(contentsOf: write("sent1,sent2,ending0,ending1,label\nA.,B,x,y,7\n", "mc.csv"), skipBadRows: true)) {
            XCTAssertEqual(($0 as? MultipleChoiceDataError)?.problem, "no examples")
        }
    }
}
