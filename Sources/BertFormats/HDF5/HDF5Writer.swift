import BertTensors
import CHDF5
import Foundation

/// Writes tensors as a PyTorch-style HDF5 state dict: one dataset per name at the root, in the
/// order given (link creation order is tracked, so h5py lists them in that order), contiguous and
/// uncompressed, little-endian. See formats/hdf5.md for the types. The file appears complete or
/// not at all: libhdf5 writes a temporary file beside it, which is fsynced and renamed into place.
public enum HDF5Writer {
    public static func write(_ tensors: [(name: String, tensor: RawTensor)], to path: String) throws {
        var seen = Set<String>()
        for (name, t) in tensors {
            guard !name.isEmpty, !name.contains("/"), name != "." else {
                throw HDF5Error.cannotWrite(path: path, tensor: name, why: "an HDF5 dataset name cannot be empty, \".\" or contain \"/\"")
            }
            guard seen.insert(name).inserted else { throw HDF5Error.cannotWrite(path: path, tensor: name, why: "the name appears twice") }
            guard t.dtype != .f8e4m3, t.dtype != .f8e5m2 else {
                throw HDF5Error.cannotWrite(path: path, tensor: name, why: "HDF5 has no \(t.dtype.rawValue) type; convert it to F16 or F32 first")
            }
        }
        let out = try AtomicFileWriter(destination: path)
        try HDF5Library.locked {
            let fail = { (op: String, object: String) in
                HDF5Error.library(path: path, operation: op, object: object, message: HDF5Library.lastError())
            }
            guard let fcpl = H5Handle.plist(H5Pcreate(bk_h5p_file_create())),
                  H5Pset_link_creation_order(fcpl.id, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)) >= 0,
                  let fapl = H5Handle.plist(H5Pcreate(bk_h5p_file_access()))
            else { throw fail("set up", "the file properties") }
            H5Pset_file_locking(fapl.id, false, true)
            let fid = H5Fcreate(out.temporaryPath, bk_h5f_acc_trunc(), fcpl.id, fapl.id)
            guard fid >= 0 else { throw fail("create", out.temporaryPath) }
            var closed = false
            defer { if !closed { H5Fclose(fid) } }
            for (name, t) in tensors {
                guard let type = HDF5Types.fileType(for: t.dtype).flatMap(H5Handle.type) else { throw fail("make a type for", name) }
                var dims = t.shape.map { hsize_t($0) }
                let sid = t.shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
                guard let space = H5Handle.space(sid) else { throw fail("make a dataspace for", name) }
                guard let d = H5Handle.object(H5Dcreate2(fid, name, type.id, space.id, 0, 0, 0)) else { throw fail("create dataset", name) }
                if t.byteCount > 0, H5Dwrite(d.id, type.id, 0, 0, 0, t.bytes.baseAddress) < 0 { throw fail("write dataset", name) }
            }
            guard H5Fflush(fid, H5F_SCOPE_GLOBAL) >= 0 else { throw fail("flush", out.temporaryPath) }
            closed = true
            guard H5Fclose(fid) >= 0 else { throw fail("close", out.temporaryPath) }
        }
        try out.commit()
    }
}
