import Foundation

/// One self-contained HTML page: inline SVG and CSS, no scripts, no network assets.
public struct HTMLReport {
    public var title: String
    private var sections: [String] = []

    public init(title: String) { self.title = title }

    public static func escape(_ s: String) -> String { SVG.escape(s) }

    public mutating func heading(_ s: String) { sections.append("<h2>\(Self.escape(s))</h2>") }
    public mutating func paragraph(_ s: String, cssClass: String? = nil) {
        sections.append("<p\(cssClass.map { " class=\"\($0)\"" } ?? "")>\(Self.escape(s))</p>")
    }
    /// Inline SVG from one of the chart types.
    public mutating func figure(_ svg: String) { sections.append("<figure>\(svg)</figure>") }

    /// A table; cells whose text is PASS/FAIL/WARN get a colour class.
    public mutating func table(header: [String], rows: [[String]], id: String? = nil) {
        var h = "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            h += "<tr>" + r.map { c in
                let cls = ["PASS", "FAIL", "WARN"].contains(c) ? " class=\"\(c.lowercased())\"" : ""
                return "<td\(cls)>\(Self.escape(c))</td>"
            }.joined() + "</tr>"
        }
        sections.append(h + "</tbody></table>")
    }

    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
        <style>
        body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1100px}
        table{border-collapse:collapse;font-size:12px;margin:8px 0 24px}
        th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
        th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
        td.pass{color:#1a7f37} td.fail{color:#c00;font-weight:bold} td.warn{color:#b58100}
        figure{margin:8px 0 24px} p.verdict{font-size:15px;font-weight:bold}
        </style></head><body>
        <h1>\(Self.escape(title))</h1>
        \(sections.joined(separator: "\n"))
        </body></html>
        """
    }
}
