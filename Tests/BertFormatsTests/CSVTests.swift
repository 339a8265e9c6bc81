import BertFormats
import Foundation
import TestSupport
import XCTest

final class CSVTests: XCTestCase {
    private let labels = ["World", "Sports", "Business", "Sci/Tech"]

    private func file(_ text: String) throws -> String {
        let p = Repo.temporaryDirectory() + "/data.csv"
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    func testRFC4180Quoting() throws {
        let r = try CSVReader(bytes: Array("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,x\n\n".utf8), file: "t.csv").records()
        XCTAssertEqual(r.map(\.fields), [["a", "b,c", "say \"hi\""], ["multi\nline", "", "x"]])
        XCTAssertEqual(r.map(\.line), [1, 2])
    }

    func testMalformedQuotingNamesTheLine() {
        let cases: [(String, Int, String)] = [
            ("\"1\",\"ok\"\n\"2\",\"ok\"\n\"3\",\"never closed\n", 3, "never closed"),
            ("\"1\",\"a\"b\n", 1, "text after the closing quote"),
            ("1,a\"b\n", 1, "a quote inside unquoted"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try CSVReader(bytes: Array(text.utf8), file: "t.csv").records()) { e in
                let c = e as! CSVError
                XCTAssertEqual(c.line, line, text)
                XCTAssertTrue(c.problem.contains(fragment), c.problem)
            }
        }
    }

    func testAGNewsLayoutJoinsColumnsAndUsesOneBasedClasses() throws {
        let d = try LabelledDataset(contentsOf: file("\"3\",\"Oil rises\",\"Crude climbed 2%.\"\n\"2\",\"Cup final\",\"A late goal.\"\n"),
                                    labels: labels)
        XCTAssertEqual(d.layout, .agNews)
        XCTAssertEqual(d.examples, [LabelledExample(text: "Oil rises Crude climbed 2%.", label: 2, line: 1),
                                    LabelledExample(text: "Cup final A late goal.", label: 1, line: 2)])
    }

    func testTextLabelHeaderWithNames() throws {
        let d = try LabelledDataset(contentsOf: file("label,text\nsports,\"Cup final, late goal\"\nWorld,Talks resume\n"), labels: labels)
        XCTAssertEqual(d.layout, .textLabel)
        XCTAssertEqual(d.examples.map(\.label), [1, 0])
        XCTAssertEqual(d.examples[0].text, "Cup final, late goal")
    }

    func testBadRowsNameTheLineUnlessSkipped() throws {
        let text = "\"1\",\"fine\"\n\"7\",\"unknown class\"\n\"2\",\"  \"\n\"3\"\n\"4\",\"fine too\"\n"
        XCTAssertThrowsError(try LabelledDataset(contentsOf: file(text), labels: labels)) { e in
            XCTAssertEqual((e as! CSVError).line, 2)
            XCTAssertTrue((e as! CSVError).problem.contains("unknown label 7"))
        }
        let d = try LabelledDataset(contentsOf: file(text), labels: labels, skipBadRows: true)
        XCTAssertEqual(d.examples.map(\.line), [1, 5])
        XCTAssertEqual(d.skipped.count, 3)
        XCTAssertTrue(d.skipped[1].hasPrefix("line 3: the text is empty"))
        XCTAssertTrue(d.skipped[2].hasPrefix("line 4: expected a class and a text"))
    }

    func testInvalidUTF8NamesTheLine() throws {
        let p = Repo.temporaryDirectory() + "/bad.csv"
        try Data(Array("\"1\",\"ok\"\n\"2\",\"".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8)).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try LabelledDataset(contentsOf: p, labels: labels)) { e in
            XCTAssertEqual((e as! CSVError).line, 2)
            XCTAssertTrue((e as! CSVError).problem.contains("UTF-8"))
        }
    }

    func testLabelNamesInFileOrder() throws {
        XCTAssertEqual(try LabelledDataset.labelNames(in: file("text,label\na,pos\nb,neg\nc,pos\n")), ["pos", "neg"])
        XCTAssertEqual(try LabelledDataset.labelNames(in: file("\"3\",\"x\"\n\"1\",\"y\"\n")), ["1", "3"])
    }
}
