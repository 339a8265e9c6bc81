import Foundation

/// Where and why a JSON text was refused. `path` is the key path (`id2label.3`).
public struct JSONError: LocalizedError, Equatable {
    public let file: String
    public let line: Int
    public let column: Int
    public let path: String
    public let reason: String

    public var errorDescription: String? {
        let at = path.isEmpty ? "" : " (at key \(path))"
        return "\(file):\(line):\(column): \(reason)\(at)"
    }
}

/// A strict JSON parser (RFC 8259) that also refuses what Python's json module accepts but JSON
/// does not (NaN, Infinity), duplicate keys, and nesting deeper than `maxDepth`. It exists because
/// Foundation's parsers go through Double for numbers and silently keep one of two duplicate keys.
public struct JSONParser {
    public static let defaultMaxDepth = 64

    private let b: [UInt8]
    private let file: String
    private let maxDepth: Int
    private var i = 0
    private var path: [String] = []

    public static func parse(_ bytes: [UInt8], file: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var p = JSONParser(b: bytes, file: file, maxDepth: maxDepth)
        if p.b.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != p.b.count { throw p.error("unexpected text after the JSON value") }
        return v
    }

    public static func parse(contentsOf path: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw JSONError(file: path, line: 0, column: 0, path: "", reason: "cannot read the file")
        }
        return try parse([UInt8](d), file: path, maxDepth: maxDepth)
    }

    private init(b: [UInt8], file: String, maxDepth: Int) {
        self.b = b
        self.file = file
        self.maxDepth = maxDepth
    }

    private func error(_ reason: String) -> JSONError {
        var line = 1, col = 1
        for c in b[0..<min(i, b.count)] { if c == 0x0A { line += 1; col = 1 } else if c & 0xC0 != 0x80 { col += 1 } }
        return JSONError(file: file, line: line, column: col, path: path.joined(separator: "."), reason: reason)
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard i < b.count else { throw error("unexpected end of the file") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw error("NaN and Infinity are not JSON (Python's json.dump writes them unless allow_nan=False)")
        case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "I"):
            throw error("-Infinity is not JSON (Python's json.dump writes it unless allow_nan=False)")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(b[i])))'")
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard b.count - i >= w.count, Array(b[i..<i + w.count]) == w else { throw error("expected '\(word)'") }
        i += w.count
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        i += 1
        var o = JSONObject()
        var seen = Set<String>()
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
            let k = try string()
            guard seen.insert(k).inserted else { throw error("duplicate key \"\(k)\"") }
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(k)\"") }
            i += 1
            skipSpace()
            path.append(k)
            o.appendNew(k, try value(depth: depth))
            path.removeLast()
            skipSpace()
            guard i < b.count else { throw error("unexpected end of the file inside an object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        i += 1
        var a: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
        while true {
            skipSpace()
            path.append(String(a.count))
            a.append(try value(depth: depth))
            path.removeLast()
            skipSpace()
            guard i < b.count else { throw error("unexpected end of the file inside an array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            throw error("expected ',' or ']'")
        }
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        if b[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int { let s = i; while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }; return i - s }
        guard i < b.count else { throw error("incomplete number") }
        if b[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw error("invalid number") }
        if i < b.count, b[i] == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw error("invalid number: no digits after '.'") } }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("invalid number: no digits in the exponent") }
        }
        return .number(String(decoding: b[start..<i], as: UTF8.self))
    }

    private mutating func string() throws -> String {
        i += 1
        var out = [UInt8]()
        while true {
            guard i < b.count else { throw error("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw error("control character U+\(String(format: "%04X", c)) inside a string") }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < b.count else { throw error("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var u = try hex4()
                    if (0xD800...0xDBFF).contains(u) {
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate \\u\(String(u, radix: 16))")
                        }
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00...0xDFFF).contains(lo) else { throw error("unpaired surrogate \\u\(String(u, radix: 16))") }
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(u) {
                        throw error("unpaired surrogate \\u\(String(u, radix: 16))")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(u)!)).utf8))
                default: throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
                continue
            }
            out.append(c)
            i += 1
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return s
    }

    private mutating func hex4() throws -> UInt32 {
        guard b.count - i >= 4, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        i += 4
        return v
    }
}
