import BertFormats

/// One encoding as a JSON line: {"input_ids", "token_type_ids", "attention_mask", "tokens",
/// "offsets"}, written straight into bytes so a large corpus does not go through JSONValue.
public enum EncodingJSON {
    public static func append(_ e: Encoding, to out: inout [UInt8]) {
        out += #"{"input_ids":["#.utf8
        ints(e.inputIds, &out)
        out += #"],"token_type_ids":["#.utf8
        ints(e.tokenTypeIds, &out)
        out += #"],"attention_mask":["#.utf8
        ints(e.attentionMask, &out)
        out += #"],"tokens":["#.utf8
        for (k, t) in e.tokens.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            string(t, &out)
        }
        out += #"],"offsets":["#.utf8
        for (k, r) in e.offsets.enumerated() {
            out += k > 0 ? Array(",[".utf8) : Array("[".utf8)
            int(r.lowerBound, &out)
            out.append(UInt8(ascii: ","))
            int(r.upperBound, &out)
            out.append(UInt8(ascii: "]"))
        }
        out += "]}\n".utf8
    }

    private static func ints(_ a: [Int], _ out: inout [UInt8]) {
        for (k, v) in a.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            int(v, &out)
        }
    }

    private static func int(_ v: Int, _ out: inout [UInt8]) {
        if v < 0 { return out += Array(String(v).utf8) }
        if v < 10 { return out.append(UInt8(truncatingIfNeeded: v) + 48) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0, x = v
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 {
                d[n] = UInt8(truncatingIfNeeded: x % 10) + 48
                x /= 10
                n += 1
            }
            while n > 0 {
                n -= 1
                out.append(d[n])
            }
        }
    }

    /// A JSON string; printable ASCII without quotes or backslashes (most tokens) is copied as is.
    private static func string(_ s: String, _ out: inout [UInt8]) {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out.append(0x22)
            out += s.utf8
            out.append(0x22)
        } else {
            out += JSONValue.quote(s).utf8
        }
    }

    /// The same object as a `JSONValue`.
    public static func value(_ e: Encoding) -> JSONValue {
        .object(JSONObject([
            ("input_ids", .array(e.inputIds.map { .int($0) })),
            ("token_type_ids", .array(e.tokenTypeIds.map { .int($0) })),
            ("attention_mask", .array(e.attentionMask.map { .int($0) })),
            ("tokens", .array(e.tokens.map { .string($0) })),
            ("offsets", .array(e.offsets.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })),
        ]))
    }
}
