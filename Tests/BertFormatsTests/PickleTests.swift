import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

/// Writes pickle opcodes by hand, the way torch.save (protocol 2) and pickle.dumps (protocol 4) do.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 0x02]

    init(protocol p: UInt8 = 2) { bytes = [0x80, p] }

    mutating func op(_ b: UInt8...) { bytes += b }
    mutating func mark() { op(0x28) }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes += [0x58] + le32(UInt32(u.count)) + u
    }
    mutating func int(_ i: Int) {
        if (0...255).contains(i) { bytes += [0x4B, UInt8(i)] } else { bytes += [0x4A] + le32(UInt32(bitPattern: Int32(i))) }
    }
    mutating func tuple(_ items: [Int]) {
        mark()
        for i in items { int(i) }
        op(0x74)
    }
    mutating func stop() { op(0x2E) }

    /// `OrderedDict` of `_rebuild_tensor_v2` calls, as torch.save writes a state dict.
    static func stateDict(_ tensors: [(name: String, storage: String, type: String, numel: Int, offset: Int, size: [Int], stride: [Int])]) -> [UInt8] {
        var w = PickleWriter()
        w.global("collections", "OrderedDict")
        w.op(0x29, 0x52)  // EMPTY_TUPLE REDUCE
        w.mark()
        for t in tensors {
            w.string(t.name)
            w.global("torch._utils", "_rebuild_tensor_v2")
            w.mark()
            w.mark()
            w.string("storage")
            w.global("torch", t.type)
            w.string(t.storage)
            w.string("cpu")
            w.int(t.numel)
            w.op(0x74, 0x51)  // TUPLE BINPERSID
            w.int(t.offset)
            w.tuple(t.size)
            w.tuple(t.stride)
            w.op(0x89)  // NEWFALSE
            w.global("collections", "OrderedDict")
            w.op(0x29, 0x52, 0x74, 0x52)  // EMPTY_TUPLE REDUCE TUPLE REDUCE
        }
        w.op(0x75)  // SETITEMS
        w.stop()
        return w.bytes
    }

    /// `pickle.dumps` (protocol 4) of an object whose `__reduce__` returns `(module.name, (argument,))`.
    static func reducePayload(_ module: String, _ name: String, _ argument: String) -> [UInt8] {
        var body: [UInt8] = []
        for s in [module, name] { body += [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) + [0x94] }
        body += [0x93, 0x94]  // STACK_GLOBAL MEMOIZE
        body += [0x8C, UInt8(argument.utf8.count)] + Array(argument.utf8) + [0x94]
        body += [0x85, 0x94, 0x52, 0x94, 0x2E]  // TUPLE1 MEMOIZE REDUCE MEMOIZE STOP
        return [0x80, 0x04, 0x95] + le64(UInt64(body.count)) + body
    }
}

final class PickleTests: XCTestCase {
    private func decode(_ b: [UInt8]) throws -> PickleDocument {
        try b.withUnsafeBytes { try PickleDecoder.decode($0, source: "test.pkl") }
    }

