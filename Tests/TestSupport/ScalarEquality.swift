import XCTest

/// Strings equal scalar by scalar: Swift's `==` equates canonically equivalent strings ("é" and
/// "e\u{301}"), which would hide a normalization difference from a golden.
public func sameScalars(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

/// Asserts two lists of strings are equal scalar by scalar; the failure shows the first differing pair.
public func assertSameScalars(_ got: [String], _ want: [String], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    guard got.count == want.count else {
        return XCTFail("\(label): \(got.count) strings, expected \(want.count): \(got) vs \(want)", file: file, line: line)
    }
    if let i = got.indices.first(where: { !sameScalars(got[$0], want[$0]) }) {
        XCTFail("\(label) [\(i)]: \(got[i].debugDescription) != \(want[i].debugDescription) (scalars \(got[i].unicodeScalars.map { String($0.value, radix: 16) }) vs \(want[i].unicodeScalars.map { String($0.value, radix: 16) }))",
                file: file, line: line)
    }
}
