import Foundation
import TestSupport
import XCTest

/// `finetune --plot` draws TrainingCurve: two panels over one labelled step axis, nice ticks, the eval
/// points as markers, and the model's name (not its path) as the title.
final class FinetunePlotTests: XCTestCase {
    func testPlotIsTwoPanelsOverTheStepsTitledWithTheModelName() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls") + "/", "--train", Repo.golden("data/text-label.csv"),
                                 "--labels", "World,Sports,Business,Sci/Tech", "--reset-head", "--lr", "1e-3", "--seed", "1",
                                 "--steps", "8", "--report-every", "2", "--eval", Repo.golden("data/text-label.csv"), "--eval-every", "4",
                                 "--plot", dir + "/curve.svg", "-o", dir + "/m.bkm"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let svg = try XMLNode.parse(try String(contentsOfFile: dir + "/curve.svg", encoding: .utf8))
        func role(_ name: String) -> [XMLNode] { svg.all("text").filter { $0.attributes["data-role"] == name } }
        XCTAssertEqual(role("title").map(\.text), ["tiny-cls"])
        XCTAssertEqual(svg.all("rect").filter { $0.attributes["data-role"] == "panel" }.count, 2)
        XCTAssertEqual(role("x-label").map(\.text), ["step"])
        XCTAssertEqual(role("y-label").map(\.text), ["loss", "accuracy"])
        // Reports at steps 2, 4, 6, 8: ticks every 2 steps, whole numbers.
        XCTAssertEqual(role("x-tick").map(\.text), ["2", "4", "6", "8"])
        // The eval points (steps 4 and 8) are open markers in the metric's panel, at the printed accuracy.
        let evals = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Eval") }.map { Double($0.split(separator: " ")[$0.hasPrefix("Eval at") ? 6 : 3])! }
        let markers = svg.all("circle").filter { $0.attributes["data-series"] == "eval accuracy" }
        XCTAssertEqual(markers.map { Double($0.attributes["data-x"]!)! }, [4, 8])
        XCTAssertEqual(markers.map { $0.attributes["fill"] }, ["white", "white"])
        XCTAssertEqual(evals.count, 2, r.stdout)
        for (m, e) in zip(markers, evals) { XCTAssertEqual(Double(m.attributes["data-y"]!)!, e, accuracy: 5e-5, "4 decimals printed") }
        for panel in ["0", "1"] {
            let ticks = role("y-tick").filter { $0.attributes["data-panel"] == panel }.map { Double($0.attributes["data-value"]!)! }
            XCTAssertGreaterThanOrEqual(ticks.count, 3)
            let step = ticks[1] - ticks[0], mantissa = step / pow(10, floor(log10(step) + 1e-9))
            XCTAssertTrue([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "panel \(panel): \(ticks)")
        }
    }
}
