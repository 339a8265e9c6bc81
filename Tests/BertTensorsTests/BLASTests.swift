import BertTensors
import CBertKit
import XCTest

final class BLASTests: XCTestCase {
    func testSgemmRowMajorWithTransposes() throws {
        try BLAS.load()
        // A [2x3], B stored as [out=2, in=3] (a Linear weight): C = A · Bᵀ.
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let w: [Float] = [1, 0, -1, 2, 1, 0]
        var c = [Float](repeating: 9, count: 4)
        BLAS.sgemm(transB: true, m: 2, n: 2, k: 3, a: a, lda: 3, b: w, ldb: 3, c: &c, ldc: 2)
        XCTAssertEqual(c, [-2, 4, -2, 13])
    }

    func testTheCoreTypeBertkitChoseIsTheOneOpenBLASUses() throws {
        try BLAS.load()
        let info = BLAS.info
        XCTAssertFalse(info.core.isEmpty)
        if bk_cpu_has_avx512() != 0, let forced = info.forcedCoreType {
            XCTAssertEqual(info.core, forced, "OpenBLAS ignored the AVX-512 core type bertkit chose")
        }
        if bk_cpu_has_avx512() == 0 { XCTAssertNil(info.forcedCoreType) }
    }
}

import Foundation
