import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// f32 → f16/bf16 rounding against values PyTorch wrote (`Tensor.to`, nearest even).
final class DTypeRoundingTests: XCTestCase {
    private func bits(_ t: RawTensor) -> [UInt16] { t.bytes.bindMemory(to: UInt16.self).map { $0 } }

    func testEdgeValuesMatchTorch() throws {
        let f = try SafeTensorsFile.read(path: Repo.fixture("dtype-rounding.safetensors"))
        let labels = try JSONParser.parse(contentsOf: Repo.expected("dtype-rounding.json")).objectValue!["values"]!.arrayValue!
            .map { $0.objectValue!["label"]!.stringValue! }
        let source = f["f32"]!
        for target in [DType.f16, .bf16] {
            let mine = bits(source.converted(to: target)), torch = bits(f[target == .f16 ? "f16" : "bf16"]!)
            XCTAssertEqual(mine.count, 66)
            for i in mine.indices {
                let nanMine = target == .f16 ? (mine[i] & 0x7C00 == 0x7C00 && mine[i] & 0x3FF != 0) : (mine[i] & 0x7F80 == 0x7F80 && mine[i] & 0x7F != 0)
                let nanTorch = target == .f16 ? (torch[i] & 0x7C00 == 0x7C00 && torch[i] & 0x3FF != 0) : (torch[i] & 0x7F80 == 0x7F80 && torch[i] & 0x7F != 0)
                if nanMine || nanTorch {
                    // NaN payloads are not canonical (golden/README.md): compare NaN-ness only.
                    XCTAssertEqual(nanMine, nanTorch, "\(target) \(labels[i])")
                } else {
                    XCTAssertEqual(mine[i], torch[i], "\(target) [\(i)] \(labels[i]): 0x\(String(mine[i], radix: 16)) vs torch 0x\(String(torch[i], radix: 16))")
                }
            }
        }
    }

    func testConvertingTinyBertMatchesTorchHalfAndBFloat16Files() throws {
        let c = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        for (dtype, file) in [(DType.f16, "model-f16.safetensors"), (.bf16, "model-bf16.safetensors")] {
            let out = Repo.temporaryDirectory() + "/m.safetensors"
            try CheckpointExporter.write(c.converted(to: dtype), to: out)
            let mine = try SafeTensorsFile.read(path: out), torch = try SafeTensorsFile.read(path: Repo.fixture("tiny-bert/" + file))
            XCTAssertEqual(mine.tensors.count, c.parameters.count)
            for (name, t) in mine.tensors { XCTAssertTrue(t.bitIdentical(to: torch[name]!), "\(dtype) \(name)") }
        }
    }

    func testWideningHalfFloatsIsExactBothWays() throws {
        let half = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"), configOverride: nil).converted(to: .bf16)
        let back = half.converted(to: .f32).converted(to: .bf16)
        for (a, b) in zip(half.parameters, back.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
    }
}
