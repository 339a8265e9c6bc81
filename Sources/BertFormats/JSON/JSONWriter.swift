extension JSONValue {
    /// JSON text. `indent` > 0 pretty-prints like Python's `json.dumps(indent=...)`.
    public func serialized(indent: Int = 2) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let nl = indent > 0 ? "\n" : ""
        let pad = { (l: Int) in String(repeating: " ", count: indent * l) }
        switch self {
        case .null: out += "null"
        case .bool(let v): out += v ? "true" : "false"
        case .number(let s): out += s
        case .string(let s): out += JSONValue.quote(s)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "[" + nl
            for (k, v) in a.enumerated() {
                out += pad(level + 1)
                v.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < a.count ? "," : "") + nl
            }
            out += pad(level) + "]"
        case .object(let o):
            if o.count == 0 { out += "{}"; return }
            out += "{" + nl
            for (k, e) in o.entries.enumerated() {
                out += pad(level + 1) + JSONValue.quote(e.key) + (indent > 0 ? ": " : ":")
                e.value.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < o.count ? "," : "") + nl
            }
            out += pad(level) + "}"
        }
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

import Foundation
