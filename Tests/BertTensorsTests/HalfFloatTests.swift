import BertTensors
import CBertKit
import XCTest

/// Rounding must match PyTorch's `.to(torch.float16)` / `.to(torch.bfloat16)`. These hand-picked
/// cases pin the rules; the golden dtype-rounding fixture checks against PyTorch's own output.
final class HalfFloatTests: XCTestCase {
    private func f16(_ x: Float) -> UInt16 { var h: UInt16 = 0; var v = x; bk_f32_to_f16(&v, &h, 1); return h }
    private func bf16(_ x: Float) -> UInt16 { var h: UInt16 = 0; var v = x; bk_f32_to_bf16(&v, &h, 1); return h }

    func testFloat16RoundsToNearestEven() {
        XCTAssertEqual(f16(1), 0x3C00)
        XCTAssertEqual(f16(1.0 / 3.0), 0x3555)
        XCTAssertEqual(f16(65504), 0x7BFF)          // largest finite half
        XCTAssertEqual(f16(65519.99), 0x7BFF)       // just below the rounding point to inf
        XCTAssertEqual(f16(65520), 0x7C00)          // ties away from 65504 go to inf (even)
        XCTAssertEqual(f16(-0.0), 0x8000)
        XCTAssertEqual(f16(.infinity), 0x7C00)
        XCTAssertEqual(f16(.nan), 0x7E00)
        XCTAssertEqual(f16(5.960464477539063e-08), 0x0001) // smallest subnormal
        XCTAssertEqual(f16(2.9802322387695312e-08), 0x0000) // exactly half of it: tie to even (0)
        XCTAssertEqual(f16(1 + 1.0 / 2048), 0x3C00) // tie between 0x3C00 and 0x3C01: even
        XCTAssertEqual(f16(1 + 3.0 / 2048), 0x3C02) // tie between 0x3C01 and 0x3C02: even
    }

    func testVectorAndScalarPathsAgree() {
        // 8-wide F16C path plus the scalar tail, including NaNs inside a vector.
        var xs: [Float] = (0..<37).map { Float($0) * 0.37 - 5 }
        xs[3] = .nan
        xs[20] = 70000
        var out = [UInt16](repeating: 0, count: xs.count)
        bk_f32_to_f16(xs, &out, xs.count)
        for (i, x) in xs.enumerated() { XCTAssertEqual(out[i], f16(x), "index \(i)") }
        var back = [Float](repeating: 0, count: xs.count)
        bk_f16_to_f32(out, &back, out.count)
        XCTAssertTrue(back[3].isNaN)
        XCTAssertEqual(back[20], .infinity)
        XCTAssertEqual(back[0], -5, accuracy: 0.005)
    }

    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(bf16(1), 0x3F80)
        XCTAssertEqual(bf16(Float(bitPattern: 0x3F80_8000)), 0x3F80) // tie, even stays
        XCTAssertEqual(bf16(Float(bitPattern: 0x3F81_8000)), 0x3F82) // tie, odd rounds up
        XCTAssertEqual(bf16(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(bf16(.nan), 0x7FC0)
        XCTAssertEqual(bf16(-.nan), 0x7FC0) // PyTorch drops the sign of NaN
        XCTAssertEqual(bf16(Float.greatestFiniteMagnitude), 0x7F80) // rounds up to inf
    }

    func testRawTensorConversionRoundTrip() {
        let t = RawTensor(floats: [1, 2.5, -3.25, 1e-3], shape: [2, 2])
        let h = t.converted(to: .f16)
        XCTAssertEqual(h.dtype, .f16)
        XCTAssertEqual(h.byteCount, 8)
        XCTAssertEqual(h.floats()[0...2], [1, 2.5, -3.25])
        XCTAssertEqual(h.converted(to: .f32).floats()[3], 0.0010004043579101562)
    }
}
