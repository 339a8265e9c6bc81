@testable import BertFormats
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(Array(s.utf8), file: "t.json") }

    private func assertRefused(_ s: String, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try parse(s), line: line) { e in
            let m = (e as? JSONError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains(fragment), "message \"\(m)\" lacks \"\(fragment)\"", line: line)
            XCTAssertTrue(m.hasPrefix("t.json:"), "message names the file", line: line)
        }
    }

    func testKeepsKeyOrderAndExactIntegers() throws {
        let v = try parse(#"{"b": 1, "a": 18446744073709551615, "c": -0.5e3, "d": [true, null, "x\u00e9\ud83d\ude00"]}"#)
        let o = try XCTUnwrap(v.objectValue)
        XCTAssertEqual(o.keys, ["b", "a", "c", "d"])
        XCTAssertEqual(o["b"]?.intValue, 1)
        XCTAssertNil(o["a"]?.intValue, "beyond Int64 must not round through Double")
        XCTAssertEqual(o["a"], .number("18446744073709551615"))
        XCTAssertNil(o["c"]?.intValue)
        XCTAssertEqual(o["c"]?.doubleValue, -500)
        XCTAssertEqual(o["d"]?.arrayValue?[2].stringValue, "xé😀")
    }

    func testRoundTripsThroughTheWriter() throws {
        let text = #"{"z": [1, 2.50, {"q": "a\"b\\c\n"}], "e": {}, "n": null}"#
        let v = try parse(text)
        XCTAssertEqual(try parse(v.serialized()), v)
        XCTAssertEqual(try parse(v.serialized(indent: 0)), v)
    }

    func testRefusals() {
        assertRefused(#"{"a": NaN}"#, "NaN and Infinity are not JSON")
        assertRefused(#"{"a": Infinity}"#, "NaN and Infinity")
        assertRefused(#"{"a": -Infinity}"#, "-Infinity")
        assertRefused(#"{"a": 1, "a": 2}"#, "duplicate key \"a\"")
        assertRefused(String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nesting deeper")
        assertRefused(#"{"a": 01}"#, "expected ',' or '}'")
        assertRefused(#"{"a": 1,}"#, "expected a key")
        assertRefused(#"{"a": "\ud800"}"#, "unpaired surrogate")
        assertRefused("{\"a\": \"x\ty\"}", "control character")
        assertRefused(#"{"a": 1} x"#, "unexpected text after")
        assertRefused(#"{"a": "#, "unexpected end")
    }

    func testErrorsNameLineAndKeyPath() {
        XCTAssertThrowsError(try parse("{\n  \"outer\": {\n    \"inner\": NaN\n  }\n}")) { e in
            let j = e as! JSONError
            XCTAssertEqual(j.line, 3)
            XCTAssertEqual(j.path, "outer.inner")
        }
    }

    func testInvalidUTF8IsRefused() {
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22], file: "bad.json")) { e in
            XCTAssertTrue((e as! JSONError).reason.contains("UTF-8"))
        }
    }
}
