import CTesseract

/// Owns one Leptonica `PIX` and frees it with `pixDestroy`.
///
/// Every operation returns a new image; none changes this one, so a `Pix` can
/// be handed to several Tesseract passes in turn.
final class Pix {
    /// The owned image; valid for the lifetime of this object.
    let pointer: UnsafeMutablePointer<PIX>

    /// Takes ownership of `pointer`, or throws `engineFailed` when a
    /// Leptonica call returned nil while doing `operation`.
    init(owning pointer: UnsafeMutablePointer<PIX>?, _ operation: String) throws {
        guard let pointer else {
            throw OCRError(.engineFailed, "leptonica \(operation) failed")
        }
        self.pointer = pointer
    }

    deinit {
        var doomed: UnsafeMutablePointer<PIX>? = pointer
        pixDestroy(&doomed)
    }

    var width: Int { Int(pixGetWidth(pointer)) }
    var height: Int { Int(pixGetHeight(pointer)) }
    var depth: Int { Int(pixGetDepth(pointer)) }

    /// Decodes a whole image with `pixReadMem`.
    ///
    /// For JPEG, Leptonica's default is to fail on data that libjpeg only
    /// warns about (a truncated file it would pad with grey), which is what we
    /// want: half an image is a corrupt image.
    ///
    /// - Throws: `corruptImage` when the data is truncated or damaged.
    static func decode(_ bytes: [UInt8], format: String) throws -> Pix {
        Leptonica.silence()
        let pointer = bytes.withUnsafeBufferPointer { buffer in
            pixReadMem(buffer.baseAddress, buffer.count)
        }
        guard pointer != nil else {
            throw OCRError(.corruptImage, "\(format) data cannot be decoded")
        }
        return try Pix(owning: pointer, "decode")
    }

    /// An 8-bit grey version, with any transparency flattened onto white
    /// (`pixAlphaBlendUniform`, `pixConvertTo8`).
    func grey() throws -> Pix {
        if pixGetSpp(pointer) == 4 {
            let flat = try Pix(owning: pixAlphaBlendUniform(pointer, 0xffff_ff00), "alpha blend")
            return try flat.grey()
        }
        return try Pix(owning: pixConvertTo8(pointer, 0), "convert to 8 bpp")
    }

    /// This image scaled by `factor` in both directions (`pixScale`, which
    /// interpolates grey images and sharpens slightly on enlargement).
    func scaled(by factor: Double) throws -> Pix {
        try Pix(owning: pixScale(pointer, Float(factor), Float(factor)), "scale")
    }

    /// A 3x3 median of this 8-bit image (`pixMedianFilter`).
    func median() throws -> Pix {
        try Pix(owning: pixMedianFilter(pointer, 3, 3), "median filter")
    }

    /// This 8-bit image blurred with a (2r+1)-square box (`pixBlockconv`).
    func blurred(radius: Int) throws -> Pix {
        try Pix(owning: pixBlockconv(pointer, Int32(radius), Int32(radius)), "blur")
    }

    /// This 8-bit image with its background flattened to one grey level
    /// (`pixBackgroundNormSimple`), or nil when the image is too small for
    /// Leptonica's tiles.
    func flattened() -> Pix? {
        try? Pix(owning: pixBackgroundNormSimple(pointer, nil, nil), "background norm")
    }

    /// The part of this image inside the rectangle, clipped to the image
    /// (`pixClipRectangle`).
    func cropped(x: Int, y: Int, width: Int, height: Int) throws -> Pix {
        var box = boxCreate(Int32(x), Int32(y), Int32(width), Int32(height))
        defer { boxDestroy(&box) }
        return try Pix(owning: pixClipRectangle(pointer, box, nil), "clip")
    }

    /// This image inside a border of `pixels` filled with `grey`
    /// (`pixAddBorderGeneral`).
    func bordered(_ pixels: Int, grey: UInt32) throws -> Pix {
        let side = Int32(pixels)
        return try Pix(
            owning: pixAddBorderGeneral(pointer, side, side, side, side, grey), "add border")
    }
}
