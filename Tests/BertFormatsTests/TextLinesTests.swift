import BertFormats
import Foundation
import TestSupport
import XCTest

/// formats/text-lines.md, rule by rule.
final class TextLinesTests: XCTestCase {
    func read(_ s: String, skip: Bool = false) throws -> TextLinesDataset {
        try TextLinesDataset(bytes: Array(s.utf8), file: "docs.txt", skipBadRows: skip)
    }

    func testOneDocumentPerLineWithLFOrCRLFAndAnOptionalFinalLineEnd() throws {
        for text in ["one doc\ntwo doc", "one doc\ntwo doc\n", "one doc\r\ntwo doc\r\n", "\u{FEFF}one doc\ntwo doc"] {
            let d = try read(text)
            XCTAssertEqual(d.documents.map(\.text), ["one doc", "two doc"], text.debugDescription)
            XCTAssertEqual(d.documents.map(\.line), [1, 2])
            XCTAssertEqual(d.skipped, [])
        }
        XCTAssertEqual(try TextLinesDataset(contentsOf: Repo.golden("data/mlm/train.txt")).documents.count, 240)
    }

    func testAnEmptyOrBlankLineIsAnErrorNamingFileAndLine() {
        XCTAssertThrowsError(try read("a\n\nb\n")) {
            XCTAssertEqual($0 as? TextLinesError, TextLinesError(file: "docs.txt", line: 2, problem: "the line is empty; every line must be one document"))
            XCTAssertEqual($0.localizedDescription, "docs.txt:2: the line is empty; every line must be one document")
        }
        XCTAssertThrowsError(try read("a\nb\n \t\n")) { XCTAssertEqual(($0 as? TextLinesError)?.line, 3) }
        // Two line ends at the end of the file are an empty last line.
        XCTAssertThrowsError(try read("a\n\n")) { XCTAssertEqual(($0 as? TextLinesError)?.line, 2) }
    }

    func testSkipBadRowsSkipsAndCountsBlankLines() throws {
        let d = try read("a\n\n  \nb\n", skip: true)
        XCTAssertEqual(d.documents.map(\.text), ["a", "b"])
        XCTAssertEqual(d.documents.map(\.line), [1, 4])
        XCTAssertEqual(d.skipped, ["line 2: the line is empty", "line 3: the line holds only whitespace"])
    }

    func testInvalidUTF8AndNoDocumentsAreErrorsEvenWhenSkipping() {
        XCTAssertThrowsError(try TextLinesDataset(bytes: [0x61, 0x0A, 0xFF, 0x62], file: "docs.txt", skipBadRows: true)) {
            XCTAssertEqual($0 as? TextLinesError, TextLinesError(file: "docs.txt", line: 2, problem: "the line is not valid UTF-8"))
        }
        XCTAssertThrowsError(try read("\n \n", skip: true)) {
            XCTAssertEqual($0 as? TextLinesError, TextLinesError(file: "docs.txt", line: 0, problem: "no documents (no non-blank line)"))
        }
        XCTAssertThrowsError(try read("")) { XCTAssertEqual(($0 as? TextLinesError)?.line, 0) }
        XCTAssertThrowsError(try TextLinesDataset(contentsOf: "/nonexistent/docs.txt")) {
            XCTAssertEqual($0.localizedDescription, "/nonexistent/docs.txt: cannot read the file")
        }
    }
}
