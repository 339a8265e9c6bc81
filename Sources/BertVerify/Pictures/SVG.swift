import Foundation

/// A minimal SVG writer: elements as text, every attribute and text node escaped.
/// Pictures are self-contained (no scripts, fonts or links) so they open anywhere offline.
public struct SVG {
    public let width: Double
    public let height: Double
    private var body: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public static func escape(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            // XML 1.0 forbids most control characters even when escaped.
            case _ where u.value < 0x20 && u != "\n" && u != "\t": o += "\u{FFFD}"
            default: o.unicodeScalars.append(u)
            }
        }
        return o
    }

    static func num(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    private static func attrs(_ a: KeyValuePairs<String, String>) -> String {
        a.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }

    public mutating func raw(_ s: String) { body.append(s) }

    public mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String, title: String? = nil,
                              extra: KeyValuePairs<String, String> = [:]) {
        let t = title.map { "<title>\(SVG.escape($0))</title>" } ?? ""
        body.append("<rect x=\"\(SVG.num(x))\" y=\"\(SVG.num(y))\" width=\"\(SVG.num(max(w, 0)))\" height=\"\(SVG.num(max(h, 0)))\" fill=\"\(SVG.escape(fill))\"\(SVG.attrs(extra))>\(t)</rect>")
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#999", width: Double = 1, dash: String? = nil) {
        let d = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        body.append("<line x1=\"\(SVG.num(x1))\" y1=\"\(SVG.num(y1))\" x2=\"\(SVG.num(x2))\" y2=\"\(SVG.num(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(SVG.num(width))\"\(d)/>")
    }

    public mutating func text(_ s: String, x: Double, y: Double, size: Double = 11, anchor: String = "start",
                              rotate: Double? = nil, fill: String = "#222", weight: String? = nil,
                              extra: KeyValuePairs<String, String> = [:]) {
        let r = rotate.map { " transform=\"rotate(\(SVG.num($0)) \(SVG.num(x)) \(SVG.num(y)))\"" } ?? ""
        let w = weight.map { " font-weight=\"\($0)\"" } ?? ""
        body.append("<text x=\"\(SVG.num(x))\" y=\"\(SVG.num(y))\" font-size=\"\(SVG.num(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(w)\(r)\(SVG.attrs(extra))>\(SVG.escape(s))</text>")
    }

    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5,
                                  extra: KeyValuePairs<String, String> = [:]) {
        let p = points.map { "\(SVG.num($0.0)),\(SVG.num($0.1))" }.joined(separator: " ")
        body.append("<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(SVG.num(width))\"\(SVG.attrs(extra))/>")
    }

    public mutating func circle(x: Double, y: Double, r: Double, fill: String, title: String? = nil, stroke: String? = nil,
                                extra: KeyValuePairs<String, String> = [:]) {
        let t = title.map { "<title>\(SVG.escape($0))</title>" } ?? ""
        let st = stroke.map { " stroke=\"\($0)\" stroke-width=\"1.5\"" } ?? ""
        body.append("<circle cx=\"\(SVG.num(x))\" cy=\"\(SVG.num(y))\" r=\"\(SVG.num(r))\" fill=\"\(fill)\"\(st)\(SVG.attrs(extra))>\(t)</circle>")
    }

    /// The document. `title` becomes the SVG's accessible name.
    public func render(title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(SVG.num(width))" height="\(SVG.num(height))" \
        viewBox="0 0 \(SVG.num(width)) \(SVG.num(height))" font-family="Helvetica, Arial, sans-serif" role="img">
        <title>\(SVG.escape(title))</title>
        <rect width="100%" height="100%" fill="white"/>
        \(body.joined(separator: "\n"))
        </svg>
        """
    }
}

/// Colour scales shared by the pictures.
public enum Palette {
    /// Distinct series colours (Tableau 10).
    public static let series = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// White → dark blue for t in 0...1 (attention weights).
    public static func blues(_ t: Double) -> String {
        let c = min(max(t.isFinite ? t : 0, 0), 1)
        let r = Int((1 - c) * 247 + c * 8), g = Int((1 - c) * 251 + c * 48), b = Int((1 - c) * 255 + c * 107)
        return String(format: "#%02x%02x%02x", r, g, b)
    }
}
