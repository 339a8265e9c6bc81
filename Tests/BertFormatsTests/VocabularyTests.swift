import BertFormats
import Foundation
import TestSupport
import XCTest

final class VocabularyTests: XCTestCase {
    private func write(_ bytes: [UInt8]) throws -> String {
        let p = Repo.temporaryDirectory() + "/vocab.txt"
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func testReadsLikeTransformersLoadVocab() throws {
        // Universal newlines; only the newline is stripped, so " x" and "y " keep their spaces;
        // a final newline adds nothing; an empty line is a real (empty) token.
        let v = try Vocabulary(contentsOf: write(Array("[PAD]\r\n x\ry \n\n##é\n".utf8)))
        XCTAssertEqual(v.tokens, ["[PAD]", " x", "y ", "", "##é"])
        XCTAssertEqual(v["##é"], 4)
        XCTAssertEqual(v[""], 3)
    }

    func testDuplicateTokensNameBothLines() throws {
        let p = try write(Array("[PAD]\nthe\nof\nthe\n".utf8))
        XCTAssertThrowsError(try Vocabulary(contentsOf: p)) { e in
            let m = (e as! VocabularyError).errorDescription!
            XCTAssertTrue(m.hasPrefix(p + ":4:"), m)
            XCTAssertTrue(m.contains("also on line 2"), m)
        }
    }

    func testInvalidUTF8NamesTheLine() throws {
        let p = try write([0x61, 0x0A, 0xC3, 0x28, 0x0A])
        XCTAssertThrowsError(try Vocabulary(contentsOf: p)) { e in
            XCTAssertEqual((e as! VocabularyError).line, 2)
        }
    }

    func testEmptyFileIsRefused() throws {
        XCTAssertThrowsError(try Vocabulary(contentsOf: write([])))
    }

    func testFileContentsRoundTrip() throws {
        let v = try Vocabulary(tokens: ["[PAD]", "a b", "##x"])
        XCTAssertEqual(try Vocabulary(contentsOf: write([UInt8](v.fileContents))), v)
    }
}
