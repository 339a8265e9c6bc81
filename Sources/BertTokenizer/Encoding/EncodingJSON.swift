import BertFormats

/// One encoding as a JSON line: {"input_ids", "token_type_ids", "attention_mask", "tokens",
/// "offsets"}, written straight into bytes so a large corpus does not go through JSONValue.
public enum EncodingJSON {
    public static func append(_ e: Encoding, to out: inout [UInt8]) {
        func ints(_ key: String, _ a: [Int]) {
            out += Array("\"\(key)\":[".utf8)
            for (k, v) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out += Array(String(v).utf8)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "{"))
        ints("input_ids", e.inputIds)
        out.append(UInt8(ascii: ","))
        ints("token_type_ids", e.tokenTypeIds)
        out.append(UInt8(ascii: ","))
        ints("attention_mask", e.attentionMask)
        out += Array(",\"tokens\":[".utf8)
        for (k, t) in e.tokens.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(JSONValue.quote(t).utf8)
        }
        out += Array("],\"offsets\":[".utf8)
        for (k, r) in e.offsets.enumerated() {
            out += Array("\(k > 0 ? "," : "")[\(r.lowerBound),\(r.upperBound)]".utf8)
        }
        out += Array("]}\n".utf8)
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