    private func expectError(_ b: [UInt8], _ check: (PickleError, String) -> Void) {
        do {
            _ = try decode(b)
            XCTFail("expected a pickle error")
        } catch let e as PickleError {
            check(e, e.errorDescription ?? "")
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    func testDecodesAStateDictAsTorchWritesIt() throws {
        let b = PickleWriter.stateDict([
            ("a.weight", "0", "FloatStorage", 12, 0, [3, 4], [4, 1]),
            ("b", "1", "BFloat16Storage", 6, 2, [4], [1]),
        ])
        let doc = try decode(b)
        guard let d = doc.arena.dict(doc.root) else { return XCTFail("not a dict") }
        XCTAssertEqual(d.count, 2)
        guard case .string("a.weight") = d[0].key, case .tensor(let a) = d[0].value,
              case .tensor(let c) = d[1].value else { return XCTFail("wrong entries") }
        XCTAssertEqual(a, TensorRef(storage: StorageRef(key: "0", dtype: .f32, elementCount: 12), storageOffset: 0, shape: [3, 4], strides: [4, 1]))
        XCTAssertEqual(c.storage.dtype, .bf16)
        XCTAssertEqual(c.storageOffset, 2)
    }

    func testDecodesTheRealTorchPickle() throws {
        // tiny-cls-bin was written by torch.save; its data.pkl carries BINPUT/BINGET, BUILD-less
        // OrderedDict and per-tensor backward-hook OrderedDicts.
        let p = Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin")
        let z = try ZipArchive(path: p, storage: ByteStorage.map(path: p))
        let pkl = z.entries.first { $0.name.hasSuffix("/data.pkl") }!
        let doc = try PickleDecoder.decode(try z.verifiedBytes(pkl), source: p)
        guard let d = doc.arena.dict(doc.root) else { return XCTFail("not a dict") }
        XCTAssertEqual(d.count, 57)
    }

    func testIntegers() throws {
        var w = PickleWriter()
        w.mark()
        w.int(255)
        w.int(-2)
        w.op(0x8A, 2, 0x00, 0xFF)  // LONG1 -256
        w.op(0x8A, 0)  // LONG1 0
        w.op(0x4D, 0x34, 0x12)  // BININT2 0x1234
        w.op(0x74)
        w.stop()
        let doc = try decode(w.bytes)
        guard let t = doc.arena.tuple(doc.root) else { return XCTFail("not a tuple") }
        let ints = t.compactMap { if case .int(let i) = $0 { i } else { nil } }
        XCTAssertEqual(ints, [255, -2, -256, 0, 0x1234])
    }

    func testMemoSharesMutableDicts() throws {
        // EMPTY_DICT BINPUT 0, then SETITEM on the stack's dict; BINGET 0 must see the item.
        var w = PickleWriter()
        w.op(0x7D, 0x71, 0)
        w.string("k")
        w.int(1)
        w.op(0x73, 0x30, 0x68, 0)  // SETITEM POP BINGET 0
        w.stop()
        let doc = try decode(w.bytes)
        guard let d = doc.arena.dict(doc.root) else { return XCTFail("not a dict") }
        XCTAssertEqual(d.count, 1)
    }

    func testForbiddenGlobalIsRefusedByName() {
        var w = PickleWriter()
        w.global("os", "system")
        w.mark()
        w.string("echo hi")
        w.op(0x74, 0x52)
        w.stop()
        expectError(w.bytes) { e, m in
            guard case .forbiddenGlobal("test.pkl", "os", "system", 2) = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("os.system") && m.contains("nothing was run"), m)
        }
    }

    func testForbiddenStackGlobalIsRefusedByName() {
        expectError(PickleWriter.reducePayload("builtins", "eval", "1+1")) { e, m in
            guard case .forbiddenGlobal(_, "builtins", "eval", _) = e else { return XCTFail(m) }
        }
    }

    func testNearMissesOfTheAllowListAreRefused() {
        for (m, n) in [("torch", "load"), ("torch._utils", "_rebuild_parameter"), ("collections", "defaultdict"),
                       ("torch.nn.modules.linear", "Linear"), ("torch", "Storage")] {
            var w = PickleWriter()
            w.global(m, n)
            w.stop()
            expectError(w.bytes) { e, msg in
                guard case .forbiddenGlobal(_, m, n, _) = e else { return XCTFail(msg) }
            }
        }
    }

    func testStorageClassCannotBeCalled() {
        var w = PickleWriter()
        w.global("torch", "FloatStorage")
        w.op(0x29, 0x52)
        w.stop()
        expectError(w.bytes) { e, m in
            guard case .malformed = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("persistent ids"), m)
        }
    }

    func testTruncatedPickle() {
        var w = PickleWriter()
        w.string("abcdef")
        expectError(Array(w.bytes.dropLast(3))) { e, m in
            guard case .truncated("test.pkl", 2, 6, 3) = e else { return XCTFail(m) }
        }
    }

    func testHugeStringLengthIsBoundedByTheInput() {
        expectError([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]) { e, m in
            guard case .truncated(_, _, 0x7FFF_FFFF, 0) = e else { return XCTFail(m) }
        }
    }

    func testUnknownOpcode() {
        expectError([0x80, 0x02, 0x81]) { e, m in  // NEWOBJ
            guard case .unsupportedOpcode(_, 0x81, 2) = e else { return XCTFail(m) }
        }
    }

