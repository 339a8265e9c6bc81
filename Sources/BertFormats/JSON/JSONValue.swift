/// A JSON document as bertkit reads it: object keys keep their order (so a round trip keeps the
/// file's layout) and numbers keep their literal text (so integers are exact, never via Double).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, e.g. `12`, `-3`, `1e-12`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func int(_ v: Int) -> JSONValue { .number(String(v)) }
    public static func double(_ v: Double) -> JSONValue {
        precondition(v.isFinite, "JSON has no NaN or Infinity")
        if v == v.rounded(), abs(v) < 1e15 { return .number(String(Int64(v)) + ".0") }
        return .number("\(v)")
    }

    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var isNull: Bool { self == .null }

    /// The number as an exact integer: nil for fractions, exponents or values outside Int64.
    public var intValue: Int? {
        guard case .number(let s) = self, !s.contains(where: { ".eE".contains($0) }) else { return nil }
        return Int(s)
    }

    public var doubleValue: Double? { if case .number(let s) = self { Double(s) } else { nil } }

    /// A short name of the kind, for "expected X, found Y" messages.
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let s): Self.describe(number: s)
        case .string(let s): "a string (\"\(s.prefix(40))\")"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue {
    /// A number literal for messages, saying when it is out of range (integers are read exactly, as
    /// 64-bit values; other numbers as doubles).
    static func describe(number s: String) -> String {
        if !s.contains(where: { ".eE".contains($0) }) {
            return Int(s) != nil ? "an integer (\(s))" : "\(s), an integer out of range (past ±2^63)"
        }
        guard let d = Double(s), d.isFinite else { return "\(s), a number out of range (past ±1.8e308)" }
        return s.contains(".") ? "a fractional number (\(s))" : "a number with an exponent (\(s))"
    }
}

/// An object with its keys in file order. Keys are unique: the parser refuses duplicates.
public struct JSONObject: Equatable, Sendable, Sequence {
    public private(set) var entries: [(key: String, value: JSONValue)] = []

    public init() {}
    public init(_ entries: [(String, JSONValue)]) { for (k, v) in entries { self[k] = v } }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public subscript(key: String) -> JSONValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key, v))
            }
        }
    }

    /// Appends a key the caller knows is new (the parser checks duplicates with a set), so that
    /// reading an object of n keys (a tokenizer.json vocabulary) is O(n), not O(n²).
    mutating func appendNew(_ key: String, _ value: JSONValue) { entries.append((key, value)) }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { entries.makeIterator() }
}
