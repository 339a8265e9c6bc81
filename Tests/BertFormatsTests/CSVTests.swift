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

    func testRegressionTargetsAreFiniteNumbersOnePerLabel() throws {
        let d = try LabelledDataset(contentsOf: file("text,label\na,1.5; -2\nb,0;1e-3\n"), labels: ["x", "y"], problem: .regression)
        XCTAssertEqual(d.examples.map(\.values), [[1.5, -2], [0, 0.001]])
        let cases: [(String, String)] = [("abc;1", "expected a number as the regression target, found \"abc\""),
                                         ("nan;1", "expected a finite regression target, found \"nan\""),
                                         ("1;inf", "expected a finite regression target, found \"inf\""),
                                         ("1;1e39", "expected a finite regression target, found \"1e39\""),  // beyond Float
                                         ("1", "expected 2 regression targets separated by ';', found 1"),
                                         (";1", "expected a number as the regression target, found \"\"")]
        for (label, problem) in cases {
            XCTAssertThrowsError(try LabelledDataset(contentsOf: file("text,label\nfine,1;2\nbad,\(label)\n"), labels: ["x", "y"],
                                                     problem: .regression)) { e in
                XCTAssertEqual((e as? CSVError)?.line, 3, label)
                XCTAssertTrue((e as? CSVError)?.problem.contains(problem) == true, "\(e)")
            }
        }
    }

    func testMultiLabelListsNamesOrOneBasedNumbersPossiblyNone() throws {
        let d = try LabelledDataset(contentsOf: file("text,label\na,Sports;world\nb,\nc,4; 1\n"), labels: labels, problem: .multiLabel)
        XCTAssertEqual(d.examples.map(\.values), [[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1]])
        for (label, problem) in [("Sports;Weather", "unknown label \"Weather\""), ("0", "unknown label 0"), ("5", "unknown label 5")] {
            let text = "text,label\nfine,World\nbad,\(label)\nfine,Sports\n"
            XCTAssertThrowsError(try LabelledDataset(contentsOf: file(text), labels: labels, problem: .multiLabel)) { e in
                XCTAssertEqual((e as? CSVError)?.line, 3, label)
                XCTAssertTrue((e as? CSVError)?.problem.contains(problem) == true, "\(e)")
            }
            let skipped = try LabelledDataset(contentsOf: file(text), labels: labels, problem: .multiLabel, skipBadRows: true)
            XCTAssertEqual(skipped.examples.map(\.line), [2, 4])
            XCTAssertEqual(skipped.skipped.count, 1)
        }
        XCTAssertEqual(try LabelledDataset.labelNames(in: file("text,label\na,pos;neg\nb,\nc,odd\n"), problem: .multiLabel),
                       ["pos", "neg", "odd"])
    }

    func testOtherProblemTypesNeedTheHeaderLayout() {
        XCTAssertThrowsError(try LabelledDataset(contentsOf: file("\"1\",\"a\"\n"), labels: labels, problem: .multiLabel)) { e in
            XCTAssertEqual((e as? CSVError)?.line, 1)
            XCTAssertTrue((e as? CSVError)?.problem.contains("expected a header naming text and label") == true, "\(e)")
        }
    }
}