    func testMemoMiss() {
        expectError([0x80, 0x02, 0x68, 7, 0x2E]) { e, m in
            guard case .malformed(_, let w, 2) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("memo index 7"), w)
        }
    }

    func testStackUnderflow() {
        expectError([0x80, 0x02, 0x52]) { e, m in
            guard case .malformed(_, "stack underflow", 2) = e else { return XCTFail(m) }
        }
    }

    func testBadPersistentId() {
        var w = PickleWriter()
        w.mark()
        w.string("storage")
        w.string("not a class")
        w.op(0x74, 0x51)
        w.stop()
        expectError(w.bytes) { e, m in
            guard case .malformed = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("persistent id"), m)
        }
    }

    // MARK: - Nesting (issue 12: 30,000 nested lists crashed bertkit when they were freed)

    func testThirtyThousandNestedListsAreRefusedNotACrash() {
        // The data.pkl: EMPTY_LIST ×30000, APPEND ×29999, STOP.
        let b: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: 30000) + [UInt8](repeating: 0x61, count: 29999) + [0x2E]
        expectError(b) { e, m in
            guard case .tooDeep(_, _, PickleDecoder.maxDepth) = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("deeper than 64 levels"), m)
        }
    }

    func testFortyThousandNestedTuplesAreRefusedNotACrash() {
        // EMPTY_TUPLE, then TUPLE1 ×40000: each wraps the last.
        let b: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 40000) + [0x2E]
        expectError(b) { e, m in
            guard case .tooDeep = e else { return XCTFail(m) }
        }
    }

    /// `depth` tuples, each wrapping the next: EMPTY_TUPLE is depth 1.
    private func nestedTuples(_ depth: Int) -> [UInt8] {
        [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: depth - 1) + [0x2E]
    }

    func testNestingAtTheLimitDecodesAndOnePastItIsRefused() throws {
        let doc = try decode(nestedTuples(PickleDecoder.maxDepth))
        XCTAssertEqual(doc.arena.depth(doc.root), PickleDecoder.maxDepth)
        expectError(nestedTuples(PickleDecoder.maxDepth + 1)) { e, m in
            guard case .tooDeep(_, let offset, 64) = e else { return XCTFail(m) }
            XCTAssertEqual(offset, 2 + 1 + PickleDecoder.maxDepth - 1, "the TUPLE1 that went one level too deep")
        }
    }

    func testDictNestingCountsItsValues() {
        // {k: {k: ... {}}}: EMPTY_DICT, then (string, EMPTY_DICT, ..., SETITEM ×n) builds inner to outer.
        var w = PickleWriter()
        w.op(0x7D)
        for _ in 0..<PickleDecoder.maxDepth {
            w.string("k")
            w.op(0x7D)
        }
        for _ in 0..<PickleDecoder.maxDepth { w.op(0x73) }
        w.stop()
        expectError(w.bytes) { e, m in
            guard case .tooDeep = e else { return XCTFail(m) }
        }
    }

    func testAListThatHoldsItselfDecodes() throws {
        // l = []; l.append(l): EMPTY_LIST BINPUT 0 BINGET 0 APPEND STOP. A cycle, harmless in the arena.
        let doc = try decode([0x80, 0x02, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E])
        guard case .list(let i) = doc.root else { return XCTFail("not a list") }
        XCTAssertEqual(doc.arena.lists[i], [.list(i)])
    }

    func testContainerCountAtTheLimitDecodesAndOnePastItIsRefused() throws {
        // EMPTY_LIST POP, over and over: each list is garbage but still counted.
        func lists(_ n: Int) -> [UInt8] { [0x80, 0x02] + Array([[UInt8]](repeating: [0x5D, 0x30], count: n).joined()) + [0x4E, 0x2E] }
        XCTAssertEqual(try decode(lists(PickleDecoder.maxContainers)).arena.count, PickleDecoder.maxContainers)
        expectError(lists(PickleDecoder.maxContainers + 1)) { e, m in
            guard case .malformed(_, let w, let at) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("more than 262144 tuples, lists and dicts"), w)
            XCTAssertEqual(at, 2 + 2 * PickleDecoder.maxContainers)
        }
    }

    func testStackAtTheLimitDecodesAndOnePastItIsRefused() throws {
        // MARK, n × NONE, POP_MARK, NONE, STOP: n values on the stack at once.
        func values(_ n: Int) -> [UInt8] { [0x80, 0x02, 0x28] + [UInt8](repeating: 0x4E, count: n) + [0x31, 0x4E, 0x2E] }
        XCTAssertEqual(try decode(values(PickleDecoder.maxStack)).root, PickleValue.none)
        expectError(values(PickleDecoder.maxStack + 1)) { e, m in
            guard case .malformed(_, let w, _) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("more than 262144 values on the stack"), w)
        }
    }

    func testMemoAtTheLimitDecodesAndOnePastItIsRefused() throws {
        // NONE, then LONG_BINPUT at the highest index allowed, and one past it.
        func put(_ i: UInt32) -> [UInt8] { [0x80, 0x02, 0x4E, 0x72] + le32(i) + [0x2E] }
        XCTAssertEqual(try decode(put(UInt32(PickleDecoder.maxMemo - 1))).root, PickleValue.none)
        expectError(put(UInt32(PickleDecoder.maxMemo))) { e, m in
            guard case .malformed(_, let w, 3) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("memo index 262144 is too large"), w)
        }
        // MEMOIZE fills slots 0, 1, 2, …: the memo holds at most maxMemo entries.
        func memoize(_ n: Int) -> [UInt8] { [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x94, count: n) + [0x2E] }
        XCTAssertNoThrow(try decode(memoize(PickleDecoder.maxMemo)))
        expectError(memoize(PickleDecoder.maxMemo + 1)) { e, m in
            guard case .malformed(_, let w, _) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("too large"), w)
        }
    }

    func testGlobalNameAtTheLimitIsReadAndOnePastItIsRefused() {
        // A 256-byte module name is read (and then refused as not allowed); 257 bytes is too long.
        func global(_ n: Int) -> [UInt8] { [0x80, 0x02, 0x63] + [UInt8](repeating: 0x61, count: n) + [0x0A] + Array("x\n".utf8) + [0x2E] }
        expectError(global(PickleDecoder.maxGlobalName)) { e, m in
            guard case .forbiddenGlobal = e else { return XCTFail(m) }
        }
        expectError(global(PickleDecoder.maxGlobalName + 1)) { e, m in
            guard case .malformed(_, "GLOBAL name longer than 256 bytes", 2) = e else { return XCTFail(m) }
        }
    }

    // MARK: - FRAME (protocol 4)

    private func framed(_ body: [UInt8], length: UInt64? = nil) -> [UInt8] {
        [0x80, 0x04, 0x95] + le64(length ?? UInt64(body.count)) + body
    }

    func testFramedPickleDecodes() throws {
        let doc = try decode(framed([0x4B, 7, 0x2E]))
        XCTAssertEqual(doc.root, .int(7))
    }

    func testFrameLongerThanTheRestIsRefused() {
        expectError(framed([0x4B, 7, 0x2E], length: 4)) { e, m in
            guard case .truncated(_, 2, 4, 3) = e else { return XCTFail(m) }
        }
        expectError(framed([0x4B, 7, 0x2E], length: UInt64.max)) { e, m in
            guard case .truncated(_, 2, _, 3) = e else { return XCTFail(m) }
        }
    }

    func testFrameInsideAFrameIsRefused() {
        let inner: [UInt8] = [0x95] + le64(3) + [0x4B, 7, 0x2E]
        expectError(framed([0x4E, 0x30] + inner)) { e, m in
            guard case .malformed(_, let w, 13) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("FRAME begins before the previous frame ends"), w)
        }
    }

    func testOpcodeRunningPastItsFrameIsRefused() {
        // The frame holds BININT's opcode and one of its four bytes.
        expectError(framed([0x4A, 1, 0, 0, 0, 0x2E], length: 2)) { e, m in
            guard case .malformed(_, let w, 11) = e else { return XCTFail(m) }
            XCTAssertTrue(w.contains("runs past the end of its frame"), w)
        }
    }
}
