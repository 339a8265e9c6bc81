import Foundation
import TestSupport
import XCTest

/// Shared by the inspect and convert CLI tests.
enum CLI {
    static func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            XCTFail("not a JSON object: \(text.prefix(300))", file: file, line: line)
            return [:]
        }
        return o
    }

    /// A copy of a fixture folder that a test may break.
    static func copy(_ fixture: String, to dir: String) throws -> String {
        let out = dir + "/" + fixture
        try FileManager.default.copyItem(atPath: Repo.fixture(fixture), toPath: out)
        return out
    }

    static func listing(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// Asserts a bad-input run: exit 2, one message naming `names` on stderr.
    static func assertBadInput(_ r: ToolRun, names: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 2, "stderr: \(r.stderr)", file: file, line: line)
        for n in names { XCTAssertTrue(r.stderr.contains(n), "stderr lacks \"\(n)\": \(r.stderr)", file: file, line: line) }
    }
}
