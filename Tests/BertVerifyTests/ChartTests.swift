@testable import BertModel
import BertVerify
import TestSupport
import XCTest

/// Every chart's ticks follow the 1-2-5 rule (NiceScale); the training curve is two panels over one
/// labelled step axis, with eval markers and the model's name as the title. Checked on the SVG.
final class ChartTests: XCTestCase {
    func testNiceTicksAreOneTwoFiveTimesAPowerOfTen() {
        // The example: loss and accuracy between 0.3 and 1.37 got 0.3, 0.567, 0.834, 1.1, 1.37.
        let s = NiceScale(lo: 0.3, hi: 1.37)
        XCTAssertEqual(s.ticks, [0, 0.5, 1, 1.5])
        XCTAssertEqual(s.ticks.map(s.label), ["0.0", "0.5", "1.0", "1.5"])
        XCTAssertEqual(NiceScale(lo: 0, hi: 100).ticks, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(NiceScale(lo: -3.2, hi: 7.9).ticks, [-5, 0, 5, 10])
        XCTAssertEqual(NiceScale(lo: 10, hi: 80, count: 6).ticks, [0, 20, 40, 60, 80])
        XCTAssertEqual(NiceScale(lo: 0.1, hi: 0.3).ticks, [0.1, 0.15, 0.2, 0.25, 0.3])
        let small = NiceScale(lo: 0.001234, hi: 0.001289)
        XCTAssertEqual(small.ticks.map(small.label), ["1.22e-3", "1.24e-3", "1.26e-3", "1.28e-3", "1.30e-3"])
        XCTAssertEqual(NiceScale(lo: 1, hi: 3, minStep: 1).ticks, [1, 2, 3], "whole steps")
        XCTAssertEqual(NiceScale(lo: 50, hi: 50).ticks, [20, 30, 40, 50, 60, 70, 80], "one value gets an axis around it")
        XCTAssertEqual(NiceScale.decades(lo: -7, hi: -1.7), [-7, -6, -5, -4, -3, -2, -1])
        XCTAssertEqual(NiceScale.decades(lo: -30, hi: 0), [-30, -25, -20, -15, -10, -5, 0], "every 5th decade")
        // Any range: a 1-2-5 step, whole steps apart, covering the data, 3 to 11 ticks.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let e = Double(Int.random(in: -8...8, using: &rng))
            let a = Double.random(in: -1...1, using: &rng) * pow(10, e), b = a + Double.random(in: 1e-3...10, using: &rng) * pow(10, e)
            let t = NiceScale(lo: a, hi: b)
            let mantissa = t.step / pow(10, floor(log10(t.step) + 1e-9))
            XCTAssertTrue([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(t.step) for \(a)...\(b)")
            XCTAssertLessThanOrEqual(t.lo, a)
            XCTAssertGreaterThanOrEqual(t.hi, b)
            XCTAssertTrue((3...11).contains(t.ticks.count), "\(t.ticks) for \(a)...\(b)")
            for (i, v) in t.ticks.enumerated() {
                XCTAssertEqual(v, t.lo + Double(i) * t.step, accuracy: 1e-9 * t.step, "\(t.ticks)")
            }
        }
    }

    func ticks(_ svg: XMLNode, _ role: String, panel: Int? = nil) -> [Double] {
        svg.all("text").filter { $0.attributes["data-role"] == role && (panel == nil || $0.attributes["data-panel"] == String(panel!)) }
            .map { Double($0.attributes["data-value"]!)! }
    }

    func reports() -> [TrainingReport] {
        let loss = [1.37, 1.1, 0.9, 0.7, 0.55, 0.42, 0.35, 0.31], acc = [0.25, 0.3, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9]
        return (0..<8).map { TrainingReport(step: 10 * ($0 + 1), loss: loss[$0], metric: acc[$0], metricName: "Accuracy") }
    }

    func testTrainingCurveHasTwoPanelsOverOneLabelledStepAxis() throws {
        let evals = [EvalPoint(step: 40, name: "accuracy", value: 0.6, summary: "accuracy = 0.6000"),
                     EvalPoint(step: 80, name: "accuracy", value: 0.85, summary: "accuracy = 0.8500")]
        let title = TrainingCurve.modelName(".cache/models/all-MiniLM-L6-v2/")
        XCTAssertEqual(title, "all-MiniLM-L6-v2")
        XCTAssertEqual(TrainingCurve.modelName("runs/agnews.bkm"), "agnews")
        let svg = try XMLNode.parse(TrainingCurve.svg(title: title, reports: reports(), evalPoints: evals))
        let texts = svg.all("text")
        XCTAssertEqual(texts.filter { $0.attributes["data-role"] == "title" }.map(\.text), ["all-MiniLM-L6-v2"])
        XCTAssertEqual(svg.all("title").first?.text, "all-MiniLM-L6-v2")
        XCTAssertEqual(svg.all("rect").filter { $0.attributes["data-role"] == "panel" }.count, 2)
        XCTAssertEqual(texts.filter { $0.attributes["data-role"] == "y-label" }.map(\.text), ["loss", "accuracy"])
        XCTAssertEqual(texts.filter { $0.attributes["data-role"] == "x-label" }.map(\.text), ["step"])
        // One step axis, under the last panel only.
        XCTAssertEqual(ticks(svg, "x-tick"), [0, 20, 40, 60, 80])
        XCTAssertEqual(texts.filter { $0.attributes["data-role"] == "x-tick" }.map(\.text), ["0", "20", "40", "60", "80"])
        XCTAssertEqual(ticks(svg, "y-tick", panel: 0), [0, 0.5, 1, 1.5])
        XCTAssertEqual(ticks(svg, "y-tick", panel: 1), [0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(texts.filter { $0.attributes["data-role"] == "legend" }.map(\.text), ["loss", "accuracy", "eval accuracy"])

        // Points sit where the ticks say: an eval marker at step 40 is under the x tick "40", and
        // accuracy 0.6 on the y tick "0.6" of the second panel (tick text is drawn 4 px below its line).
        func tick(_ role: String, _ value: Double, panel: Int? = nil) throws -> (x: Double, y: Double) {
            let t = try XCTUnwrap(texts.first { $0.attributes["data-role"] == role && Double($0.attributes["data-value"]!)! == value
                && (panel == nil || $0.attributes["data-panel"] == String(panel!)) }, "no \(role) \(value)")
            return (Double(t.attributes["x"]!)!, Double(t.attributes["y"]!)! - 4)
        }
        let circles = svg.all("circle").filter { $0.attributes["data-series"] != nil }
        let markers = circles.filter { $0.attributes["data-series"] == "eval accuracy" }
        XCTAssertEqual(markers.map { Double($0.attributes["data-x"]!)! }, [40, 80])
        XCTAssertEqual(markers.map { $0.attributes["fill"] }, ["white", "white"], "eval points are open markers")
        guard markers.count == 2 else { return }
        XCTAssertEqual(Double(markers[0].attributes["cx"]!)!, try tick("x-tick", 40).x, accuracy: 0.01)
        XCTAssertEqual(Double(markers[0].attributes["cy"]!)!, try tick("y-tick", 0.6, panel: 1).y, accuracy: 0.01)
        let lossAt20 = try XCTUnwrap(circles.first { $0.attributes["data-series"] == "loss" && $0.attributes["data-x"] == "20.0" })
        XCTAssertEqual(Double(lossAt20.attributes["cx"]!)!, try tick("x-tick", 20).x, accuracy: 0.01)
        XCTAssertEqual(Double(lossAt20.attributes["cy"]!)!, try tick("y-tick", 1, panel: 0).y - 0.1 / 1.5 * 200 * 1, accuracy: 0.01,
                       "1.1 is a fifth of the way from tick 1.0 to 1.5 (200 px a panel over 1.5)")
        XCTAssertEqual(markers.map { $0.all("title").first!.text }, ["eval accuracy @ 40: 0.6", "eval accuracy @ 80: 0.85"])
        XCTAssertEqual(svg.all("polyline").map { $0.attributes["data-series"] }, ["loss", "accuracy"], "lines for the running values only")
    }

    func testWithoutEvalPointsThePanelsHaveOnlyTheRunningValues() throws {
        let svg = try XMLNode.parse(TrainingCurve.svg(title: "tiny", reports: reports()))
        XCTAssertEqual(svg.all("circle").filter { $0.attributes["fill"] == "white" }.count, 0)
        XCTAssertEqual(svg.all("text").filter { $0.attributes["data-role"] == "legend" }.map(\.text), ["loss", "accuracy"])
    }

    func testOtherChartsUseTheSameTicks() throws {
        let line = LineChart(title: "loss", xLabels: ["a", "b", "c"], series: [.init(name: "loss", values: [0.3, 0.8, 1.37])],
                             logY: false, yLabel: "loss")
        let l = try XMLNode.parse(line.svg())
        XCTAssertEqual(ticks(l, "y-tick"), [0, 0.5, 1, 1.5])
        let bars = try XMLNode.parse(BarChart(title: "drift", bars: [("a", 0.9), ("b", 0.01)], valueLabel: "relative change").svg())
        XCTAssertEqual(ticks(bars, "x-tick"), [0, 0.2, 0.4, 0.6, 0.8, 1])
        let logBars = try XMLNode.parse(BarChart(title: "drift", bars: [("a", 0.5), ("b", 2e-6)], valueLabel: "x", logX: true).svg())
        XCTAssertEqual(ticks(logBars, "x-tick").map { log10($0).rounded() }, [-6, -5, -4, -3, -2, -1, 0])
        let heat = try XMLNode.parse(HeatMap(title: "h", rowLabels: ["a"], columnLabels: ["a"], values: [0.5]).svg())
        XCTAssertEqual(ticks(heat, "y-tick"), [0, 0.2, 0.4, 0.6, 0.8, 1])
        let log = LineChart(title: "err", xLabels: ["a", "b"], series: [.init(name: "e", values: [1e-30, 1])], logY: true, yLabel: "e")
        XCTAssertEqual(ticks(try XMLNode.parse(log.svg()), "y-tick").map { log10($0).rounded() }, [-30, -25, -20, -15, -10, -5, 0])
    }
}
