@testable import BertTokenizer
import XCTest

/// byte_level.rs `process_offsets` case by case. The conformance corpus reaches only leading spaces
/// (the GPT-2 regex puts a space before its word); a pre-tokenizer without the regex or a Split
/// node leaves tokens that end in one.
final class TrimOffsetsTests: XCTestCase {
    private func trimmed(_ tokens: [(String, Int, Int)], addPrefixSpace: Bool = false) -> [[Int]] {
        var t = tokens.map { OutToken(id: 0, value: $0.0, start: $0.1, end: $0.2) }
        trimOffsets(&t, addPrefixSpace: addPrefixSpace)
        return t.map { [$0.start, $0.end] }
    }

    func testLeadingAndTrailingSpacesLeaveTheOffsets() {
        XCTAssertEqual(trimmed([("ab", 0, 2), ("Ġcd", 2, 5), ("efĠ", 5, 8), ("ĠgĠĠ", 8, 12)]),
                       [[0, 2], [3, 5], [5, 7], [9, 10]])
    }

    func testAllSpaceTokenShrinksToItsEnd() {
        XCTAssertEqual(trimmed([("a", 0, 1), ("ĠĠ", 1, 3)]), [[0, 1], [3, 3]])
    }

    func testTheFirstTokenKeepsOnePrefixSpace() {
        // add_prefix_space put the space there: the first token (or one at offset 0) keeps it.
        XCTAssertEqual(trimmed([("Ġab", 0, 3), ("Ġcd", 3, 6)], addPrefixSpace: true), [[0, 3], [4, 6]])
        XCTAssertEqual(trimmed([("ĠĠab", 0, 4)], addPrefixSpace: true), [[2, 4]])
        XCTAssertEqual(trimmed([("Ġab", 0, 3)], addPrefixSpace: false), [[1, 3]])
    }

    func testOtherWhitespaceCountsAsSpace() {
        XCTAssertEqual(trimmed([("a\n", 0, 2), ("\tb", 2, 4)]), [[0, 1], [3, 4]])
    }
}
