import Foundation

/// A labelled matrix, rows over columns (attention: queries down, keys across), like the
/// alignment figure in the attention lesson. Values are expected in 0...1.
public struct HeatMap {
    public var title: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// Row-major, rowLabels.count × columnLabels.count.
    public var values: [Float]

    public init(title: String, rowLabels: [String], columnLabels: [String], values: [Float]) {
        precondition(values.count == rowLabels.count * columnLabels.count, "heat map values do not fit the labels")
        self.title = title
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
    }

    /// Draws the map at (x, y) into `s`; returns its size. Cells carry their value in a tooltip.
    @discardableResult
    public func draw(into s: inout SVG, x: Double, y: Double, cell: Double, labels: Bool = true) -> (Double, Double) {
        let lw = labels ? min(140, 6.5 * Double(rowLabels.map(\.count).max() ?? 4) + 8) : 0
        let th = labels ? lw : 0
        let top = y + 18 + th
        s.text(title, x: x, y: y + 12, size: 12, weight: "bold", extra: ["data-role": "title"])
        if labels {
            for (j, l) in columnLabels.enumerated() {
                let cx = x + lw + (Double(j) + 0.5) * cell
                s.text(l, x: cx, y: top - 4, size: min(11, cell * 0.8), anchor: "start", rotate: -60)
            }
            for (i, l) in rowLabels.enumerated() {
                s.text(l, x: x + lw - 4, y: top + (Double(i) + 0.7) * cell, size: min(11, cell * 0.8), anchor: "end")
            }
        }
        let cols = columnLabels.count
        for i in 0..<rowLabels.count {
            for j in 0..<cols {
                let v = Double(values[i * cols + j])
                s.rect(x: x + lw + Double(j) * cell, y: top + Double(i) * cell, w: cell, h: cell, fill: Palette.blues(v),
                       title: "\(rowLabels[i]) → \(columnLabels[j]): \(String(format: "%.3f", v))",
                       extra: ["data-row": String(i), "data-col": String(j), "data-value": String(format: "%.6f", v)])
            }
        }
        return (lw + Double(cols) * cell, 18 + th + Double(rowLabels.count) * cell)
    }

    public func svg(cell: Double = 28) -> String {
        var probe = SVG(width: 0, height: 0)
        let (w, h) = draw(into: &probe, x: 0, y: 0, cell: cell)
        var s = SVG(width: w + 80, height: h + 20)
        draw(into: &s, x: 10, y: 4, cell: cell)
        // colour key
        for k in 0..<10 {
            s.rect(x: w + 30, y: 40 + Double(9 - k) * 14, w: 14, h: 14, fill: Palette.blues(Double(k) / 9))
        }
        // The key spans 0...1 (y 180 → 40) with nice 1-2-5 ticks, as every chart's axes.
        let key = NiceScale(lo: 0, hi: 1, count: 6)
        for v in key.ticks {
            let y = 180 - 140 * v
            s.line(x1: w + 44, y1: y, x2: w + 47, y2: y, stroke: "#333")
            s.text(key.label(v), x: w + 50, y: y + 4, size: 10, extra: ["data-role": "y-tick", "data-value": String(v)])
        }
        return s.render(title: title)
    }
}

/// Several heat maps in a grid (all layers × heads), with small cells and labels only on the first.
public struct HeatMapGrid {
    public var title: String
    public var maps: [HeatMap]
    public var columns: Int

    public init(title: String, maps: [HeatMap], columns: Int) {
        self.title = title
        self.maps = maps
        self.columns = max(1, columns)
    }

    public func svg(cell: Double = 6) -> String {
        guard let first = maps.first else { return SVG(width: 100, height: 40).render(title: title) }
        let n = Double(first.columnLabels.count), m = Double(first.rowLabels.count)
        let tileW = n * cell + 16, tileH = m * cell + 34
        let rows = (maps.count + columns - 1) / columns
        var s = SVG(width: Double(columns) * tileW + 20, height: Double(rows) * tileH + 40)
        s.text(title, x: 10, y: 20, size: 14, weight: "bold")
        for (k, map) in maps.enumerated() {
            map.draw(into: &s, x: 10 + Double(k % columns) * tileW, y: 30 + Double(k / columns) * tileH, cell: cell, labels: false)
        }
        return s.render(title: title)
    }
}
