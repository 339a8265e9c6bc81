import Foundation
import TestSupport
import XCTest

/// `finetune --[no-]dropout`: on by default (transformers' train mode), reproducible from --seed.
final class FinetuneDropoutTests: XCTestCase {
    func reportLines(_ extra: [String]) throws -> [String] {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--train", Repo.golden("data/text-label.csv"),
                                 "--labels", "World,Sports,Business,Sci/Tech", "--reset-head", "--lr", "1e-3",
                                 "--steps", "4", "--report-every", "2", "-o", dir + "/m.bkm"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }.map(String.init)
    }

    func testDropoutIsOnByDefaultReproducibleAndCanBeTurnedOff() throws {
        let on = try reportLines(["--seed", "3"])
        XCTAssertEqual(on.count, 2)
        XCTAssertEqual(try reportLines(["--seed", "3", "--dropout"]), on, "the same seed draws the same masks")
        let off = try reportLines(["--seed", "3", "--no-dropout"])
        XCTAssertNotEqual(off, on, "tiny-cls's config has dropout 0.1, on unless --no-dropout")
        XCTAssertEqual(try reportLines(["--seed", "3", "--no-dropout"]), off)
    }
}
