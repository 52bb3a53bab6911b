extension OCREngine {
    /// The least work the C API can do for one image, for benchmarks: decode
    /// (`pixReadMem`), `TessBaseAPISetImage2`, `TessBaseAPIGetUTF8Text` on one
    /// line with digits only, no header check, no second pass.
    ///
    /// `read` should approach this on clean images; the gap is the cost of
    /// its checks and of escalation on hard images.
    public func bareRead(_ image: [UInt8]) throws -> String {
        let pix = try Pix.decode(image, format: "image")
        defer { tesseract.clear() }
        configure(.line)
        tesseract.setImage(pix)
        return tesseract.text()
    }
}
