import CTesseract

/// Identifies an image and its size from its header alone, before decoding.
///
/// Reading the header first is what lets a daemon refuse a 50000x50000 PNG of
/// a few kilobytes in microseconds instead of allocating gigabytes for it.
public enum ImageProbe {
    /// The formats `OCREngine` decodes, by the name `inspect` returns.
    public static let supportedFormats = [
        "bmp", "jpeg", "png", "tiff", "pnm", "gif", "jp2", "webp",
    ]

    /// Returns the format and the declared width and height of an image.
    ///
    /// Wraps Leptonica's `findFileFormatBuffer` and `pixReadHeaderMem`; GIF
    /// headers are parsed here because Leptonica decodes a whole GIF to learn
    /// its size.
    ///
    /// - Throws: `OCRError` with code `emptyFile` for no bytes,
    ///   `unsupportedFormat` for anything that is not a supported image, and
    ///   `corruptImage` for a damaged header or a zero dimension.
    public static func inspect(_ bytes: [UInt8]) throws -> (
        format: String, width: Int, height: Int
    ) {
        guard !bytes.isEmpty else {
            throw OCRError(.emptyFile, "image has no bytes")
        }
        let format = try Self.format(of: bytes)

        let size: (width: Int, height: Int)
        if format.name == "gif" {
            size = try gifSize(bytes)
        } else {
            size = try leptonicaHeaderSize(bytes, format: format.name)
        }
        guard size.width > 0, size.height > 0 else {
            throw OCRError(
                .corruptImage,
                "\(format.name) header declares \(size.width)x\(size.height) pixels")
        }
        return (format.name, size.width, size.height)
    }

    /// The format named by the first bytes, via `findFileFormatBuffer`.
    static func format(of bytes: [UInt8]) throws -> (name: String, code: Int32) {
        // findFileFormatBuffer reads up to 12 bytes without a length: give it
        // a zero-padded copy so that a tiny file cannot make it over-read.
        var head = Array(bytes.prefix(16))
        head.append(contentsOf: repeatElement(0, count: 16 - head.count))
        var code: Int32 = 0
        let status = findFileFormatBuffer(head, &code)

        guard status == 0, let name = formatName(code) else {
            throw OCRError(
                .unsupportedFormat,
                "bytes are not a supported image (\(supportedFormats.joined(separator: ", ")))")
        }
        return (name, code)
    }

    /// The name for a Leptonica `IFF_*` code, or nil for formats not decoded.
    private static func formatName(_ code: Int32) -> String? {
        switch code {
        case Int32(IFF_BMP): return "bmp"
        case Int32(IFF_JFIF_JPEG): return "jpeg"
        case Int32(IFF_PNG): return "png"
        case Int32(IFF_TIFF)...Int32(IFF_TIFF_ZIP),
            Int32(IFF_TIFF_JPEG):
            return "tiff"
        case Int32(IFF_PNM): return "pnm"
        case Int32(IFF_GIF): return "gif"
        case Int32(IFF_JP2): return "jp2"
        case Int32(IFF_WEBP): return "webp"
        default: return nil
        }
    }

    /// Width and height from `pixReadHeaderMem`, which reads headers only for
    /// every supported format but GIF.
    private static func leptonicaHeaderSize(
        _ bytes: [UInt8], format: String
    ) throws -> (width: Int, height: Int) {
        Leptonica.silence()
        var code: Int32 = 0, width: Int32 = 0, height: Int32 = 0
        var bitsPerSample: Int32 = 0, samplesPerPixel: Int32 = 0, colormap: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { buffer in
            pixReadHeaderMem(
                buffer.baseAddress, buffer.count, &code, &width, &height,
                &bitsPerSample, &samplesPerPixel, &colormap)
        }
        guard status == 0 else {
            throw OCRError(.corruptImage, "\(format) header cannot be read")
        }
        return (Int(width), Int(height))
    }
}
