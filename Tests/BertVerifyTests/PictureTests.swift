import BertVerify
import TestSupport
import XCTest

final class PictureTests: XCTestCase {
    func testHeatMapCellsCarryTheirValuesAndLabels() throws {
        let m = HeatMap(title: "layer 0 <head 1>", rowLabels: ["[CLS]", "a&b", "[SEP]"], columnLabels: ["[CLS]", "a&b", "[SEP]"],
                        values: [0.5, 0.25, 0.25, 0, 1, 0, 0.1, 0.2, 0.7])
        let svg = try XMLNode.parse(m.svg())
        let cells = svg.all("rect").filter { $0.attributes["data-value"] != nil }
        XCTAssertEqual(cells.count, 9)
        let cell = cells.first { $0.attributes["data-row"] == "2" && $0.attributes["data-col"] == "2" }
        XCTAssertEqual(Float(cell?.attributes["data-value"] ?? ""), 0.7)
        XCTAssertEqual(cells.first { $0.attributes["data-row"] == "1" && $0.attributes["data-col"] == "1" }?.attributes["fill"],
                       Palette.blues(1), "the strongest weight gets the darkest colour")
        let labels = svg.all("text").map(\.text)
        XCTAssertTrue(labels.contains("a&b"), "labels are escaped, not dropped")
        XCTAssertEqual(svg.all("title").first?.text, "layer 0 <head 1>")
    }

    func testLineChartOnLogAxisSkipsNonPositiveAndMarksDivergence() throws {
        var c = LineChart(title: "max abs error", xLabels: ["embeddings", "layer.0", "layer.1", "pooler"],
                          series: [.init(name: "max", values: [1e-7, 0, 3e-3, 2e-2])], logY: true, yLabel: "error")
        c.thresholds = [("atol 1e-4", 1e-4)]
        c.marker = (2, "first divergent")
        let svg = try XMLNode.parse(c.svg())
        let points = svg.all("circle")
        XCTAssertEqual(points.count, 4)
        let zero = points.filter { $0.attributes["fill"] == "white" }
        XCTAssertEqual(zero.count, 1, "an exact zero sits on the floor as an open marker")
        XCTAssertTrue(zero.first?.all("title").first?.text.hasSuffix("layer.0: 0 (exact)") == true)
        XCTAssertTrue(points.contains { $0.all("title").first?.text.contains("layer.1: 0.003") == true })
        XCTAssertEqual(svg.all("polyline").count, 1, "the gap at layer.0 splits the line; only layer.1→pooler is a run")
        XCTAssertTrue(svg.all("text").contains { $0.text == "first divergent" })
        XCTAssertTrue(svg.all("text").contains { $0.text == "1e-4" }, "decade ticks on a log axis")
    }

    func testBarChartRanksAsGiven() throws {
        let b = BarChart(title: "drift", bars: [("classifier.weight", 0.9), ("encoder.layer.5.output.dense.weight", 0.01)],
                         valueLabel: "relative change")
        let svg = try XMLNode.parse(b.svg())
        let bars = svg.all("rect").filter { $0.attributes["data-value"] != nil }
        XCTAssertEqual(bars.map { Double($0.attributes["data-value"]!)! }, [0.9, 0.01])
        let widths = bars.map { Double($0.attributes["width"]!)! }
        XCTAssertGreaterThan(widths[0], widths[1] * 50)
    }

    func testHTMLReportIsSelfContained() throws {
        var r = HTMLReport(title: "diff <a> vs <b>")
        r.paragraph("verdict", cssClass: "verdict")
        r.table(header: ["tap", "result"], rows: [["embeddings", "PASS"], ["layer.0", "FAIL"]])
        r.figure(BarChart(title: "x", bars: [("a", 1)], valueLabel: "v").svg())
        let html = r.render()
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"))
        XCTAssertTrue(html.contains("<td class=\"fail\">FAIL</td>"))
        XCTAssertTrue(html.contains("<title>diff &lt;a&gt; vs &lt;b&gt;</title>"))
        // The embedded SVG stays well-formed XML.
        let start = html.range(of: "<svg")!.lowerBound, end = html.range(of: "</svg>")!.upperBound
        XCTAssertNoThrow(try XMLNode.parse(String(html[start..<end])))
    }
}
